# Holder for mips64el (n64 ABI): pause() forever.
	.set	noreorder
	.text
	.globl	_start
_start:
.Lloop:
	li	$2, 5033		# pause (v0)
	syscall
	b	.Lloop
	nop				# branch delay slot
	.size	_start, . - _start
