# Holder for x86_64: pause() forever. It holds a container as its PID 1,
# natively on the node, while the checks run beside it.
	.text
	.globl _start
_start:
.Lloop:
	mov	$34, %eax		# pause
	syscall
	jmp	.Lloop
	.size	_start, . - _start
