package embedded

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/multiarch-dev/multiarch/internal/builder"
)

// StopGrace is how long Down waits after SIGTERM before SIGKILL.
const StopGrace = 10 * time.Second

// Status reports the embedded builder: its pid (when our buildkitd runs)
// and, when it answers, its workers. A builder that does not answer is a
// status with Reachable false, not an error, unless our buildkitd runs
// and does not answer: a *HungError, at once when the process is
// stopped, else after the probe's deadline.
func (e *Builder) Status(ctx context.Context) (*builder.NodeStatus, error) {
	pid := e.PID()
	if pid > 0 && isStopped(pid) {
		return nil, e.hung(pid)
	}
	st, err := builder.Probe(ctx, e.Address())
	var unreachable *builder.UnreachableError
	switch {
	case errors.As(err, &unreachable) && unreachable.TimedOut && pid > 0 && ownsProcess(pid, e.configFile()):
		return nil, e.hung(pid)
	case errors.As(err, &unreachable):
		st = &builder.NodeStatus{Address: e.Address()}
	case err != nil:
		return nil, err
	}
	st.StateDir, st.LogFile, st.PID = e.stateDir, e.LogFile(), pid
	return st, nil
}

// PID is the pid of our buildkitd, 0 when none runs: the one in the pid
// file, else one found by its config (the pid file was lost).
func (e *Builder) PID() int {
	if pid, err := readPID(e.pidFile()); err == nil && pid > 0 && ownsProcess(pid, e.configFile()) {
		return pid
	}
	return findDaemon(e.configFile())
}

func (e *Builder) hung(pid int) *HungError {
	return &HungError{PID: pid, Socket: e.socket, Stopped: isStopped(pid), LogFile: e.LogFile()}
}

// Up starts buildkitd unless it already answers, and waits until it does.
// started says whether this call started it. A running daemon whose config
// differs from the one Up would write is restarted. A daemon that does not
// answer within the ready timeout is stopped and reported as a
// *DaemonStartError naming the log file.
func (e *Builder) Up(ctx context.Context) (st *builder.NodeStatus, started bool, err error) {
	if err := os.MkdirAll(e.stateDir, 0o700); err != nil {
		return nil, false, err
	}
	unlock, err := builder.LockFile(e.lockFile())
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	if e.settingsGiven {
		if err := e.saveSettings(); err != nil {
			return nil, false, err
		}
	}

	pid := e.PID()
	ours := pid > 0
	if ours && isStopped(pid) {
		return nil, false, e.hung(pid)
	}
	if ours && e.configChanged() {
		e.log.Info("buildkitd config changed, restarting", "pid", pid)
		if err := stopProcess(ctx, pid, e.configFile(), StopGrace); err != nil {
			return nil, false, err
		}
		ours = false
	}
	if ours {
		st, err := e.waitReady(ctx, pid, nil)
		return st, false, err
	}
	if st, err := builder.Probe(ctx, e.Address()); err == nil {
		// Someone else's daemon serves our socket: use it as it is.
		return st, false, nil
	}
	st, err = e.start(ctx)
	return st, err == nil, err
}

func (e *Builder) configChanged() bool {
	b, err := os.ReadFile(e.configFile())
	want, cerr := e.config()
	return err != nil || cerr != nil || string(b) != want
}

