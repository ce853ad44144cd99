# Argv[0] probe for ppc64le, ELFv2 (sc, r0 = syscall number, arguments
# r3..), base Power ISA instructions only:
# write(1, argv[0], strlen(argv[0])); exit_group(0).
# At entry the stack (r1) holds argc, then the argv pointers.
	.machine power8
	.abiversion 2
	.text
	.globl	_start
_start:
	ld	4, 8(1)			# argv[0]
	mr	5, 4
.Lscan:
	lbz	6, 0(5)
	cmpdi	6, 0
	beq	.Lfound
	addi	5, 5, 1
	b	.Lscan
.Lfound:
	subf	5, 4, 5			# its length
	li	3, 1			# stdout
	li	0, 4			# write
	sc
	li	3, 0
	li	0, 234			# exit_group
	sc
	.size	_start, . - _start
