# Probe for i386 (int 0x80 ABI, i386 instructions only, no SSE):
# uname(buf); write(1, buf.machine, 65); exit_group(uname's result).
	.arch i386
	.code32
	.text
	.globl _start
_start:
	sub	$512, %esp		# struct utsname (6*65 bytes) on the stack
	mov	$122, %eax		# uname (newuname)
	mov	%esp, %ebx
	int	$0x80
	mov	%eax, %esi		# keep the result: int 0x80 preserves esi
	mov	$4, %eax		# write
	mov	$1, %ebx		# stdout
	lea	260(%esp), %ecx		# utsname.machine = 4*65
	mov	$65, %edx
	int	$0x80
	mov	$252, %eax		# exit_group
	mov	%esi, %ebx
	int	$0x80
	.size	_start, . - _start
