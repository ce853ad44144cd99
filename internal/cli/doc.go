// Package cli is the cobra layer of the multiarch command: each command
// turns its flags into an options struct, makes one call into the
// application tier (internal/app) and renders the result to
// cmd.OutOrStdout() (the *_render.go files). It is the edge: the only
// package that reads the process environment (env.go, once, lent to the
// tier as app.Env) and that names flags in advice: a failure is printed
// once, by Main, as the error and then its next steps — the libraries'
// flag-free Hint() texts and the flag-shaped advice hints_*.go words from
// typed errors, and a doctor check's typed Remedy is worded once, by
// fixText (doctor_fixes.go). Exit codes are decided in one place, ExitCode.
//
// It imports neither BuildKit nor go-containerregistry (internal/depcheck
// says so); its tests run every command in-process through one harness
// (runCLI) and keep a golden file of every --json output.
package cli
