# Holder for i386: pause() forever (int $0x80 ABI).
	.text
	.globl _start
_start:
.Lloop:
	mov	$29, %eax		# pause
	int	$0x80
	jmp	.Lloop
	.size	_start, . - _start
