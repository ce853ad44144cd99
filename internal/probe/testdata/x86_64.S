# Probe for x86_64 (Linux x86-64 syscall ABI): uname(buf); write(1,
# buf.machine, 65); exit_group(uname's result). Baseline x86-64 only.
	.text
	.globl _start
_start:
	sub	$512, %rsp		# struct utsname (6*65 bytes) on the stack
	mov	$63, %eax		# uname
	mov	%rsp, %rdi
	syscall
	mov	%eax, %ebx		# keep the result: syscall preserves rbx
	mov	$1, %eax		# write
	mov	$1, %edi		# stdout
	lea	260(%rsp), %rsi		# utsname.machine = 4*65
	mov	$65, %edx
	syscall
	mov	$231, %eax		# exit_group
	mov	%ebx, %edi
	syscall
	.size	_start, . - _start
