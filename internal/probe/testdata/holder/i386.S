# Holder for i386 (int $0x80 ABI): write(1, "\n", 1), then pause() forever.
	.text
	.globl _start
_start:
	push	$10			# "\n" on the stack
	mov	$4, %eax		# write
	mov	$1, %ebx		# stdout
	mov	%esp, %ecx
	mov	$1, %edx
	int	$0x80
.Lloop:
	mov	$29, %eax		# pause
	int	$0x80
	jmp	.Lloop
	.size	_start, . - _start
