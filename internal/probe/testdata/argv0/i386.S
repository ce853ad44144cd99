# Argv[0] probe for i386 (int $0x80, eax = syscall number, arguments ebx,
# ecx, edx), i386 instructions only:
# write(1, argv[0], strlen(argv[0])); exit_group(0).
# At entry the stack holds argc, then the argv pointers.
	.text
	.globl	_start
_start:
	mov	4(%esp), %ecx		# argv[0]
	mov	%ecx, %edx
.Lscan:
	cmpb	$0, (%edx)
	je	.Lfound
	inc	%edx
	jmp	.Lscan
.Lfound:
	sub	%ecx, %edx		# its length
	mov	$1, %ebx		# stdout
	mov	$4, %eax		# write
	int	$0x80
	xor	%ebx, %ebx
	mov	$252, %eax		# exit_group
	int	$0x80
	.size	_start, . - _start
