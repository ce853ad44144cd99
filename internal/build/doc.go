// Package build owns everything BuildKit: it is the only package that
// imports github.com/moby/buildkit. It starts and stops the embedded
// default builder (a local buildkitd with the OCI worker, see Embedded),
// keeps named multi-node builders (Store, in builders.json of the config
// dir), probes builders for the platforms their workers run (Probe,
// ProbeNode), and runs multi-platform builds of a Dockerfile (BuildOn):
// Plan sends every platform to a node that runs it natively, else to one
// that emulates it; each node builds its platforms in one solve; with
// several nodes the images are pushed by digest and merged into one index
// by internal/registry, children first and every tag last.
//
// With Options.Test the solve runs as a gateway build: the frontend is
// solved inside the session, the caller tests a container of every
// platform's result, and only a passing result reaches the exporter.
//
// ContainerRunner runs containers of registry images for `multiarch test`:
// all containers of one runner share one gateway session. Every test
// container's PID 1 is a holder, the node's own tiny pause executable from
// internal/probe (else the image's sleep), so that a check dying of a
// signal under QEMU is not PID 1, which would ignore the signal QEMU sends
// itself and hang.
//
// Per-platform times and the time spent in RUN steps under emulation are
// read from the vertex timings of BuildKit's progress stream (timeline),
// never from the text of the display.
//
// The package is silent: it takes an injected *slog.Logger, reports build
// progress through a Display the caller creates, and returns typed errors
// (UnreachableError, NodeTLSError, UnsupportedPlatformError,
// PushRefusedError, RegistryUnreachableError, DaemonStartError,
// NodeBuildError, UnknownBuilderError, DuplicateBuilderError) that carry
// what a caller needs to say what to do next. A tcp:// node gRPC cannot
// talk to is asked again with a TLS handshake of the package's own, so a
// node that answered but refused (or was refused) is a NodeTLSError that
// says why, not an UnreachableError.
package build
