# Argv[0] probe for x86_64 (syscall, rax = syscall number, arguments rdi,
# rsi, rdx), baseline x86-64 only:
# write(1, argv[0], strlen(argv[0])); exit_group(0).
# At entry the stack holds argc, then the argv pointers.
	.text
	.globl	_start
_start:
	mov	8(%rsp), %rsi		# argv[0]
	mov	%rsi, %rdx
.Lscan:
	cmpb	$0, (%rdx)
	je	.Lfound
	inc	%rdx
	jmp	.Lscan
.Lfound:
	sub	%rsi, %rdx		# its length
	mov	$1, %edi		# stdout
	mov	$1, %eax		# write
	syscall
	xor	%edi, %edi
	mov	$231, %eax		# exit_group
	syscall
	.size	_start, . - _start
