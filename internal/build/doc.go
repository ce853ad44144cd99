// Package build owns everything BuildKit: it is the only package that
// imports github.com/moby/buildkit. It starts and stops the embedded
// default builder (a local buildkitd with the OCI worker, see Embedded),
// probes builders for the platforms their workers run (Probe), and runs
// multi-platform builds of a Dockerfile as one BuildKit solve (Build).
//
// The package is silent: it takes an injected *slog.Logger, reports build
// progress through a Display the caller creates, and returns typed errors
// (UnreachableError, UnsupportedPlatformError, PushRefusedError,
// RegistryUnreachableError, DaemonStartError) that carry what a caller needs
// to say what to do next.
package build
