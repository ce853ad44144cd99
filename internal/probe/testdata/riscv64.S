# Probe for riscv64 (ecall, a7 = syscall number), RV64I only (no
# compressed instructions, so the bytes do not depend on the C extension):
# uname(buf); write(1, buf.machine, 65); exit_group(uname's result).
	.option	norvc
	.text
	.globl	_start
_start:
	addi	sp, sp, -512		# struct utsname (6*65 bytes) on the stack
	mv	a0, sp
	li	a7, 160			# uname
	ecall
	mv	s1, a0			# keep the result: ecall preserves s1
	li	a0, 1			# stdout
	addi	a1, sp, 260		# utsname.machine = 4*65
	li	a2, 65
	li	a7, 64			# write
	ecall
	mv	a0, s1
	li	a7, 94			# exit_group
	ecall
	.size	_start, . - _start
