@ Probe for 32-bit ARM, EABI (svc #0, r7 = syscall number), ARM mode,
@ ARMv5TE instructions only so it runs under QEMU_CPU=arm926:
@ uname(buf); write(1, buf.machine, 65); exit_group(uname's result).
	.arch	armv5te
	.arm
	.syntax	unified
	.text
	.globl	_start
_start:
	sub	sp, sp, #512		@ struct utsname (6*65 bytes) on the stack
	mov	r0, sp
	mov	r7, #122		@ uname
	svc	#0
	mov	r4, r0			@ keep the result: svc preserves r4
	mov	r0, #1			@ stdout
	add	r1, sp, #260		@ utsname.machine = 4*65
	mov	r2, #65
	mov	r7, #4			@ write
	svc	#0
	mov	r0, r4
	mov	r7, #248		@ exit_group
	svc	#0
	.size	_start, . - _start
