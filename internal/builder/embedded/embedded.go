package embedded

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/multiarch-dev/multiarch/internal/builder"
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
//
// The package reads no environment itself: the caller lends it hers with
// WithEnv (and to DefaultStateDir, DefaultSocket).
const (
	EnvStateDir = "MULTIARCH_STATE_DIR"
	EnvSocket   = "MULTIARCH_SOCKET"
)

// DefaultReadyTimeout bounds how long Up waits for a started buildkitd to
// answer.
const DefaultReadyTimeout = 30 * time.Second

// Builder is the embedded default builder: one local buildkitd with the
// OCI (runc) worker, its state, config, log and pid file in one directory
// and a unix socket. Create it with New.
type Builder struct {
	stateDir     string
	socket       string
	insecure     []string
	readyTimeout time.Duration
	log          *slog.Logger
	getenv       func(string) string
	onCleaned    func(Cleaned)
	// settings are given (settingsGiven: Up keeps them) or kept ones.
	settings      Settings
	settingsGiven bool
}

// Option configures New.
type Option func(*Builder) error

// WithEnv lends the builder the caller's environment: the defaults of the
// state dir, socket ($MULTIARCH_STATE_DIR, $MULTIARCH_SOCKET, XDG_*) and
// buildkitd binary ($MULTIARCH_BUILDKITD) come from it, and an invalid
// path says which variable it came from. Default: an empty environment.
func WithEnv(getenv func(string) string) Option {
	return func(e *Builder) error {
		if getenv == nil {
			return errors.New("nil getenv")
		}
		e.getenv = getenv
		return nil
	}
}

// WithStateDir sets the state directory (default DefaultStateDir). It
// holds buildkitd.toml, buildkitd.log, buildkitd.pid, BuildKit's root
// (root/), runc's state root (runc/) and the wrapper that points runc at
// it (runc.sh). It must be absolute.
func WithStateDir(dir string) Option {
	return func(e *Builder) error {
		e.stateDir = dir
		return nil
	}
}

// WithSocket sets the unix socket buildkitd listens on (default
// DefaultSocket). It must be absolute and short enough for a socket path.
func WithSocket(path string) Option {
	return func(e *Builder) error {
		e.socket = path
		return nil
	}
}

