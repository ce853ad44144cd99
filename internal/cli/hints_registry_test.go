package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/probe"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestRegistryHints checks the flag- and command-shaped advice the CLI
// words from internal/registry's typed errors: what the registry package
// said itself before it named no flags.
func TestRegistryHints(t *testing.T) {
	mismatch := &url.Error{Op: "Get", URL: "https://10.1.2.3:5000/v2/", Err: http.ErrSchemeMismatch}
	for _, tc := range []struct {
		name string
		err  *registry.Error
		want string // "" for no advice
	}{
		{"serves plain HTTP", &registry.Error{Kind: registry.ErrInsecure, Host: "10.1.2.3:5000", Err: mismatch},
			"pass --insecure-registry 10.1.2.3:5000 (only loopback registries are allowed plain HTTP automatically)"},
		{"no HTTPS answer", &registry.Error{Kind: registry.ErrInsecure, Host: "r.example:5000"},
			"check the address and the registry's TLS set-up, or pass --insecure-registry r.example:5000 if it really serves plain HTTP"},
		{"unauthorized", &registry.Error{Kind: registry.ErrUnauthorized, Host: "r.example"},
			"log in with `multiarch login r.example` (or `docker login r.example`) as a user allowed to access this repository"},
		{"wrong credentials of a login", &registry.Error{Kind: registry.ErrUnauthorized}, ""},
		{"TLS", &registry.Error{Kind: registry.ErrUnreachable, Host: "r.example", TLS: true},
			"install the registry's CA certificate, or pass --insecure-registry r.example if it serves plain HTTP"},
		{"unreachable", &registry.Error{Kind: registry.ErrUnreachable, Host: "r.example:5000", Advice: "check the address and that the registry is running"},
			"if r.example:5000 serves plain HTTP, pass --insecure-registry r.example:5000"},
		{"unreachable loopback", &registry.Error{Kind: registry.ErrUnreachable, Host: "127.0.0.1:5000"}, ""},
		{"no layout", &registry.Error{Kind: registry.ErrNotFound, MissingLayout: "./out", Err: fs.ErrNotExist, Advice: "check the path"},
			"`multiarch build --output type=oci,dest=PATH` writes one"},
		{"not found", &registry.Error{Kind: registry.ErrNotFound, Host: "r.example", Advice: "check the repository name and the tag or digest"}, ""},
		{"timeout", &registry.Error{Kind: registry.ErrTimeout, Host: "r.example", Timeout: 2 * time.Second, Advice: "retry"},
			"if the registry is slow rather than stuck, allow it more than 2s with --registry-timeout (or $MULTIARCH_REGISTRY_TIMEOUT)"},
		{"Retry-After beyond the deadline", &registry.Error{Kind: registry.ErrUnavailable, Host: "r.example", RetryAfter: 2 * time.Minute, Advice: "retry later"},
			"to wait as long as the registry asks, pass --registry-timeout 2m0s or more (or set $MULTIARCH_REGISTRY_TIMEOUT)"},
		{"unavailable", &registry.Error{Kind: registry.ErrUnavailable, Host: "r.example", Advice: "the registry is failing; retry later or check its logs"}, ""},
	} {
		wrapped := fmt.Errorf("verify r.example/a:1: %w", tc.err)
		got := registryHints(wrapped)
		if tc.want == "" {
			if len(got) != 0 {
				t.Errorf("%s: want no advice, got %q", tc.name, got)
			}
			continue
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
		// The user reads it once, after the library's own.
		msg := Message(wrapped)
		if strings.Count(msg, tc.want) != 1 || (tc.err.Hint() != "" && !strings.Contains(msg, tc.err.Hint()+"\n"+tc.want)) {
			t.Errorf("%s: message\n%s", tc.name, msg)
		}
	}
}

// TestProbeHints checks the `multiarch binfmt` commands the CLI words
// from a failed probe's Kind (probe's own hint names no command).
func TestProbeHints(t *testing.T) {
	riscv := testenv.Platforms(t, "linux/riscv64")[0]
	for _, tc := range []struct {
		err  *probe.Error
		want string
	}{
		{&probe.Error{Kind: probe.NoHandler, Platform: riscv, Err: syscall.ENOEXEC}, "multiarch binfmt install linux/riscv64"},
		{&probe.Error{Kind: probe.NoHandler, Platform: riscv, Native: true}, ""},
		{&probe.Error{Kind: probe.InterpreterUnreachable, Platform: riscv},
			"multiarch binfmt reregister --flags F (or multiarch binfmt install linux/riscv64 --flags CF)"},
		{&probe.Error{Kind: probe.WrongMachine, Platform: riscv},
			"the qemu-riscv64 handler runs the wrong emulator: multiarch binfmt uninstall qemu-riscv64 && multiarch binfmt install linux/riscv64"},
		{&probe.Error{Kind: probe.Timeout, Platform: riscv, Advice: "check that qemu-riscv64-static runs"}, ""},
	} {
		got := probeHints(tc.err)
		if (tc.want == "") != (len(got) == 0) || (tc.want != "" && got[0] != tc.want) {
			t.Errorf("%v (%s): got %q, want %q", tc.err, tc.err.Kind, got, tc.want)
		}
	}
	// `binfmt ls` shows a failed probe with its fix, as the probe's own
	// message did.
	e := &probe.Error{Kind: probe.NoHandler, Platform: riscv, Detail: "exec format error", Err: syscall.ENOEXEC}
	if got := worksErrorText(e); !strings.HasSuffix(got, "exec format error; fix: multiarch binfmt install linux/riscv64") {
		t.Errorf("works error: %q", got)
	}
	if got := worksErrorText(errors.New("plain")); got != "plain" {
		t.Errorf("works error of a plain error: %q", got)
	}
}
