// Package cli is the cobra wiring of the multiarch command: each command turns
// its flags into an options struct, makes one library call and renders the
// result to cmd.OutOrStdout(). Exit codes are decided in one place, ExitCode.
// A doctor check's typed remedy is worded in one place, fixText
// (doctor_fixes.go), before doctor's text and --json and ci's failed checks.
package cli
