# Argv[0] probe for s390x (svc N with the syscall number as the immediate,
# arguments r2..), z/Architecture base instructions only:
# write(1, argv[0], strlen(argv[0])); exit_group(0).
# At entry the stack (r15) holds argc, then the argv pointers.
	.machine z900
	.text
	.globl	_start
_start:
	lg	%r3, 8(%r15)		# argv[0]
	lgr	%r4, %r3
.Lscan:
	cli	0(%r4), 0
	je	.Lfound
	aghi	%r4, 1
	j	.Lscan
.Lfound:
	sgr	%r4, %r3		# its length
	lghi	%r2, 1			# stdout
	svc	4			# write
	lghi	%r2, 0
	svc	248			# exit_group
	.size	_start, . - _start
