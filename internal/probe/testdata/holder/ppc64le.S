# Holder for ppc64le: pause() forever.
	.machine power8
	.abiversion 2
	.text
	.globl	_start
_start:
.Lloop:
	li	0, 29			# pause
	sc
	b	.Lloop
	.size	_start, . - _start
