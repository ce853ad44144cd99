# Probe for ppc64le, ELFv2 (sc, r0 = syscall number, arguments r3..),
# base Power ISA instructions only (nothing newer than POWER8):
# uname(buf); write(1, buf.machine, 65); exit_group(uname's result).
# On a failed syscall the kernel returns the positive errno in r3.
	.machine power8
	.abiversion 2
	.text
	.globl	_start
_start:
	addi	1, 1, -512		# struct utsname (6*65 bytes) above the new sp
	mr	3, 1
	li	0, 122			# uname
	sc
	mr	31, 3			# keep the result: sc preserves r31
	li	3, 1			# stdout
	addi	4, 1, 260		# utsname.machine = 4*65
	li	5, 65
	li	0, 4			# write
	sc
	mr	3, 31
	li	0, 234			# exit_group
	sc
	.size	_start, . - _start