func (e *Builder) start(ctx context.Context) (*builder.NodeStatus, error) {
	bin, err := e.Buildkitd()
	if err != nil {
		return nil, err
	}
	if err := e.prepare(ctx); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(e.LogFile(), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- multiarch: starting %s at %s\n", bin, time.Now().Format(time.RFC3339))

	cmd := exec.Command(bin, "--config", e.configFile())
	cmd.Env = daemonEnv(e.getenv)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own session: the daemon outlives `multiarch builder up` and does
	// not get the terminal's SIGINT.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, &DaemonStartError{LogFile: e.LogFile(), Err: err}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	e.log.Info("started buildkitd", "pid", cmd.Process.Pid, "socket", e.socket, "log", e.LogFile())
	if err := writePID(e.pidFile(), cmd.Process.Pid); err != nil {
		_ = stopProcess(context.WithoutCancel(ctx), cmd.Process.Pid, e.configFile(), time.Second)
		return nil, err
	}
	st, err := e.waitReady(ctx, cmd.Process.Pid, exited)
	if err != nil {
		_ = stopProcess(context.WithoutCancel(ctx), cmd.Process.Pid, e.configFile(), 2*time.Second)
		os.Remove(e.pidFile())
		return nil, err
	}
	return st, nil
}

// prepare clears what a dead daemon left behind (told to OnCleaned) and
// writes the config and the runc wrapper. No daemon of ours runs.
func (e *Builder) prepare(ctx context.Context) error {
	cleaned, err := e.cleanLeftovers(ctx)
	if err != nil {
		return err
	}
	e.onCleaned(cleaned)
	if err := os.MkdirAll(filepath.Dir(e.socket), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(e.rootDir(), 0o700); err != nil {
		return err
	}
	for _, p := range []string{e.socket, traceSocket(e.socket)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	if err := e.writeRuncWrapper(); err != nil {
		return err
	}
	cfg, err := e.config()
	if err != nil {
		return err
	}
	return os.WriteFile(e.configFile(), []byte(cfg), 0o644)
}

// waitReady polls the daemon until it answers, exits, or the ready
// timeout passes.
func (e *Builder) waitReady(ctx context.Context, pid int, exited <-chan error) (*builder.NodeStatus, error) {
	deadline := time.Now().Add(e.readyTimeout)
	var last error
	for {
		st, err := builder.Probe(ctx, e.Address())
		if err == nil {
			st.PID, st.StateDir, st.LogFile = pid, e.stateDir, e.LogFile()
			return st, nil
		}
		last = err
		select {
		case werr := <-exited:
			return nil, &DaemonStartError{LogFile: e.LogFile(), Err: fmt.Errorf("buildkitd exited: %v", werr)}
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if exited == nil && !ownsProcess(pid, e.configFile()) {
			return nil, &DaemonStartError{LogFile: e.LogFile(), Err: fmt.Errorf("buildkitd (pid %d) is gone", pid)}
		}
		if isStopped(pid) || (exited == nil && time.Now().After(deadline)) {
			// Not one this call started: it runs, it does not answer.
			return nil, e.hung(pid)
		}
		if time.Now().After(deadline) {
			return nil, &DaemonStartError{LogFile: e.LogFile(), Err: fmt.Errorf("no answer within %v: %w", e.readyTimeout, last)}
		}
	}
}

// Down stops our buildkitd (SIGTERM, then SIGKILL after StopGrace; a
// stopped one is continued first), cleans what it or an earlier killed
// one left (told to OnCleaned) and removes its pid file and socket.
// stopped is false when it was not running.
func (e *Builder) Down(ctx context.Context) (stopped bool, err error) {
	if _, err := os.Stat(e.stateDir); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	unlock, err := builder.LockFile(e.lockFile())
	if err != nil {
		return false, err
	}
	defer unlock()
	filePID, err := readPID(e.pidFile())
	if err != nil {
		return false, err
	}
	if pid := e.PID(); pid > 0 {
		e.log.Info("stopping buildkitd", "pid", pid)
		if err := stopProcess(ctx, pid, e.configFile(), StopGrace); err != nil {
			return false, err
		}
		stopped = true
	}
	cleaned, err := e.cleanLeftovers(ctx)
	if err != nil {
		return stopped, err
	}
	e.onCleaned(cleaned)
	stale := []string{e.pidFile()}
	if filePID > 0 || stopped {
		// Our daemon served the socket; leave a stranger's alone.
		stale = append(stale, e.socket, traceSocket(e.socket))
	}
	for _, p := range stale {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return stopped, err
		}
	}
	return stopped, nil
}
