package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	controlapi "github.com/moby/buildkit/api/services/control"
	bkclient "github.com/moby/buildkit/client"
)

// Buildkitd is a buildkitd process serving gRPC on a unix socket.
type Buildkitd struct {
	// Address is "unix:///PATH".
	Address string
	// LogFile holds the daemon's output; it is shown if the test fails.
	LogFile string
}

// StartBuildkitd starts a real buildkitd (root required) with its OCI
// worker, its root in a temp dir, its socket and trace socket in a fresh
// short temp dir, waits until it lists its workers and stops it when the
// test ends. It is the builder of the tests of build and containers; the
// embedded builder's own lifecycle is tested in its package.
func StartBuildkitd(t testing.TB) *Buildkitd {
	t.Helper()
	RequireRoot(t)
	bin := BuildkitdBinary(t)
	root, sockDir := t.TempDir(), shortTempDir(t)
	config := filepath.Join(root, "buildkitd.toml")
	if err := os.WriteFile(config, []byte(tlsBuildkitdConfig(filepath.Join(root, "root"), sockDir)), 0o644); err != nil {
		t.Fatal(err)
	}
	d := &Buildkitd{Address: "unix://" + filepath.Join(sockDir, "buildkitd.sock"), LogFile: filepath.Join(root, "buildkitd.log")}
	logf, err := os.Create(d.LogFile)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--config", config, "--addr", d.Address)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		stopDaemon(cmd, exited)
		if t.Failed() {
			t.Logf("buildkitd %s log (%s):\n%s", d.Address, d.LogFile, LogTail(d.LogFile))
		}
	})
	if err := waitWorkers(d.Address, exited); err != nil {
		t.Fatalf("start buildkitd: %v\nlog (%s):\n%s", err, d.LogFile, LogTail(d.LogFile))
	}
	return d
}

// waitWorkers waits until the daemon at address lists its workers, exits,
// or buildkitdReadyTimeout passes.
func waitWorkers(address string, exited <-chan error) error {
	return waitDaemon(exited, func() error { return listWorkers(address) },
		fmt.Sprintf("buildkitd at %s did not answer", address))
}

// waitDaemon polls ready every 100 ms until it succeeds, the daemon
// exits, or buildkitdReadyTimeout passes; the error then says what did
// not happen and the last failure.
func waitDaemon(exited <-chan error, ready func() error, notReady string) error {
	deadline := time.Now().Add(buildkitdReadyTimeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("%w: %v", errDaemonExited, err)
		default:
		}
		if last = ready(); last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s within %v (last: %v)", notReady, buildkitdReadyTimeout, last)
}

func listWorkers(address string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	c, err := bkclient.New(ctx, address)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.ListWorkers(ctx)
	return err
}

// ShortTempDir is a fresh directory under os.TempDir whose paths fit in
// sun_path (t.TempDir paths of long test names do not); removed when the
// test ends.
func ShortTempDir(t testing.TB) string {
	t.Helper()
	return shortTempDir(t)
}

// Activity is what one buildkitd says it has done: the build sessions it
// completed (its build history) and the image references its cache holds
// layers pulled from. Tests use it to prove which node did which work from
// the daemon's own records rather than from multiarch's output.
type Activity struct {
	Sessions   int
	PulledFrom []string
}

// DaemonActivity asks the buildkitd at address for its Activity.
func DaemonActivity(t testing.TB, address string) *Activity {
	t.Helper()
	ctx := context.WithoutCancel(t.Context())
	c, err := bkclient.New(ctx, address)
	if err != nil {
		t.Fatalf("connect to %s: %v", address, err)
	}
	defer c.Close()
	a := &Activity{}
	if a.Sessions, err = completedSessions(ctx, c); err != nil {
		t.Fatalf("build history of %s: %v", address, err)
	}
	du, err := c.DiskUsage(ctx)
	if err != nil {
		t.Fatalf("disk usage of %s: %v", address, err)
	}
	for _, u := range du {
		if ref, ok := strings.CutPrefix(u.Description, "pulled from "); ok && !slices.Contains(a.PulledFrom, ref) {
			a.PulledFrom = append(a.PulledFrom, ref)
		}
	}
	return a
}

func completedSessions(ctx context.Context, c *bkclient.Client) (int, error) {
	cl, err := c.ControlClient().ListenBuildHistory(ctx, &controlapi.BuildHistoryRequest{EarlyExit: true})
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		ev, err := cl.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
		if ev.Record != nil && ev.Record.CompletedAt != nil {
			n++
		}
	}
}
