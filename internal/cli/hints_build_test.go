package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestExplainBuildError checks that each typed build error says what to
// do next: on the embedded builder, and on the one at $BUILDKIT_HOST.
func TestExplainBuildError(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want []string
	}{
		{&builder.UnreachableError{Address: "unix:///x"}, []string{"no builder reachable at unix:///x", "multiarch builder up", builder.EnvBuildkitHost}},
		{&builder.UnsupportedPlatformError{Address: "unix:///x", Platforms: testenv.Platforms(t, "linux/s390x", "linux/ppc64le")},
			[]string{"cannot build linux/s390x, linux/ppc64le", "multiarch binfmt install linux/s390x linux/ppc64le"}},
		{&build.PushRefusedError{Ref: "r.example/a:b", StatusCode: 401}, []string{"refused push to r.example/a:b (HTTP 401)", "log in"}},
		{&build.RegistryUnreachableError{Registry: "r.example"}, []string{"registry r.example unreachable", "registry is running"}},
		// $BUILDKIT_HOST can carry no TLS options: a named builder can.
		{&builder.NodeTLSError{Address: "tcp://n:1234", Kind: builder.TLSNoOptions},
			[]string{"TLS with node tcp://n:1234 failed: it speaks TLS", "\nthe builder has no --tls-* options for the node\n", "the node uses TLS: --tls-ca must be",
				"multiarch builder create NAME --node tcp://n:1234 --tls-ca FILE", "--builder NAME"}},
	} {
		got := &app.BuilderError{Source: app.SourceEmbedded, Address: "unix:///x", Err: tc.err}
		if !errors.Is(got, tc.err) {
			t.Errorf("%v: the typed error is lost", tc.err)
		}
		requireErrorSays(t, fmt.Sprintf("%T", tc.err), got, tc.want...)
	}
	// With $BUILDKIT_HOST the builder, the embedded builder is not the one to start.
	got := Message(&app.BuilderError{Source: app.SourceBuildkitHost, Address: "tcp://far:1234", Err: &builder.UnreachableError{Address: "tcp://far:1234"}})
	if !strings.Contains(got, "start buildkitd at BUILDKIT_HOST=tcp://far:1234, or unset BUILDKIT_HOST") || strings.Contains(got, "builder up") {
		t.Errorf("BUILDKIT_HOST unreachable: %q", got)
	}
	if a := startAdvice("remote (BUILDKIT_HOST)", "tcp://far:1234"); strings.Contains(a, "builder up") || !strings.Contains(a, "tcp://far:1234") {
		t.Errorf("status advice for BUILDKIT_HOST: %q", a)
	}
	// A refusal that internal/registry already explained is not explained twice.
	hinted := &build.PushRefusedError{Ref: "r.example/a:b", StatusCode: 401,
		Err: &registry.Error{Kind: registry.ErrUnauthorized, Host: "r.example"}}
	if got := Message(hinted); strings.Count(got, "log in") != 1 {
		t.Errorf("want the login advice once: %q", got)
	}
}

// TestExplainDaemonFault checks the advice for a builder whose daemon
// hung or went away during a build: the embedded one is restarted with
// builder up (down first when hung) and its log named; the one at
// $BUILDKIT_HOST or a named builder's node is restarted by its owner.
func TestExplainDaemonFault(t *testing.T) {
	hung := &embedded.HungError{PID: 42, Socket: "/run/x.sock", Stopped: true, LogFile: "/s/buildkitd.log"}
	requireErrorSays(t, "stopped", &app.BuilderError{Source: app.SourceEmbedded, Address: "unix:///run/x.sock", Err: hung},
		"buildkitd pid 42 is running but does not answer on /run/x.sock (the process is stopped",
		"`multiarch builder down` then `multiarch builder up`", "`kill -CONT 42`", "/s/buildkitd.log")
	hung.Stopped = false
	if got := Message(hung); strings.Contains(got, "kill -CONT") || !strings.Contains(got, "builder down") {
		t.Errorf("stuck, not stopped: %q", got)
	}

	lost := fmt.Errorf("build failed, nothing exported: %w", &build.NodeBuildError{Node: "unix:///x",
		Err: &builder.ConnectionLostError{Address: "unix:///x", Err: errors.New("rpc error: code = Unavailable desc = error reading from server: EOF")}})
	requireErrorSays(t, "lost embedded", &app.BuilderError{Source: app.SourceEmbedded, Address: "unix:///x", LogFile: "/s/buildkitd.log", PID: 42, Gone: true, Err: lost},
		"the builder at unix:///x stopped answering during the build", "buildkitd (pid 42) stopped", "`multiarch builder up` restarts it", "/s/buildkitd.log")
	requireErrorSays(t, "lost embedded, still running", &app.BuilderError{Source: app.SourceEmbedded, Address: "unix:///x", PID: 42, Err: lost},
		"buildkitd (pid 42) still runs")
	got := Message(&app.BuilderError{Source: app.SourceBuildkitHost, Address: "unix:///x", Err: lost})
	if !strings.Contains(got, "see why the buildkitd at unix:///x stopped") || strings.Contains(got, "builder up") {
		t.Errorf("lost BUILDKIT_HOST: %q", got)
	}
	got = Message(&app.BuilderError{Source: app.SourceNamed, Name: "farm", Err: lost})
	if !strings.Contains(got, "multiarch builder status farm") || strings.Contains(got, "builder up") {
		t.Errorf("lost node of a named builder: %q", got)
	}
}

