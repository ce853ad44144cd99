// Argv[0] probe for loongarch64 (syscall 0, R11/a7 = syscall number,
// arguments R4/a0..), LA64 base integer instructions only:
// write(1, argv[0], strlen(argv[0])); exit_group(0).
// At entry the stack (R3) holds argc, then the argv pointers.
//
// Go assembler syntax, assembled by gen.go as the body of a
// NOSPLIT|NOFRAME function like ../loongarch64.s.

#include "textflag.h"

TEXT ·probe(SB), NOSPLIT|NOFRAME, $0-0
	MOVV	8(R3), R5		// argv[0]
	MOVV	R5, R7
scan:
	MOVBU	(R7), R8
	BEQ	R8, found
	ADDV	$1, R7
	JMP	scan
found:
	SUBV	R5, R7, R6		// its length
	MOVV	$1, R4			// stdout
	MOVV	$64, R11		// write
	SYSCALL
	MOVV	$0, R4
	MOVV	$94, R11		// exit_group
	SYSCALL
