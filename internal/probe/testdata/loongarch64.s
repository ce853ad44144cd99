// Probe for loongarch64 (syscall 0, R11/a7 = syscall number, arguments
// R4/a0..), LA64 base integer instructions only:
// uname(buf); write(1, buf.machine, 65); exit_group(uname's result).
//
// Go assembler syntax: Debian 12 packages no LoongArch binutils, and the Go
// toolchain (always present here) encodes LoongArch. gen.go assembles this
// file as the body of a NOSPLIT|NOFRAME function, so no prologue is added.
// R3 = sp, R4..R6 = a0..a2, R11 = a7, R23 = s0 (preserved by syscall).
//
// The same code in GNU syntax, with the encodings from the LoongArch
// reference manual (checked against the Go assembler's output in zcode.go):
//	addi.d	$sp, $sp, -512	0x02c00000 | si12<<10 | rj<<5 | rd = 0x02f80063
//	or	$a0, $sp, $zero	0x00150000 | rk<<10 | rj<<5 | rd   = 0x00150064
//	ori	$a7, $zero, 160	0x03800000 | ui12<<10 | rj<<5 | rd = 0x0382800b
//	syscall	0		0x002b0000 | code                  = 0x002b0000
//	or	$s0, $a0, $zero					   = 0x00150097
//	ori	$a0, $zero, 1					   = 0x03800404
//	addi.d	$a1, $sp, 260					   = 0x02c41065
//	ori	$a2, $zero, 65					   = 0x03810406
//	ori	$a7, $zero, 64					   = 0x0381000b
//	syscall	0
//	or	$a0, $s0, $zero					   = 0x001502e4
//	ori	$a7, $zero, 94					   = 0x0381780b
//	syscall	0

#include "textflag.h"

TEXT ·probe(SB), NOSPLIT|NOFRAME, $0-0
	ADDV	$-512, R3		// struct utsname (6*65 bytes) on the stack
	MOVV	R3, R4
	MOVV	$160, R11		// uname
	SYSCALL
	MOVV	R4, R23			// keep the result
	MOVV	$1, R4			// stdout
	ADDV	$260, R3, R5		// utsname.machine = 4*65
	MOVV	$65, R6
	MOVV	$64, R11		// write
	SYSCALL
	MOVV	R23, R4
	MOVV	$94, R11		// exit_group
	SYSCALL
