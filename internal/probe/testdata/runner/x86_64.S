# Runner for x86_64: the PID 1 of a test container that runs the cell's
# processes one after the other as its children, natively on the node, so
# a cell costs one container start instead of a holder and an exec per
# process (see internal/build/container/runner.go for the protocol).
#
#   runner TOKEN PATH ARG0 ARG... TOKEN PATH ARG0 ARG... TOKEN
#
# For each PATH: fork; the child execve(PATH, ARG0..., envp). The parent
# waits for it (wait4) and writes TOKEN and the two low bytes of the wait
# status (low, high) to stdout and to stderr, one write(2) each. A child
# whose execve fails writes TOKEN, 0xff and the errno byte to stdout and
# exits 127. Bad arguments: exit 2, nothing written. Then exit 0.
	.text
	.globl _start
_start:
	mov	(%rsp), %rax		# argc
	lea	16(%rsp,%rax,8), %r15	# envp
	mov	16(%rsp), %r13		# TOKEN
	test	%r13, %r13
	jz	.Lbad
	xor	%r14, %r14		# TOKEN's length
.Llen:
	cmpb	$0, (%r13,%r14)
	je	.Llen_done
	inc	%r14
	jmp	.Llen
.Llen_done:
	test	%r14, %r14
	jz	.Lbad
	cmp	$48, %r14		# the record must fit its 64-byte buffer
	ja	.Lbad
	sub	$64, %rsp		# the record buffer
	lea	88(%rsp), %rbx		# &argv[2]: the first PATH
.Lnext:
	mov	(%rbx), %rdi
	test	%rdi, %rdi
	jz	.Ldone
	lea	8(%rbx), %rbp		# look for the TOKEN ending ARG0...
.Lscan:
	mov	(%rbp), %rsi
	test	%rsi, %rsi
	jz	.Lbad
	xor	%ecx, %ecx
.Lcmp:
	mov	(%rsi,%rcx), %al
	cmp	(%r13,%rcx), %al
	jne	.Lskip
	test	%al, %al
	jz	.Lfound
	inc	%rcx
	jmp	.Lcmp
.Lskip:
	add	$8, %rbp
	jmp	.Lscan
.Lfound:
	movq	$0, (%rbp)		# it ends the child's argv
	mov	$57, %eax		# fork
	syscall
	test	%rax, %rax
	jz	.Lchild
	js	.Lbad
	mov	%rax, %r12		# the child's pid
.Lwait:
	mov	$61, %eax		# wait4(pid, &status, 0, NULL)
	mov	%r12, %rdi
	lea	56(%rsp), %rsi
	xor	%edx, %edx
	xor	%r10, %r10
	syscall
	cmp	$-4, %rax		# EINTR
	je	.Lwait
	test	%rax, %rax
	js	.Lbad
	mov	56(%rsp), %ax		# status: low byte, high byte
	call	.Lrecord
	mov	$1, %edi
	call	.Lwrite
	mov	$2, %edi
	call	.Lwrite
	lea	8(%rbp), %rbx		# the next PATH
	jmp	.Lnext
.Lchild:
	mov	(%rbx), %rdi		# execve(PATH, &ARG0, envp)
	lea	8(%rbx), %rsi
	mov	%r15, %rdx
	mov	$59, %eax
	syscall
	neg	%eax			# errno
	shl	$8, %eax
	mov	$0xff, %al
	call	.Lrecord
	mov	$1, %edi
	call	.Lwrite
	mov	$127, %edi
	mov	$231, %eax		# exit_group
	syscall
.Ldone:
	xor	%edi, %edi
	mov	$231, %eax		# exit_group
	syscall
.Lbad:
	mov	$2, %edi
	mov	$231, %eax		# exit_group
	syscall
# .Lrecord copies TOKEN to the buffer and the two bytes of %ax after it.
.Lrecord:
	xor	%ecx, %ecx
.Lcopy:
	mov	(%r13,%rcx), %dl
	mov	%dl, 8(%rsp,%rcx)	# 8: above the return address
	inc	%rcx
	cmp	%r14, %rcx
	jb	.Lcopy
	mov	%ax, 8(%rsp,%rcx)
	ret
# .Lwrite writes the record to fd %edi.
.Lwrite:
	mov	$1, %eax		# write
	lea	8(%rsp), %rsi
	lea	2(%r14), %rdx
	syscall
	ret
	.size	_start, . - _start
