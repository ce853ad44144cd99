# Holder for s390x (svc's immediate is the syscall): write(1, "\n", 1),
# then pause() forever. z900 instructions only.
	.text
	.globl	_start
_start:
	aghi	%r15, -16
	lghi	%r2, 10			# "\n"
	stc	%r2, 0(%r15)
	lghi	%r2, 1			# stdout
	lgr	%r3, %r15
	lghi	%r4, 1
	svc	4			# write
.Lloop:
	svc	29			# pause
	j	.Lloop
	.size	_start, . - _start
