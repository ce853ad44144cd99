// Package cli is the cobra wiring of the multiarch command: each command turns
// its flags into an options struct, makes one library call and renders the
// result to cmd.OutOrStdout(). Exit codes are decided in one place, ExitCode.
package cli
