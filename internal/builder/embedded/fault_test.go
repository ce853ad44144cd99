package embedded

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestMountsOf(t *testing.T) {
	info := strings.Join([]string{
		`22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw`,
		`30 22 0:40 / /s/root rw shared:2 - ext4 /dev/sdb1 rw`,
		`31 22 0:41 / /s/root/runc-overlayfs/executor/abc/rootfs rw - overlay overlay rw,lowerdir=/s/root/snap/3/fs,upperdir=/s/root/snap/4/fs,workdir=/s/root/snap/4/work`,
		`32 22 0:42 / /tmp/buildkit-mount123 rw - overlay overlay rw,lowerdir=/s/root/snap/1/fs:/s/root/snap/2/fs`,
		`33 22 0:43 / /tmp/other rw - overlay overlay rw,lowerdir=/var/lib/docker/x,upperdir=/var/lib/docker/y`,
		`34 22 0:44 / /s/root/with\040space rw - tmpfs tmpfs rw`,
		`35 22 0:45 / /s/rootless rw - tmpfs tmpfs rw`,
		`garbage line`,
	}, "\n")
	got, err := mountsOf(strings.NewReader(info), "/s/root")
	if err != nil {
		t.Fatal(err)
	}
	// Below the root (not the root itself: a disk the user mounted
	// there), overlays with a layer in it, newest first.
	want := []string{"/s/root/with space", "/tmp/buildkit-mount123", "/s/root/runc-overlayfs/executor/abc/rootfs"}
	if !slices.Equal(got, want) {
		t.Errorf("mountsOf = %q, want %q", got, want)
	}
}

// fakeDaemon starts a process whose command line names e's config, as
// buildkitd's does, and a socket at e's that accepts connections and never
// answers: a buildkitd that is stuck.
func fakeDaemon(t *testing.T, e *Builder) *exec.Cmd {
	t.Helper()
	if err := os.MkdirAll(e.stateDir, 0o700); err != nil {
		t.Fatal(err)
	}
	cfg, err := e.config()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.configFile(), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", e.socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	cmd := exec.Command("sh", "-c", "while :; do sleep 1; done", "--config", e.configFile())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	if err := writePID(e.pidFile(), cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestHungDaemon: our buildkitd runs but does not answer. Status and Up
// say so (a *HungError naming pid and socket) within one probe's
// deadline when it is stuck, at once when it is stopped; Down stops it,
// stopped or not.
func TestHungDaemon(t *testing.T) {
	for _, stop := range []bool{false, true} {
		t.Run(map[bool]string{false: "stuck", true: "stopped"}[stop], func(t *testing.T) {
			t.Parallel()
			hungCase(t, stop)
		})
	}
}

func hungCase(t *testing.T, stop bool) {
	sock := filepath.Join(testenv.ShortTempDir(t), "bk.sock")
	e, err := New(WithStateDir(t.TempDir()), WithSocket(sock), WithReadyTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	pid := fakeDaemon(t, e).Process.Pid
	if stop {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		waitState(t, pid, isStopped)
	}
	bound := builder.ProbeTimeout + 2*time.Second
	if stop {
		bound = time.Second
	}
	start := time.Now()
	_, err = e.Status(t.Context())
	checkHung(t, "status", err, pid, sock, stop, time.Since(start), bound)
	start = time.Now()
	_, _, err = e.Up(t.Context())
	checkHung(t, "up", err, pid, sock, stop, time.Since(start), bound)

	start = time.Now()
	if stopped, err := e.Down(t.Context()); err != nil || !stopped {
		t.Fatalf("down (stopped %v): stopped=%v err=%v", stop, stopped, err)
	}
	if d := time.Since(start); d > StopGrace/2 {
		t.Errorf("down (stopped %v) took %v: SIGTERM was not acted on", stop, d)
	}
	if ownsProcess(pid, e.configFile()) {
		t.Errorf("pid %d runs after down", pid)
	}
}

func checkHung(t *testing.T, what string, err error, pid int, sock string, stopped bool, took, bound time.Duration) {
	t.Helper()
	var hung *HungError
	if !errors.As(err, &hung) || hung.PID != pid || hung.Socket != sock || hung.Stopped != stopped {
		t.Errorf("%s (stopped %v): want a HungError of pid %d on %s, got %#v", what, stopped, pid, sock, err)
	}
	if took > bound {
		t.Errorf("%s (stopped %v) took %v, bound %v", what, stopped, took, bound)
	}
}

func waitState(t *testing.T, pid int, ok func(int) bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ok(pid) {
			return
		}
	}
	t.Fatalf("pid %d: state %c", pid, procState(pid))
}
