// Package builder owns builders and their nodes: what a builder is (Node,
// Builder, validated endpoints and TLS files), the named builders kept in
// builders.json of the config dir (Store), asking a node for its workers
// (Probe, ProbeNode, Connect), diagnosing TLS between this client and a
// tcp:// node, and the routing rule both builds and test containers follow
// (Plan, RunsNatively): every platform goes to a node that runs it
// natively, else to one that emulates it.
//
// A tcp:// node gRPC cannot talk to is asked again with a TLS handshake of
// the package's own, so a node that answered but refused (or was refused)
// is a *NodeTLSError that says why, not an *UnreachableError.
//
// It is one of the four BuildKit packages (with internal/builder/embedded,
// internal/build and internal/build/container). It may import BuildKit's
// client, internal/registry (credentials lent to a node's session) and
// internal/platform (the one platform table: parsing, normalising, what
// runs natively where). It reads no environment: the caller passes the
// config dir (DefaultConfigDir takes a getenv) and the builder address
// ($BUILDKIT_HOST, EnvBuildkitHost, is read by the command line).
package builder
