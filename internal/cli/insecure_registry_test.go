package cli

import (
	"net"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// plainRegistry starts the real registry over plain HTTP on this machine's
// first non-loopback IPv4 address: one multiarch reaches only when told
// to with --insecure-registry.
func plainRegistry(t *testing.T) *testenv.Registry {
	t.Helper()
	reg := testenv.StartRegistryAt(t, testenv.NonLoopbackIPv4(t))
	if strings.HasPrefix(reg.Host, "127.") {
		t.Fatalf("registry on %s is on loopback", reg.Host)
	}
	return reg
}

// pushPlain pushes idx to ref over plain HTTP.
func pushPlain(t *testing.T, ref string, idx v1.ImageIndex) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(r, idx, remote.WithContext(t.Context())); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

// notAllowing are --insecure-registry lists that must not open plain HTTP
// to the registry at host (IP:PORT): nothing, another address, another
// port of the same address, a name.
func notAllowing(host string) map[string][]string {
	ip, _, _ := net.SplitHostPort(host)
	return map[string][]string{
		"unlisted":   nil,
		"other-ip":   {"192.0.2.254:" + port(host), "198.51.100.7"},
		"other-port": {ip + ":1"},
		"other-name": {"registry.example:" + port(host)},
	}
}

// allowing are lists that must: HOST:PORT, HOST alone (every port), any
// case and an http:// scheme.
func allowing(host string) map[string][]string {
	ip, _, _ := net.SplitHostPort(host)
	return map[string][]string{
		"host-port":   {host},
		"host":        {ip},
		"with-scheme": {"HTTP://" + host + "/"},
		"among-other": {"registry.example", host},
	}
}

func port(host string) string {
	_, p, _ := net.SplitHostPort(host)
	return p
}

// insecureArgs turns a list into repeated --insecure-registry flags.
func insecureArgs(hosts []string) []string {
	var args []string
	for _, h := range hosts {
		args = append(args, "--insecure-registry", h)
	}
	return args
}

// TestInsecureRegistryCLI runs inspect, verify and index create against a
// real registry serving plain HTTP on a non-loopback address: without the
// registry listed in --insecure-registry each fails, says the registry
// serves plain HTTP and to pass --insecure-registry HOST:PORT (and nothing
// about it being unreachable), and index create writes nothing; listed (as
// HOST:PORT, HOST, with scheme or among others) each succeeds.
func TestInsecureRegistryCLI(t *testing.T) {
	reg := plainRegistry(t)
	src := reg.Ref("parts/go", "v1")
	pushPlain(t, src, testenv.GoIndex(t, testenv.Platforms(t, "linux/amd64", "linux/arm64")...))

	commands := map[string]func(target string) []string{
		"inspect":      func(string) []string { return []string{"inspect", src} },
		"verify":       func(string) []string { return []string{"verify", src, "--platform", "linux/amd64,linux/arm64"} },
		"index-create": func(target string) []string { return []string{"index", "create", "-t", target, src} },
	}
	for cmd, args := range commands {
		for list, hosts := range notAllowing(reg.Host) {
			t.Run(cmd+"/refused-"+list, func(t *testing.T) {
				target := reg.Ref("refused/"+cmd+"-"+list, "v1")
				r := runWithin(t, cliQuickTimeout, append(args(target), insecureArgs(hosts)...)...)
				requirePlainHTTPError(t, cmd, r, reg.Host, src)
				if cmd == "index-create" {
					testenv.CheckNotPushed(t, target, name.Insecure)
				}
				t.Logf("%s: %v\n%s", cmd, r.err, r.stdout)
			})
		}
		for list, hosts := range allowing(reg.Host) {
			t.Run(cmd+"/allowed-"+list, func(t *testing.T) {
				target := reg.Ref("allowed/"+cmd+"-"+list, "v1")
				r := runWithin(t, cliQuickTimeout, append(args(target), insecureArgs(hosts)...)...)
				if !r.ok() {
					t.Fatalf("%s with %q: %v\n%s", cmd, hosts, r.err, r.stdout)
				}
				checkAllowedOutput(t, cmd, r.stdout, target)
			})
		}
	}
}

// requirePlainHTTPError fails unless the command failed (exit 1) and its
// error, as the user reads it, says that the registry at host serves
// plain HTTP and, on the next line, to pass --insecure-registry host, names ref once, and
// says neither that the registry is unreachable nor to check that it runs.
func requirePlainHTTPError(t *testing.T, what string, r cliResult, host, ref string) {
	t.Helper()
	requireFailureSays(t, what, r, ": plain HTTP not allowed: "+host+" serves plain HTTP\npass --insecure-registry "+host+
		" (only loopback registries are allowed plain HTTP automatically)")
	msg := r.message()
	if n := strings.Count(msg, ref); n != 1 {
		t.Errorf("%s: error names %s %d times:\n%s", what, ref, n, msg)
	}
	for _, s := range []string{"unreachable", "running", "check the"} {
		if strings.Contains(msg, s) {
			t.Errorf("%s: error says %q:\n%s", what, s, msg)
		}
	}
}

// checkAllowedOutput checks what a successful command printed and, for
// index create, that target resolves to an index of both platforms.
func checkAllowedOutput(t *testing.T, cmd, out, target string) {
	t.Helper()
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		if !strings.Contains(out, p) {
			t.Errorf("%s output lacks %s:\n%s", cmd, p, out)
		}
	}
	switch cmd {
	case "verify":
		if strings.Count(out, "\nok ") != 2 {
			t.Errorf("verify: want two ok lines:\n%s", out)
		}
	case "index-create":
		r, err := name.ParseReference(target, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Index(r, remote.WithContext(t.Context()))
		if err != nil {
			t.Fatalf("created index %s: %v", target, err)
		}
		if im, _ := idx.IndexManifest(); im == nil || len(im.Manifests) != 2 {
			t.Errorf("created index %s: %+v", target, im)
		}
	}
}
