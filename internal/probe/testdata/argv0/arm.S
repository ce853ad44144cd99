@ Argv[0] probe for 32-bit ARM, EABI (svc #0, r7 = syscall number), ARM
@ mode, ARMv5TE instructions only:
@ write(1, argv[0], strlen(argv[0])); exit_group(0).
@ At entry the stack holds argc, then the argv pointers.
	.arch	armv5te
	.arm
	.syntax	unified
	.text
	.globl	_start
_start:
	ldr	r1, [sp, #4]		@ argv[0]
	mov	r2, r1
.Lscan:
	ldrb	r3, [r2]
	cmp	r3, #0
	beq	.Lfound
	add	r2, r2, #1
	b	.Lscan
.Lfound:
	sub	r2, r2, r1		@ its length
	mov	r0, #1			@ stdout
	mov	r7, #4			@ write
	svc	#0
	mov	r0, #0
	mov	r7, #248		@ exit_group
	svc	#0
	.size	_start, . - _start
