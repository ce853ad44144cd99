# Argv[0] probe for mips64el, n64 ABI (syscall, v0 = 5000+n, arguments
# a0..), MIPS III instructions only; noreorder, so every branch's delay
# slot is written out:
# write(1, argv[0], strlen(argv[0])); exit_group(0).
# At entry the stack holds argc, then the argv pointers.
	.set	noreorder
	.set	noat
	.text
	.globl	_start
_start:
	ld	$a1, 8($sp)		# argv[0]
	move	$a2, $a1
.Lscan:
	lbu	$t0, 0($a2)
	beqz	$t0, .Lfound
	nop				# delay slot
	b	.Lscan
	daddiu	$a2, $a2, 1		# delay slot: runs before the branch lands
.Lfound:
	dsubu	$a2, $a2, $a1		# its length
	li	$a0, 1			# stdout
	li	$v0, 5001		# write
	syscall
	li	$a0, 0
	li	$v0, 5205		# exit_group
	syscall
	.size	_start, . - _start
