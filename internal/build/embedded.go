package build

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// EnvBuildkitd names the environment variable that points at the buildkitd
// binary of the embedded builder.
const EnvBuildkitd = "MULTIARCH_BUILDKITD"

// EnvStateDir and EnvSocket name the environment variables that move the
// embedded builder's state directory and socket (DefaultStateDir,
// DefaultSocket), so a second builder (a test's, a CI job's) never touches
// the one at the usual paths. Both must be absolute: a relative value is
// an error, not ignored, since ignoring it would silently reach the
// builder the variable was meant to avoid.
const (
	EnvStateDir = "MULTIARCH_STATE_DIR"
	EnvSocket   = "MULTIARCH_SOCKET"
)

// DefaultReadyTimeout bounds how long Up waits for a started buildkitd to
// answer.
const DefaultReadyTimeout = 30 * time.Second

// Embedded is the embedded default builder: one local buildkitd with the
// OCI (runc) worker, its state, config, log and pid file in one directory
// and a unix socket. Create it with NewEmbedded.
type Embedded struct {
	stateDir     string
	socket       string
	binary       string
	insecure     []string
	readyTimeout time.Duration
	log          *slog.Logger
}

// EmbeddedOption configures NewEmbedded.
type EmbeddedOption func(*Embedded) error

// WithStateDir sets the state directory (default DefaultStateDir()). It
// holds buildkitd.toml, buildkitd.log, buildkitd.pid and BuildKit's root
// (root/).
func WithStateDir(dir string) EmbeddedOption {
	return func(e *Embedded) error {
		if !filepath.IsAbs(dir) {
			return fromEnv(EnvStateDir, dir, fmt.Errorf("state dir %q is not an absolute path", dir), "an absolute path")
		}
		e.stateDir = dir
		return nil
	}
}

// WithSocket sets the unix socket buildkitd listens on (default
// DefaultSocket()).
func WithSocket(path string) EmbeddedOption {
	return func(e *Embedded) error {
		if !filepath.IsAbs(path) {
			return fromEnv(EnvSocket, path, fmt.Errorf("socket %q is not an absolute path", path), "an absolute path")
		}
		// sun_path holds 108 bytes including the terminating NUL; the
		// trace socket next to it (traceSocket) is 5 bytes longer.
		if len(traceSocket(path)) > 107 {
			err := fmt.Errorf("socket path %q is longer than %d bytes", path, 107-len(traceSocket("")))
			if os.Getenv(EnvSocket) == "" && os.Getenv(EnvStateDir) != "" && path == DefaultSocket() {
				return fmt.Errorf("%w: it is in %s; set %s to a shorter path", err, EnvStateDir, EnvSocket)
			}
			return fromEnv(EnvSocket, path, err, "a shorter absolute path")
		}
		e.socket = path
		return nil
	}
}

// WithBinary sets the buildkitd binary (default FindBuildkitd()).
func WithBinary(path string) EmbeddedOption {
	return func(e *Embedded) error {
		if path == "" {
			return errors.New("empty buildkitd binary path")
		}
		e.binary = path
		return nil
	}
}

// WithInsecureRegistries names registries (host[:port]) buildkitd reaches
// over plain HTTP or with unverified TLS. Loopback registries need no
// entry (see daemonConfig).
func WithInsecureRegistries(hosts ...string) EmbeddedOption {
	return func(e *Embedded) error {
		for _, h := range hosts {
			if h == "" || strings.ContainsAny(h, "/ \"") {
				return fmt.Errorf("invalid registry host %q", h)
			}
		}
		e.insecure = append(e.insecure, hosts...)
		return nil
	}
}

