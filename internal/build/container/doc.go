// Package container runs processes in containers of images on a builder,
// through BuildKit's gateway API: containers of registry images for
// `multiarch test` (Runner, one shared gateway session per runner; Routes,
// one runner per node of a builder, each platform where builder.Plan would
// build it) and containers of a build's solved results before they are
// exported (FromReference, used by internal/build).
//
// Every test container's PID 1 is a holder, the node's own tiny pause
// executable from internal/probe (else the image's sleep), so that a check
// dying of a signal under QEMU is not PID 1, which would ignore the signal
// QEMU sends itself and hang. Shared lets the runs of one test share one
// such container.
//
// It may import internal/builder (connecting to nodes, routing, the auth
// session), internal/probe (the holder), internal/registry (references,
// credentials), internal/platform and BuildKit; never internal/build,
// which imports it. It reads no environment.
package container
