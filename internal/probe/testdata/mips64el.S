# Probe for mips64el, n64 ABI (syscall, v0 = 5000+n, arguments a0..),
# MIPS III instructions only, no branches (so no delay slots):
# uname(buf); write(1, buf.machine, 65); exit_group(uname's result).
# On a failed syscall the kernel sets a3 and returns the positive errno.
	.set	noreorder
	.set	noat
	.text
	.globl	_start
_start:
	daddiu	$sp, $sp, -512		# struct utsname (6*65 bytes) on the stack
	move	$a0, $sp
	li	$v0, 5061		# uname
	syscall
	move	$s0, $v0		# keep the result: syscall preserves s0
	li	$a0, 1			# stdout
	daddiu	$a1, $sp, 260		# utsname.machine = 4*65
	li	$a2, 65
	li	$v0, 5001		# write
	syscall
	move	$a0, $s0
	li	$v0, 5205		# exit_group
	syscall
	.size	_start, . - _start
