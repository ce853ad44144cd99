@ Holder for arm (EABI: r7 = syscall number): pause() forever.
	.arch	armv5te
	.arm
	.syntax	unified
	.text
	.globl	_start
_start:
.Lloop:
	mov	r7, #29			@ pause
	svc	#0
	b	.Lloop
	.size	_start, . - _start
