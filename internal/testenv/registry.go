package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/sys/unix"
)

// Registry is a running test registry, reachable over plain HTTP (on
// loopback, unless started with StartRegistryAt).
type Registry struct {
	// Host is "IP:PORT" (127.0.0.1 unless started with StartRegistryAt),
	// the registry part of references.
	Host string
	// URL is "http://" + Host.
	URL string
	// Username and Password are the credentials the registry demands
	// (WithBasicAuth); both empty for an open registry.
	Username, Password string
	// LogFile is where the registry process writes its log; empty for the
	// in-process registry.
	LogFile string
}

// Ref returns the reference "<host>/<repo>:<tag>" in this registry.
func (r *Registry) Ref(repo, tag string) string {
	return r.Host + "/" + repo + ":" + tag
}

// Authenticator returns the credentials for this registry (anonymous when it
// has no auth).
func (r *Registry) Authenticator() authn.Authenticator {
	if r.Username == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: r.Username, Password: r.Password}
}

// RegistryOption configures StartRegistry and StartInProcessRegistry.
type RegistryOption func(*registryConfig) error

type registryConfig struct {
	user, password string
	readyTimeout   time.Duration
}

// WithBasicAuth makes the registry demand HTTP basic auth with user and
// password: requests without them get 401 and a Basic challenge. The real
// registry uses its htpasswd access controller (bcrypt file written by the
// harness). Push helpers of this package authenticate automatically (see
// Keychain).
func WithBasicAuth(user, password string) RegistryOption {
	return func(c *registryConfig) error {
		if user == "" || password == "" || strings.Contains(user, ":") {
			return fmt.Errorf("WithBasicAuth: user and password must be non-empty and user must not contain ':'")
		}
		c.user, c.password = user, password
		return nil
	}
}

// WithReadyTimeout bounds how long StartRegistry waits for the registry to
// answer GET /v2/. Default 30s.
func WithReadyTimeout(d time.Duration) RegistryOption {
	return func(c *registryConfig) error {
		if d <= 0 {
			return fmt.Errorf("WithReadyTimeout: %v is not positive", d)
		}
		c.readyTimeout = d
		return nil
	}
}

func newRegistryConfig(t testing.TB, opts []RegistryOption) registryConfig {
	t.Helper()
	c := registryConfig{readyTimeout: 30 * time.Second}
	for _, o := range opts {
		if err := o(&c); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// registries maps the host of every registry this process started to its
// credentials, so push helpers that take only a reference can log in.
var registries sync.Map // host → authn.Authenticator

type keychain struct{}

// Keychain resolves the credentials of registries started by this package
// (anonymous for anything else). Push helpers use it; tests can pass it to
// remote.WithAuthFromKeychain.
func Keychain() authn.Keychain { return keychain{} }

func (keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if a, ok := registries.Load(r.RegistryStr()); ok {
		return a.(authn.Authenticator), nil
	}
	return authn.Anonymous, nil
}

func track(t testing.TB, r *Registry) {
	registries.Store(r.Host, r.Authenticator())
	t.Cleanup(func() { registries.Delete(r.Host) })
}

// StartRegistry starts a real distribution registry process (the binary
// built from the module pinned in go.mod) on 127.0.0.1 with filesystem
// storage in a temp dir, waits until GET /v2/ answers and stops it when the
// test ends. Its log is shown if the test fails.
//
// The binary is $MULTIARCH_REGISTRY_BIN, else <repo>/bin/registry, built
// with `go build` when missing.
func StartRegistry(t testing.TB, opts ...RegistryOption) *Registry {
	t.Helper()
	return startRegistry(t, net.IPv4(127, 0, 0, 1), opts)
}

// startRegistry starts the registry process listening on ip.
func startRegistry(t testing.TB, ip net.IP, opts []RegistryOption) *Registry {
	t.Helper()
	cfg := newRegistryConfig(t, opts)
	bin := registryBinary(t)
	dir := t.TempDir()

	// The free port is found by closing a listener, so another process can
	// take it before the registry binds; try again when that happens.
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		r, err := startRegistryProcess(t, bin, filepath.Join(dir, fmt.Sprint(attempt)), ip, cfg)
		if err == nil {
			track(t, r)
			return r
		}
		lastErr = err
		if !errors.Is(err, errExitedEarly) {
			break
		}
	}
	t.Fatalf("start registry on %s: %v", ip, lastErr)
	return nil
}

var errExitedEarly = errors.New("registry exited before it answered")

func startRegistryProcess(t testing.TB, bin, dir string, ip net.IP, cfg registryConfig) (*Registry, error) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, "storage"), 0o755); err != nil {
		return nil, err
	}
	port, err := freePortOn(ip)
	if err != nil {
		return nil, err
	}
	r := &Registry{
		Host:     net.JoinHostPort(ip.String(), strconv.Itoa(port)),
		Username: cfg.user,
		Password: cfg.password,
		LogFile:  filepath.Join(dir, "registry.log"),
	}
	r.URL = "http://" + r.Host

	auth := ""
	if cfg.user != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(cfg.password), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, fmt.Appendf(nil, "%s:%s\n", cfg.user, hash), 0o600); err != nil {
			return nil, err
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: multiarch-test\n    path: %q\n", htpasswd)
	}
	config := fmt.Sprintf(`version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: %q
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %q
  secret: multiarch-test-secret
%s`, filepath.Join(dir, "storage"), r.Host, auth)
	configPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(r.LogFile)
	if err != nil {
		return nil, err
	}
	defer logf.Close()

	cmd := exec.Command(bin, "serve", configPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	// No OTLP exporter: nothing listens for traces here.
	cmd.Env = append(os.Environ(), "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	if err := waitReady(r.URL, cfg.readyTimeout, exited); err != nil {
		stopDaemon(cmd, exited)
		return nil, fmt.Errorf("%w\nconfig:\n%s\nlog (%s):\n%s", err, config, r.LogFile, LogTail(r.LogFile))
	}
	t.Cleanup(func() {
		stopDaemon(cmd, exited)
		if t.Failed() {
			t.Logf("registry %s log (%s):\n%s", r.Host, r.LogFile, LogTail(r.LogFile))
		}
	})
	return r, nil
}

