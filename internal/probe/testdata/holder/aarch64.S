// Holder for aarch64: ppoll(NULL, 0, NULL, NULL) forever (the generic
// syscall table has no pause).
	.arch	armv8-a
	.text
	.globl	_start
_start:
.Lloop:
	mov	x0, #0
	mov	x1, #0
	mov	x2, #0
	mov	x3, #0
	mov	x8, #73			// ppoll
	svc	#0
	b	.Lloop
	.size	_start, . - _start
