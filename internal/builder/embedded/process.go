package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// readPID returns the pid in the pid file, 0 when there is none. A file
// that holds no pid (empty, or garbage after a crash or a full disk) is
// stale: it names no daemon, so it is 0 too and the next start replaces
// it, rather than blocking every `up` and on-demand start for good.
func readPID(path string) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, nil
	}
	return pid, nil
}

func writePID(path string, pid int) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ownsProcess reports whether pid is alive (not a zombie) and is the
// buildkitd started with configFile, so a recycled pid is never signalled.
func ownsProcess(pid int, configFile string) bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	if !bytes.Contains(cmdline, []byte("\x00"+configFile+"\x00")) {
		return false
	}
	return !isZombie(pid)
}

func isZombie(pid int) bool {
	st := procState(pid)
	return st == 0 || st == 'Z' || st == 'X'
}

// isStopped reports whether pid is stopped (SIGSTOP, SIGTSTP) or stopped
// by a tracer: it cannot answer until it gets SIGCONT.
func isStopped(pid int) bool {
	st := procState(pid)
	return st == 'T' || st == 't'
}

// procState is the state letter of pid in /proc/PID/stat, 0 when there is
// no such process.
func procState(pid int) byte {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The state follows the parenthesised command name.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return 0
	}
	return stat[i+2]
}

// findDaemon returns the pid of a live process started with configFile
// (our buildkitd), 0 when none runs: the pid file can be lost or stale
// while the daemon runs, and what it holds must never be cleaned up from
// under it.
func findDaemon(configFile string) int {
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range paths {
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err == nil && pid != os.Getpid() && ownsProcess(pid, configFile) {
			return pid
		}
	}
	return 0
}

// stopProcess sends SIGTERM and SIGCONT (a stopped process acts on
// SIGTERM only once continued), waits up to grace for the process to go,
// then sends SIGKILL and waits again. It stops waiting when ctx ends.
func stopProcess(ctx context.Context, pid int, configFile string, grace time.Duration) error {
	if err := unix.Kill(pid, unix.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return fmt.Errorf("signal buildkitd (pid %d): %w", pid, err)
	}
	_ = unix.Kill(pid, unix.SIGCONT)
	if gone, err := waitGone(ctx, pid, configFile, grace); gone || err != nil {
		return err
	}
	if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill buildkitd (pid %d): %w", pid, err)
	}
	gone, err := waitGone(ctx, pid, configFile, 5*time.Second)
	if err == nil && !gone {
		err = fmt.Errorf("buildkitd (pid %d) survived SIGKILL", pid)
	}
	return err
}

// waitGone waits up to d for the process to go; an error says ctx ended
// first.
func waitGone(ctx context.Context, pid int, configFile string, d time.Duration) (bool, error) {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if !ownsProcess(pid, configFile) {
			return true, nil
		}
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("wait for buildkitd (pid %d) to stop: %w", pid, context.Cause(ctx))
		case <-deadline.C:
			return !ownsProcess(pid, configFile), nil
		case <-tick.C:
		}
	}
}