// WithInsecureRegistries names registries (host[:port]) buildkitd reaches
// over plain HTTP or with unverified TLS. Loopback registries need no
// entry (see daemonConfig).
func WithInsecureRegistries(hosts ...string) Option {
	return func(e *Builder) error {
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
func WithReadyTimeout(d time.Duration) Option {
	return func(e *Builder) error {
		if d <= 0 {
			return fmt.Errorf("ready timeout %v is not positive", d)
		}
		e.readyTimeout = d
		return nil
	}
}

// WithOnCleaned tells f what Up (before it starts buildkitd) and Down
// (after it stopped it) cleaned that a killed daemon had left: runc
// containers of the builder's own runc root and mounts of its BuildKit
// root. f is called once per clean-up, with zero counts too. Default:
// not told.
func WithOnCleaned(f func(Cleaned)) Option {
	return func(e *Builder) error {
		if f == nil {
			return errors.New("nil OnCleaned func")
		}
		e.onCleaned = f
		return nil
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(e *Builder) error {
		if l == nil {
			return errors.New("nil logger")
		}
		e.log = l
		return nil
	}
}

// New returns the embedded builder. The buildkitd binary is looked up
// (Buildkitd) only when Up needs to start it. A state dir or socket not
// given is DefaultStateDir or DefaultSocket of the WithEnv environment.
func New(opts ...Option) (*Builder, error) {
	e := &Builder{
		readyTimeout: DefaultReadyTimeout,
		log:          slog.New(slog.DiscardHandler),
		getenv:       func(string) string { return "" },
		onCleaned:    func(Cleaned) {},
	}
	for _, o := range opts {
		if err := o(e); err != nil {
			return nil, err
		}
	}
	if e.stateDir == "" {
		e.stateDir = DefaultStateDir(e.getenv)
	}
	if e.socket == "" {
		e.socket = DefaultSocket(e.getenv)
	}
	if err := e.checkStateDir(); err != nil {
		return nil, err
	}
	if err := e.checkSocket(); err != nil {
		return nil, err
	}
	if !e.settingsGiven {
		if err := e.loadSettings(); err != nil {
			return nil, err
		}
	}
	return e, nil
}

func (e *Builder) checkStateDir() error {
	if !filepath.IsAbs(e.stateDir) {
		return e.fromEnv(EnvStateDir, e.stateDir, fmt.Errorf("state dir %q is not an absolute path", e.stateDir), "an absolute path")
	}
	return nil
}

func (e *Builder) checkSocket() error {
	path := e.socket
	if !filepath.IsAbs(path) {
		return e.fromEnv(EnvSocket, path, fmt.Errorf("socket %q is not an absolute path", path), "an absolute path")
	}
	// sun_path holds 108 bytes including the terminating NUL; the trace
	// socket next to it (traceSocket) is 5 bytes longer.
	if len(traceSocket(path)) > 107 {
		err := fmt.Errorf("socket path %q is longer than %d bytes", path, 107-len(traceSocket("")))
		if e.getenv(EnvSocket) == "" && e.getenv(EnvStateDir) != "" && path == DefaultSocket(e.getenv) {
			return fmt.Errorf("%w: it is in %s; set %s to a shorter path", err, EnvStateDir, EnvSocket)
		}
		return e.fromEnv(EnvSocket, path, err, "a shorter absolute path")
	}
	return nil
}

// fromEnv says that a bad path came from the environment variable env
// when it did, so the user knows what to fix.
func (e *Builder) fromEnv(env, path string, err error, want string) error {
	if v := e.getenv(env); v != "" && v == path {
		return fmt.Errorf("%s: %w (set it to %s, or unset it)", env, err, want)
	}
	return err
}

// DefaultStateDir is $MULTIARCH_STATE_DIR when set in getenv, else
// /var/lib/multiarch/buildkit for root, else $XDG_STATE_HOME/multiarch
// (~/.local/state/multiarch when unset).
func DefaultStateDir(getenv func(string) string) string {
	if d := getenv(EnvStateDir); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/var/lib/multiarch/buildkit"
	}
	return builder.UserDir(getenv, "XDG_STATE_HOME", ".local/state")
}

// DefaultSocket is $MULTIARCH_SOCKET when set in getenv, else
// buildkitd.sock in $MULTIARCH_STATE_DIR when that is set (so that
// variable alone moves the whole builder), else
// /run/multiarch/buildkitd.sock for root, else
// $XDG_RUNTIME_DIR/multiarch/buildkitd.sock, else buildkitd.sock in
// DefaultStateDir.
func DefaultSocket(getenv func(string) string) string {
	if s := getenv(EnvSocket); s != "" {
		return s
	}
	if d := getenv(EnvStateDir); d != "" {
		return filepath.Join(d, "buildkitd.sock")
	}
	if os.Geteuid() == 0 {
		return "/run/multiarch/buildkitd.sock"
	}
	if d := getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		return filepath.Join(d, "multiarch", "buildkitd.sock")
	}
	return filepath.Join(DefaultStateDir(getenv), "buildkitd.sock")
}

// Buildkitd returns the buildkitd binary Up starts: $MULTIARCH_BUILDKITD
// of the WithEnv environment, else buildkitd next to the running
// executable, else buildkitd on PATH.
func (e *Builder) Buildkitd() (string, error) {
	if p := e.getenv(EnvBuildkitd); p != "" {
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
func (e *Builder) Address() string { return "unix://" + e.socket }

// Socket is the unix socket path.
func (e *Builder) Socket() string { return e.socket }

// LogFile is where buildkitd writes its log.
func (e *Builder) LogFile() string { return filepath.Join(e.stateDir, "buildkitd.log") }

func (e *Builder) pidFile() string    { return filepath.Join(e.stateDir, "buildkitd.pid") }
func (e *Builder) configFile() string { return filepath.Join(e.stateDir, "buildkitd.toml") }
func (e *Builder) lockFile() string   { return filepath.Join(e.stateDir, "lock") }
func (e *Builder) rootDir() string    { return filepath.Join(e.stateDir, "root") }

func (e *Builder) config() (string, error) {
	return daemonConfig(e.rootDir(), e.Address(), traceSocket(e.socket), e.runcWrapper(), e.insecure, e.settings)
}

// ConfigFile is the generated buildkitd.toml.
func (e *Builder) ConfigFile() string { return e.configFile() }

// traceSocket is where the daemon of socket listens for the traces of its
// helper processes. buildkitd's default is one path for the whole machine
// (/run/buildkit/otel-grpc.sock), so a second daemon (another embedded
// builder, a node of a named builder, a system buildkitd) starting at the
// same time fails with "address already in use".
func traceSocket(socket string) string { return socket + ".otel" }
