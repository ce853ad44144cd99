// Holder for aarch64: write(1, "\n", 1), then ppoll(NULL, 0, NULL, NULL)
// forever (the generic syscall table has no pause).
	.arch	armv8-a
	.text
	.globl	_start
_start:
	sub	sp, sp, #16
	mov	w0, #10			// "\n"
	strb	w0, [sp]
	mov	x0, #1			// stdout
	mov	x1, sp
	mov	x2, #1
	mov	x8, #64			// write
	svc	#0
.Lloop:
	mov	x0, #0
	mov	x1, #0
	mov	x2, #0
	mov	x3, #0
	mov	x8, #73			// ppoll
	svc	#0
	b	.Lloop
	.size	_start, . - _start
