package embedded

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// BuildKit's OCI worker runs runc without --root, so every container of
// every buildkitd on the machine lands in the shared /run/runc, and its
// config has no key for runc's root. The embedded builder's worker runs a
// wrapper instead ([worker.oci] binary), which execs runc with a root of
// its own under the state dir: what a killed daemon leaves there is this
// builder's, and Up and Down can clean it without touching anyone else's
// containers.

// runcCandidates are the runc binaries the wrapper may exec, in
// BuildKit's own order of preference.
var runcCandidates = []string{"buildkit-runc", "runc"}

// runcDeleteTimeout bounds one `runc delete -f` of a leftover container.
const runcDeleteTimeout = 15 * time.Second

func (e *Builder) runcRoot() string    { return filepath.Join(e.stateDir, "runc") }
func (e *Builder) runcWrapper() string { return filepath.Join(e.stateDir, "runc.sh") }

// findRunc looks runc up on the PATH buildkitd is started with.
func (e *Builder) findRunc() (string, error) {
	path := daemonPath
	for _, kv := range daemonEnv(e.getenv) {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, name := range runcCandidates {
		for _, dir := range filepath.SplitList(path) {
			p := filepath.Join(dir, name)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 && filepath.IsAbs(p) {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("runc not found on PATH %s: the embedded builder runs RUN steps and tests with it (install runc)", path)
}

// writeRuncWrapper writes the script the OCI worker runs as runc: the
// real runc with the builder's own --root.
func (e *Builder) writeRuncWrapper() error {
	runc, err := e.findRunc()
	if err != nil {
		return err
	}
	script := "#!/bin/sh\n" +
		"# Written by multiarch: runc with the embedded builder's own state root,\n" +
		"# so that its containers are not in the shared /run/runc.\n" +
		"exec " + shellQuote(runc) + " --root " + shellQuote(e.runcRoot()) + " \"$@\"\n"
	tmp := e.runcWrapper() + ".tmp"
	if err := os.WriteFile(tmp, []byte(script), 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, e.runcWrapper())
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// leftoverContainers are the ids of the containers in the builder's runc
// root: with no daemon running, every one was left by a killed one.
func (e *Builder) leftoverContainers() ([]string, error) {
	entries, err := os.ReadDir(e.runcRoot())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, en := range entries {
		if en.IsDir() {
			ids = append(ids, en.Name())
		}
	}
	return ids, nil
}

// deleteContainers runs `runc delete -f` on each of ids in the builder's
// runc root: runc kills a container's processes (its whole pid
// namespace) and removes its cgroup and state. It returns how many it
// deleted and what failed.
func (e *Builder) deleteContainers(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	runc, err := e.findRunc()
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, id := range ids {
		dctx, cancel := context.WithTimeout(ctx, runcDeleteTimeout)
		out, err := exec.CommandContext(dctx, runc, "--root", e.runcRoot(), "delete", "-f", id).CombinedOutput()
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("runc delete -f %s: %v: %s", id, err, strings.TrimSpace(string(out))))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// Cleaned is what Up or Down removed that a killed daemon had left
// behind.
type Cleaned struct {
	// Containers are the runc containers (and their processes) deleted
	// from the builder's runc root.
	Containers int
	// Mounts are the overlay and bind mounts of its BuildKit root
	// unmounted.
	Mounts int
}

// Any reports whether anything was cleaned.
func (c Cleaned) Any() bool { return c.Containers+c.Mounts > 0 }

func (c Cleaned) String() string {
	return strconv.Itoa(c.Containers) + " leftover container(s) and " + strconv.Itoa(c.Mounts) + " mount(s)"
}

// cleanLeftovers removes what a dead daemon left: its runc containers
// first (their processes hold the mounts), then the mounts of its
// BuildKit root. It must run only while no daemon of this builder runs.
func (e *Builder) cleanLeftovers(ctx context.Context) (Cleaned, error) {
	var c Cleaned
	ids, err := e.leftoverContainers()
	if err != nil {
		return c, fmt.Errorf("list leftover containers in %s: %w", e.runcRoot(), err)
	}
	c.Containers, err = e.deleteContainers(ctx, ids)
	if err != nil {
		return c, fmt.Errorf("delete leftover containers of a previous buildkitd: %w", err)
	}
	c.Mounts, err = unmountUnder(e.rootDir())
	if err != nil {
		return c, fmt.Errorf("unmount what a previous buildkitd left under %s: %w", e.rootDir(), err)
	}
	if c.Any() {
		e.log.Info("cleaned what a previous buildkitd left", "containers", c.Containers, "mounts", c.Mounts)
	}
	return c, nil
}
