// Probe for aarch64 (svc #0, x8 = syscall number), ARMv8.0 only:
// uname(buf); write(1, buf.machine, 65); exit_group(uname's result).
	.arch	armv8-a
	.text
	.globl	_start
_start:
	sub	sp, sp, #512		// struct utsname (6*65 bytes) on the stack
	mov	x0, sp
	mov	x8, #160		// uname
	svc	#0
	mov	x19, x0			// keep the result: svc preserves x19
	mov	x0, #1			// stdout
	add	x1, sp, #260		// utsname.machine = 4*65
	mov	x2, #65
	mov	x8, #64			// write
	svc	#0
	mov	x0, x19
	mov	x8, #94			// exit_group
	svc	#0
	.size	_start, . - _start
