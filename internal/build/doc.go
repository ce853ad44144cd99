// Package build runs multi-platform builds of a Dockerfile on the nodes of
// a builder (BuildOn). It is one of the four BuildKit packages
// (internal/builder, internal/builder/embedded, internal/build and
// internal/build/container), the only ones that import
// github.com/moby/buildkit; it owns solving, exporting and merging:
// builder.Plan sends every platform to a node that runs it natively, else
// to one that emulates it; each node builds its platforms in one solve;
// with several nodes the images are pushed by digest and merged into one
// index by internal/registry, children first and every tag last.
//
// With Options.Test the solve runs as a gateway build: the frontend is
// solved inside the session, the caller tests a container
// (internal/build/container) of every platform's result, and only a
// passing result reaches the exporter.
//
// Per-platform times and the time spent in RUN steps under emulation are
// read from the vertex timings of BuildKit's progress stream (timeline),
// never from the text of the display.
//
// The package is silent: it takes an injected *slog.Logger, reports build
// progress through a Display the caller creates, and returns typed errors
// (PushRefusedError, RegistryUnreachableError, NodeBuildError, and
// builder's UnreachableError, NodeTLSError, UnsupportedPlatformError) that
// carry what a caller needs to say what to do next.
//
// It may import internal/builder (nodes, routing, the auth session),
// internal/build/container, internal/registry (credentials, push check,
// read-back, index merge: go-containerregistry stays there),
// internal/platform and BuildKit. It reads no environment and names no
// command-line flag.
package build
