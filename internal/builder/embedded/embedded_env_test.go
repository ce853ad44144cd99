package embedded

import (
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/builder"
)

// envOf is a getenv of the variables in kv (name, value, ...); empty
// values are unset.
func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// TestDefaultPathsFromEnv: MULTIARCH_STATE_DIR and MULTIARCH_SOCKET come
// first, and the state dir alone moves the socket too.
func TestDefaultPathsFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name, state, socket   string
		wantState, wantSocket string
		wantDefaultState      bool
	}{
		{name: "both", state: "/tmp/ma/state", socket: "/tmp/ma/bk.sock", wantState: "/tmp/ma/state", wantSocket: "/tmp/ma/bk.sock"},
		{name: "state only", state: "/tmp/ma/state", wantState: "/tmp/ma/state", wantSocket: "/tmp/ma/state/buildkitd.sock"},
		{name: "socket only", socket: "/tmp/ma/bk.sock", wantDefaultState: true, wantSocket: "/tmp/ma/bk.sock"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantState := DefaultStateDir(envOf())
			getenv := envOf(EnvStateDir, tc.state, EnvSocket, tc.socket)
			if !tc.wantDefaultState {
				wantState = tc.wantState
			}
			if got := DefaultStateDir(getenv); got != wantState {
				t.Errorf("DefaultStateDir() = %q, want %q", got, wantState)
			}
			if got := DefaultSocket(getenv); got != tc.wantSocket {
				t.Errorf("DefaultSocket() = %q, want %q", got, tc.wantSocket)
			}
			e, err := New(WithEnv(getenv))
			if err != nil {
				t.Fatal(err)
			}
			if e.stateDir != wantState || e.Address() != "unix://"+tc.wantSocket {
				t.Errorf("New(): state %q address %q", e.stateDir, e.Address())
			}
		})
	}
}

// TestDefaultPathsFromEnvInvalid: a relative or too long value is an error
// that names the variable; an explicit option still wins over the
// variable it replaces.
func TestDefaultPathsFromEnvInvalid(t *testing.T) {
	long := "/tmp/" + strings.Repeat("d", 100)
	for _, tc := range []struct{ name, state, socket, want string }{
		{"relative state", "state", "/tmp/ma/bk.sock", EnvStateDir + `: state dir "state" is not an absolute path (set it to an absolute path`},
		{"relative socket", "/tmp/ma/state", "bk.sock", EnvSocket + `: socket "bk.sock" is not an absolute path (set it to an absolute path`},
		{"long socket", "/tmp/ma/state", long, "(set it to a shorter absolute path, or unset it)"},
		{"long state dir, no socket", long, "", "set " + EnvSocket + " to a shorter path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := envOf(EnvStateDir, tc.state, EnvSocket, tc.socket)
			_, err := New(WithEnv(getenv))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New() error %v, want one containing %q", err, tc.want)
			}
			if _, err := New(WithEnv(getenv), WithStateDir("/tmp/ma/x"), WithSocket("/tmp/ma/x.sock")); err != nil {
				t.Errorf("explicit paths: %v", err)
			}
		})
	}
}

// TestXDGDir: the non-root state and config dirs follow the XDG Base
// Directory spec: an absolute $XDG_* wins, a relative one is ignored.
func TestXDGDir(t *testing.T) {
	t.Setenv("HOME", "/home/u")
	for _, tc := range []struct{ value, want string }{
		{"/xdg/state", "/xdg/state/multiarch"},
		{"", "/home/u/.local/state/multiarch"},
		{"rel/state", "/home/u/.local/state/multiarch"},
	} {
		if got := builder.UserDir(envOf("XDG_STATE_HOME", tc.value), "XDG_STATE_HOME", ".local/state"); got != tc.want {
			t.Errorf("XDG_STATE_HOME=%q: %q, want %q", tc.value, got, tc.want)
		}
	}
}