// TestExplainNodesError checks the advice for a named builder's nodes: a
// node that failed TLS gets what to check in its TLS options and is not
// to be started; one that does not answer is; both at once get both.
func TestExplainNodesError(t *testing.T) {
	tlsErr := &builder.NodeTLSError{Address: "tcp://a:1", Kind: builder.TLSClientCertMissing}
	down := &builder.UnreachableError{Address: "tcp://b:1", Err: errors.New("connection refused")}
	for _, tc := range []struct {
		name       string
		err        error
		want, lack []string
	}{
		{"tls", tlsErr, []string{"builder pair: TLS with node tcp://a:1 failed: it requires a client certificate, and none was given\n" +
			"no client certificate was given (--tls-cert, --tls-key)\n" + tlsAdvice(tlsErr) + "\n",
			"`multiarch builder status pair` shows every node's state; to change a node's TLS options, `multiarch builder rm pair`"},
			[]string{"start", "reachable"}},
		{"down", down, []string{"builder pair: no builder reachable at tcp://b:1", "start the node's buildkitd"}, []string{"TLS"}},
		{"both", errors.Join(tlsErr, down), []string{tlsAdvice(tlsErr), "start the node's buildkitd"}, nil},
	} {
		err := &app.BuilderError{Source: app.SourceNamed, Name: "pair", Err: tc.err}
		requireErrorSays(t, tc.name, err, tc.want...)
		got := Message(err)
		for _, l := range tc.lack {
			if strings.Contains(got, l) {
				t.Errorf("%s: %q says %q", tc.name, got, l)
			}
		}
	}
}

// TestTLSAdvice: a node that speaks TLS gets what to check in each TLS
// option, never to be started; one that does not, to drop them.
func TestTLSAdvice(t *testing.T) {
	h := tlsAdvice(&builder.NodeTLSError{Address: "tcp://a:1", Kind: builder.TLSHandshakeFailed})
	if !strings.Contains(h, "--tls-ca must be the CA that signed the node's certificate") ||
		!strings.Contains(h, "--tls-cert and --tls-key must be") || strings.Contains(h, "start") {
		t.Errorf("hint %q", h)
	}
	if h := tlsAdvice(&builder.NodeTLSError{Address: "tcp://a:1", Kind: builder.TLSPlainNode}); !strings.Contains(h, "without --tls-* options") {
		t.Errorf("plain: %q", h)
	}
}

// TestBuilderOptionHints checks the builder create options the CLI names
// for an invalid builder, on a line after builder's own flag-free text.
func TestBuilderOptionHints(t *testing.T) {
	notPEM := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, probeErr := builder.ProbeNode(t.Context(), builder.Node{Endpoint: "tcp://127.0.0.1:1", TLS: &builder.TLSFiles{CA: notPEM}})
	noNode := (&builder.Builder{Name: "x"}).Validate()
	halfPair := (&builder.Builder{Name: "x", Nodes: []builder.Node{{Endpoint: "tcp://h:1", TLS: &builder.TLSFiles{Cert: notPEM}}}}).Validate()
	for _, tc := range []struct {
		name string
		err  error
		want string // the text, then the advice on its own line
	}{
		{"no node", noNode, "invalid builder: x has no node\ngive --node ENDPOINT"},
		{"half key pair", halfPair, "the client certificate and its key go together\ngive --tls-cert and --tls-key together"},
		{"CA without PEM", probeErr, "CA file " + notPEM + " holds no PEM certificate\ncheck the node's --tls-ca"},
		{"CA unreadable", &builder.TLSFileError{CA: "/nonexistent/ca.pem", Err: fs.ErrNotExist}, "CA file: file does not exist\ncheck the node's --tls-ca"},
		{"key pair", &builder.TLSFileError{Cert: "c.pem", Key: "k.pem", Err: errors.New("tls: bad key")},
			"client certificate c.pem, key k.pem: tls: bad key\ncheck the node's --tls-cert and --tls-key"},
	} {
		if tc.err == nil || strings.Contains(tc.err.Error(), "--") {
			t.Errorf("%s: the library's text names a flag: %v", tc.name, tc.err)
			continue
		}
		if got := Message(tc.err); !strings.HasSuffix(got, tc.want) {
			t.Errorf("%s: got %q, want it to end with %q", tc.name, got, tc.want)
		}
	}
}
