@ Holder for arm (EABI: r7 = syscall number): write(1, "\n", 1), then
@ pause() forever.
	.arch	armv5te
	.arm
	.syntax	unified
	.text
	.globl	_start
_start:
	sub	sp, sp, #8
	mov	r0, #10			@ "\n"
	strb	r0, [sp]
	mov	r0, #1			@ stdout
	mov	r1, sp
	mov	r2, #1
	mov	r7, #4			@ write
	svc	#0
.Lloop:
	mov	r7, #29			@ pause
	svc	#0
	b	.Lloop
	.size	_start, . - _start
