package embedded

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/cmd/buildkitd/config"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestDaemonConfigLoads(t *testing.T) {
	s, err := daemonConfig("/var/lib/x/root", "unix:///run/x.sock", "/run/x.sock.otel", "/var/lib/x/runc.sh", []string{"reg.example:5000", "reg.example:5000", "10.0.0.1"}, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(strings.NewReader(s))
	if err != nil {
		t.Fatalf("buildkitd rejects our config: %v\n%s", err, s)
	}
	if cfg.Root != "/var/lib/x/root" || !slices.Equal(cfg.GRPC.Address, []string{"unix:///run/x.sock"}) {
		t.Errorf("root/address: %q %q", cfg.Root, cfg.GRPC.Address)
	}
	if cfg.OTEL.SocketPath != "/run/x.sock.otel" {
		t.Errorf("trace socket %q: the machine-wide default collides with other daemons", cfg.OTEL.SocketPath)
	}
	if cfg.Workers.OCI.Binary != "/var/lib/x/runc.sh" {
		t.Errorf("OCI worker binary %q: runc would use the shared /run/runc", cfg.Workers.OCI.Binary)
	}
	if cfg.Workers.OCI.Enabled == nil || !*cfg.Workers.OCI.Enabled || cfg.Workers.Containerd.Enabled == nil || *cfg.Workers.Containerd.Enabled {
		t.Errorf("workers: oci %v containerd %v", cfg.Workers.OCI.Enabled, cfg.Workers.Containerd.Enabled)
	}
	if !slices.Equal(cfg.Entitlements, []string{"network.host", "security.insecure"}) {
		t.Errorf("entitlements %v: --network host and --allow would be refused", cfg.Entitlements)
	}
	if len(cfg.Registries) != 2 {
		t.Fatalf("registries: %v", cfg.Registries)
	}
	for h, r := range cfg.Registries {
		if r.PlainHTTP == nil || !*r.PlainHTTP || r.Insecure == nil || !*r.Insecure {
			t.Errorf("registry %s not http+insecure: %+v", h, r)
		}
	}
}

func TestNewEmbeddedValidates(t *testing.T) {
	for name, opt := range map[string]Option{
		"relative state": WithStateDir("state"),
		"relative sock":  WithSocket("x.sock"),
		"long sock":      WithSocket("/" + strings.Repeat("s", 120)),
		"bad registry":   WithInsecureRegistries("http://x"),
		"zero timeout":   WithReadyTimeout(0),
	} {
		if _, err := New(opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestEmbeddedUpStatusDown(t *testing.T) {
	e := newTestEmbedded(t, testenv.BuildkitdBinary(t))
	ctx := t.Context()

	st, err := e.Status(ctx)
	if err != nil || st.Reachable || st.PID != 0 {
		t.Fatalf("before up: %+v, %v", st, err)
	}
	start := time.Now()
	st, started, err := e.Up(ctx)
	if err != nil || !started {
		t.Fatalf("up: started=%v err=%v", started, err)
	}
	t.Logf("up in %v: pid %d, platforms %v", time.Since(start), st.PID, st.Platforms())
	if st.PID == 0 || !slices.Contains(st.Platforms(), "linux/amd64") {
		t.Errorf("status after up: %+v", st)
	}
	// Its trace socket is its own, not the machine-wide default.
	if _, err := os.Stat(traceSocket(e.Socket())); err != nil {
		t.Errorf("trace socket: %v", err)
	}
	// Idempotent: a second up finds it running.
	st2, started, err := e.Up(ctx)
	if err != nil || started || st2.PID != st.PID {
		t.Fatalf("second up: started=%v pid %d→%d err=%v", started, st.PID, st2.PID, err)
	}
	st3, err := e.Status(ctx)
	if err != nil || !st3.Reachable || st3.PID != st.PID {
		t.Fatalf("status: %+v %v", st3, err)
	}
	stopped, err := e.Down(ctx)
	if err != nil || !stopped {
		t.Fatalf("down: stopped=%v err=%v", stopped, err)
	}
	if _, err := os.Stat(e.Socket()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
	if _, err := os.Stat(traceSocket(e.Socket())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("trace socket left behind: %v", err)
	}
	if stopped, err := e.Down(ctx); err != nil || stopped {
		t.Errorf("second down: stopped=%v err=%v", stopped, err)
	}
}

func TestEmbeddedUpFailsWithLog(t *testing.T) {
	e := newTestEmbedded(t, "/bin/false")
	_, _, err := e.Up(t.Context())
	var se *DaemonStartError
	if !errors.As(err, &se) || se.LogFile != e.LogFile() {
		t.Fatalf("want DaemonStartError naming %s, got %v", e.LogFile(), err)
	}
}

// newTestEmbedded returns an embedded builder of the buildkitd binary bin
// in a temp state dir on a temp socket; it is stopped when the test ends.
func newTestEmbedded(t *testing.T, bin string) *Builder {
	t.Helper()
	testenv.RequireRoot(t)
	sock := filepath.Join(testenv.ShortTempDir(t), "buildkitd.sock")
	e, err := New(WithStateDir(t.TempDir()), WithSocket(sock), WithEnv(envOf(EnvBuildkitd, bin)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := e.Down(context.WithoutCancel(t.Context())); err != nil {
			t.Errorf("down: %v", err)
		}
		if t.Failed() {
			t.Logf("buildkitd log (%s):\n%s", e.LogFile(), testenv.LogTail(e.LogFile()))
		}
	})
	return e
}
