# Holder for x86_64: write(1, "\n", 1) to say it runs, then pause()
# forever. It holds a container as its PID 1, natively on the node, while
# the checks run beside it.
	.text
	.globl _start
_start:
	push	$10			# "\n" on the stack
	mov	$1, %eax		# write
	mov	$1, %edi		# stdout
	mov	%rsp, %rsi
	mov	$1, %edx
	syscall
.Lloop:
	mov	$34, %eax		# pause
	syscall
	jmp	.Lloop
	.size	_start, . - _start