// WithReadyTimeout bounds how long Up waits for the daemon to answer
// (default DefaultReadyTimeout).
func WithReadyTimeout(d time.Duration) EmbeddedOption {
	return func(e *Embedded) error {
		if d <= 0 {
			return fmt.Errorf("ready timeout %v is not positive", d)
		}
		e.readyTimeout = d
		return nil
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) EmbeddedOption {
	return func(e *Embedded) error {
		if l == nil {
			return errors.New("nil logger")
		}
		e.log = l
		return nil
	}
}

// fromEnv says that a bad path came from the environment variable env
// when it did, so the user knows what to fix.
func fromEnv(env, path string, err error, want string) error {
	if v := os.Getenv(env); v != "" && v == path {
		return fmt.Errorf("%s: %w (set it to %s, or unset it)", env, err, want)
	}
	return err
}

// NewEmbedded returns the embedded builder. The buildkitd binary is looked
// up (FindBuildkitd) only when Up needs to start it. A state dir or socket
// not given is DefaultStateDir() or DefaultSocket(), checked as the
// options check theirs.
func NewEmbedded(opts ...EmbeddedOption) (*Embedded, error) {
	e := &Embedded{
		readyTimeout: DefaultReadyTimeout,
		log:          slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if err := o(e); err != nil {
			return nil, err
		}
	}
	if e.stateDir == "" {
		if err := WithStateDir(DefaultStateDir())(e); err != nil {
			return nil, err
		}
	}
	if e.socket == "" {
		if err := WithSocket(DefaultSocket())(e); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// DefaultStateDir is $MULTIARCH_STATE_DIR when set, else
// /var/lib/multiarch/buildkit for root, else $XDG_STATE_HOME/multiarch
// (~/.local/state/multiarch when unset).
func DefaultStateDir() string {
	if d := os.Getenv(EnvStateDir); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/var/lib/multiarch/buildkit"
	}
	return xdgDir("XDG_STATE_HOME", ".local/state")
}

// xdgDir is multiarch's directory in the XDG base directory $xdgVar, or in
// ~/home when that variable is unset or relative (the XDG Base Directory
// spec says to ignore a relative one).
func xdgDir(xdgVar, home string) string {
	if d := os.Getenv(xdgVar); filepath.IsAbs(d) {
		return filepath.Join(d, "multiarch")
	}
	h, _ := os.UserHomeDir()
	return filepath.Join(h, home, "multiarch")
}

// DefaultSocket is $MULTIARCH_SOCKET when set, else buildkitd.sock in
// $MULTIARCH_STATE_DIR when that is set (so that variable alone moves the
// whole builder), else /run/multiarch/buildkitd.sock for root, else
// $XDG_RUNTIME_DIR/multiarch/buildkitd.sock, else buildkitd.sock in
// DefaultStateDir().
func DefaultSocket() string {
	if s := os.Getenv(EnvSocket); s != "" {
		return s
	}
	if d := os.Getenv(EnvStateDir); d != "" {
		return filepath.Join(d, "buildkitd.sock")
	}
	if os.Geteuid() == 0 {
		return "/run/multiarch/buildkitd.sock"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return filepath.Join(d, "multiarch", "buildkitd.sock")
	}
	return filepath.Join(DefaultStateDir(), "buildkitd.sock")
}

// FindBuildkitd returns the buildkitd binary: $MULTIARCH_BUILDKITD, else
// buildkitd next to the running executable, else buildkitd on PATH.
func FindBuildkitd() (string, error) {
	if p := os.Getenv(EnvBuildkitd); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvBuildkitd, p, err)
		}
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), "buildkitd")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	p, err := exec.LookPath("buildkitd")
	if err != nil {
		return "", fmt.Errorf("buildkitd not found (set %s, put it next to multiarch, or on PATH; `make build` builds bin/buildkitd): %w", EnvBuildkitd, err)
	}
	return p, nil
}

// Address is the builder address of the embedded builder: unix://<socket>.
func (e *Embedded) Address() string { return "unix://" + e.socket }

// Socket is the unix socket path.
func (e *Embedded) Socket() string { return e.socket }

// StateDir is the state directory.
func (e *Embedded) StateDir() string { return e.stateDir }

// LogFile is where buildkitd writes its log.
func (e *Embedded) LogFile() string { return filepath.Join(e.stateDir, "buildkitd.log") }

func (e *Embedded) pidFile() string    { return filepath.Join(e.stateDir, "buildkitd.pid") }
func (e *Embedded) configFile() string { return filepath.Join(e.stateDir, "buildkitd.toml") }
func (e *Embedded) lockFile() string   { return filepath.Join(e.stateDir, "lock") }
func (e *Embedded) rootDir() string    { return filepath.Join(e.stateDir, "root") }

func (e *Embedded) config() string {
	return daemonConfig(e.rootDir(), e.Address(), traceSocket(e.socket), e.insecure)
}

// traceSocket is where the daemon of socket listens for the traces of its
// helper processes. buildkitd's default is one path for the whole machine
// (/run/buildkit/otel-grpc.sock), so a second daemon (another embedded
// builder, a node of a named builder, a system buildkitd) starting at the
// same time fails with "address already in use".
func traceSocket(socket string) string { return socket + ".otel" }
