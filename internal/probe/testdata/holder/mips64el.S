# Holder for mips64el (n64 ABI): write(1, "\n", 1), then pause() forever.
	.set	noreorder
	.text
	.globl	_start
_start:
	daddiu	$sp, $sp, -16
	li	$4, 10			# "\n" (a0)
	sb	$4, 0($sp)
	li	$4, 1			# stdout
	move	$5, $sp			# a1
	li	$6, 1			# a2
	li	$2, 5001		# write (v0)
	syscall
.Lloop:
	li	$2, 5033		# pause (v0)
	syscall
	b	.Lloop
	nop				# branch delay slot
	.size	_start, . - _start