// waitReady polls GET /v2/ until it answers 200 or 401 (auth enabled).
func waitReady(url string, timeout time.Duration, exited <-chan error) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("%w: %v", errExitedEarly, err)
		default:
		}
		resp, err := client.Get(url + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("registry at %s did not answer GET /v2/ within %v (last: %v)", url, timeout, statusOrErr(resp, err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func statusOrErr(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

// freePortOn returns a TCP port that was free on ip a moment ago.
func freePortOn(ip net.IP) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// LogTail returns the last 64 KiB of a log file (or why it cannot be
// read), for a failed test to show what a daemon said.
func LogTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	const max = 64 << 10
	if len(b) > max {
		b = append([]byte("...\n"), b[len(b)-max:]...)
	}
	return string(b)
}

// registryBinary finds the registry binary, building it when missing.
func registryBinary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("MULTIARCH_REGISTRY_BIN"); bin != "" {
		_, err := os.Stat(bin)
		Require(t, err == nil, fmt.Sprintf("MULTIARCH_REGISTRY_BIN=%s: %v", bin, err))
		return bin
	}
	root := RepoRoot(t)
	bin := filepath.Join(root, "bin", "registry")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	_, err := exec.LookPath("go")
	Require(t, err == nil, "registry binary "+bin+" is missing and no go command to build it: make bin/registry")
	if err := buildLocked(root, bin, "github.com/distribution/distribution/v3/cmd/registry"); err != nil {
		Require(t, false, "build "+bin+": "+err.Error())
	}
	return bin
}

// buildLocked runs `go build -o out pkg` in the repo unless out exists,
// holding a lock so parallel test processes build it once, and renaming
// into place so nobody runs a half-written binary.
func buildLocked(root, out, pkg string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(out+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return err
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	if _, err := os.Stat(out); err == nil {
		return nil
	}
	tmp := fmt.Sprintf("%s.tmp%d", out, os.Getpid())
	cmd := exec.Command("go", "build", "-o", tmp, pkg)
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return os.Rename(tmp, out)
}

// RepoRoot returns the root of the multiarch module (the directory of the
// go.mod above the working directory).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/multiarch-dev/multiarch\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: no multiarch go.mod above the working directory")
		}
		dir = parent
	}
}

// StartInProcessRegistry starts go-containerregistry's in-memory registry
// on an httptest server, for fast tests that need no real registry
// behaviour. Its log is shown if the test fails. WithBasicAuth is honoured
// (401 with a Basic challenge); WithReadyTimeout is ignored.
func StartInProcessRegistry(t testing.TB, opts ...RegistryOption) *Registry {
	t.Helper()
	cfg := newRegistryConfig(t, opts)
	var logBuf lockedBuffer
	h := ggcrregistry.New(ggcrregistry.Logger(log.New(&logBuf, "", log.LstdFlags)))
	if cfg.user != "" {
		h = basicAuth(h, cfg.user, cfg.password)
	}
	srv := httptest.NewServer(h)
	r := &Registry{
		Host:     strings.TrimPrefix(srv.URL, "http://"),
		URL:      srv.URL,
		Username: cfg.user,
		Password: cfg.password,
	}
	track(t, r)
	t.Cleanup(func() {
		srv.Close()
		if l := logBuf.String(); t.Failed() && l != "" {
			t.Logf("in-process registry %s log:\n%s", r.Host, l)
		}
	})
	return r
}

func basicAuth(next http.Handler, user, password string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, p, ok := req.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="multiarch-test"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`)
			return
		}
		next.ServeHTTP(w, req)
	})
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
