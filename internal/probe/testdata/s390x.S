# Probe for s390x (big-endian; svc N with the syscall number as the
# immediate, arguments r2..), z/Architecture base instructions only:
# uname(buf); write(1, buf.machine, 65); exit_group(uname's result).
	.machine z900
	.text
	.globl	_start
_start:
	aghi	%r15, -512		# struct utsname (6*65 bytes) on the stack
	lgr	%r2, %r15
	svc	122			# uname
	lgr	%r9, %r2		# keep the result: svc preserves r9
	lghi	%r2, 1			# stdout
	la	%r3, 260(%r15)		# utsname.machine = 4*65
	lghi	%r4, 65
	svc	4			# write
	lgr	%r2, %r9
	svc	248			# exit_group
	.size	_start, . - _start
