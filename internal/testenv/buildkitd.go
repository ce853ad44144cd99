package testenv

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// envBuildkitd is the variable naming the buildkitd binary (embedded's
// EnvBuildkitd; testenv cannot import it, since its tests import testenv).
const envBuildkitd = "MULTIARCH_BUILDKITD"

// buildkitdReadyTimeout bounds how long StartTLSBuildkitd waits for the
// daemon's TLS listener.
const buildkitdReadyTimeout = 30 * time.Second

// TLSBuildkitd is a buildkitd process serving gRPC only on
// tcp://127.0.0.1:PORT with mutual TLS.
type TLSBuildkitd struct {
	// Address is "tcp://127.0.0.1:PORT".
	Address string
	// LogFile holds the daemon's output; it is shown if the test fails.
	LogFile string
}

// BuildkitdBinary returns $MULTIARCH_BUILDKITD, else <repo>/bin/buildkitd;
// a missing binary fails the test in CI and skips it elsewhere.
func BuildkitdBinary(t testing.TB) string {
	t.Helper()
	bin := os.Getenv(envBuildkitd)
	if bin == "" {
		bin = filepath.Join(RepoRoot(t), "bin", "buildkitd")
	}
	_, err := os.Stat(bin)
	Require(t, err == nil, "buildkitd binary "+bin+" missing: make build (go build -o bin/buildkitd github.com/moby/buildkit/cmd/buildkitd)")
	return bin
}

// StartTLSBuildkitd starts a real buildkitd (root required) with its OCI
// worker, its root in a temp dir, its trace socket in a fresh short temp
// dir (buildkitd's default one is shared by the whole machine), listening
// on a free loopback port with server certificate server and demanding
// client certificates signed by the CA in clientCA. It waits until a TLS
// handshake succeeds and stops the daemon when the test ends.
func StartTLSBuildkitd(t testing.TB, server KeyPair, clientCA string) *TLSBuildkitd {
	t.Helper()
	RequireRoot(t)
	bin := BuildkitdBinary(t)
	var lastErr error
	// The free port is found by closing a listener, so another process can
	// take it first; buildkitd then exits, and another port is tried.
	for attempt := 1; attempt <= 3; attempt++ {
		d, err := startTLSBuildkitd(t, bin, server, clientCA)
		if err == nil {
			return d
		}
		lastErr = err
		if !errors.Is(err, errDaemonExited) {
			break
		}
	}
	t.Fatalf("start buildkitd with TLS: %v", lastErr)
	return nil
}

var errDaemonExited = errors.New("buildkitd exited before it answered")

func startTLSBuildkitd(t testing.TB, bin string, server KeyPair, clientCA string) (*TLSBuildkitd, error) {
	t.Helper()
	root := t.TempDir()
	sockDir := shortTempDir(t)
	port, err := freePortOn(net.IPv4(127, 0, 0, 1))
	if err != nil {
		return nil, err
	}
	config := filepath.Join(root, "buildkitd.toml")
	if err := os.WriteFile(config, []byte(tlsBuildkitdConfig(filepath.Join(root, "root"), sockDir)), 0o644); err != nil {
		return nil, err
	}
	d := &TLSBuildkitd{Address: "tcp://127.0.0.1:" + strconv.Itoa(port), LogFile: filepath.Join(root, "buildkitd.log")}
	logf, err := os.Create(d.LogFile)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, "--config", config, "--addr", d.Address,
		"--tlscert", server.Cert, "--tlskey", server.Key, "--tlscacert", clientCA)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() { stopDaemon(cmd, exited) }
	if err := waitTLSReady(port, exited); err != nil {
		stop()
		return nil, fmt.Errorf("%w\nlog (%s):\n%s", err, d.LogFile, LogTail(d.LogFile))
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("buildkitd %s log (%s):\n%s", d.Address, d.LogFile, LogTail(d.LogFile))
		}
	})
	return d, nil
}

// tlsBuildkitdConfig is the daemon's buildkitd.toml: its root, its own
// trace socket, the OCI worker only.
func tlsBuildkitdConfig(root, sockDir string) string {
	return fmt.Sprintf("root = %q\n\n[otel]\n  socketPath = %q\n\n[worker.oci]\n  enabled = true\n\n[worker.containerd]\n  enabled = false\n",
		root, filepath.Join(sockDir, "otel.sock"))
}

// shortTempDir is a fresh directory under os.TempDir whose paths fit in
// sun_path (t.TempDir paths of long test names do not); removed when the
// test ends.
func shortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ma")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// waitTLSReady waits until a TLS handshake with 127.0.0.1:port completes
// (the gRPC server accepts), the daemon exits, or buildkitdReadyTimeout
// passes. The server's certificate is not verified: the caller's client is
// what the test is about.
func waitTLSReady(port int, exited <-chan error) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	handshake := func() error {
		dialer := &net.Dialer{Timeout: 2 * time.Second}
		conn, err := tls.DialWithDialer(dialer, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
		if err == nil {
			conn.Close()
		}
		return err
	}
	return waitDaemon(exited, handshake, fmt.Sprintf("buildkitd on %s did not complete a TLS handshake", addr))
}

// stopDaemon sends SIGTERM and kills the process if it has not exited
// within 10s.
func stopDaemon(cmd *exec.Cmd, exited <-chan error) {
	_ = cmd.Process.Signal(unix.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
}
