// Package embedded owns the lifecycle of the embedded default builder: one
// local buildkitd with the OCI (runc) worker, its config, log, pid file
// and BuildKit root in one state directory and a unix socket (Builder: Up,
// Status, Down). It starts the daemon in its own session so that it
// outlives the command, and signals only a process it started with its
// own config, so a recycled pid is never touched.
//
// Its containers have a runc state root of their own in the state
// directory (runc.go), so what a killed daemon leaves behind (runc
// containers and their processes, overlay mounts of its BuildKit root) is
// known to be this builder's: Up cleans it before a start and Down after
// a stop (Cleaned). A daemon that runs but does not answer is a
// *HungError, never an endless wait.
//
// It may import internal/builder (probing, NodeStatus, the store's file
// lock) and BuildKit's config types in tests. It reads no environment: the
// caller lends it one with WithEnv (and to DefaultStateDir,
// DefaultSocket), and an invalid path says which variable
// ($MULTIARCH_STATE_DIR, $MULTIARCH_SOCKET, $MULTIARCH_BUILDKITD) it came
// from.
package embedded
