package cli

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// Bounds on one in-process command of these tests.
const (
	cliQuickTimeout = time.Minute
	cliBuildTimeout = 3 * time.Minute
)

// runWithin runs args in-process and fails the test if they take more
// than d.
func runWithin(t *testing.T, d time.Duration, args ...string) cliResult {
	t.Helper()
	return runCLI(t, cliRun{args: args, timeout: d})
}

// nonceContext writes a FROM-scratch context copying a file that holds a
// fresh random nonce, and returns the directory and the nonce.
func nonceContext(t *testing.T) (dir, nonce string) {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	nonce = hex.EncodeToString(b)
	dir = t.TempDir()
	for n, c := range map[string]string{"Dockerfile": "FROM scratch\nCOPY nonce.txt /nonce.txt\n", "nonce.txt": nonce} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, nonce
}

// tlsHint is what every TLS failure of a node with TLS options advises.
const tlsHint = "the node uses TLS: --tls-ca must be the CA that signed the node's certificate, whose SAN must match the endpoint's host " +
	"(or give --tls-server-name NAME), and if the node requires client certificates, --tls-cert and --tls-key must be a certificate " +
	"and key signed by a CA it trusts"

// TestBuilderTLSNodeCLI drives a named builder whose only node is a real
// buildkitd on tcp://127.0.0.1:PORT demanding mutual TLS: bad TLS set-ups
// are refused at create, reported by status and fail a build naming the
// node with nothing pushed, each time saying what TLS found and what to
// check, never that the node is not reachable or should be started; the
// right certificates create the builder, status lists the node's
// platforms, and a build pushes an index that resolves and holds the
// context's file. A node that does not run is still not reachable.
//
// Under TLS 1.3 the node refuses a client certificate (or its lack) after
// the client's handshake is done, so what gRPC reports is racy (the
// alert, or a cut connection when its first write loses the race); the
// messages come from multiarch's own handshake and are the same every
// time.
func TestBuilderTLSNodeCLI(t *testing.T) {
	tempConfigDir(t)
	t.Setenv(builder.EnvBuildkitHost, "")
	os.Unsetenv(builder.EnvBuildkitHost)
	ca, other := testenv.NewCA(t, "multiarch-test-ca"), testenv.NewCA(t, "other-ca")
	node := testenv.StartTLSBuildkitd(t, ca.IssueServer(t, "node"), ca.CertFile)
	reg := testenv.StartRegistry(t)
	client, stranger := ca.IssueClient(t, "client"), other.IssueClient(t, "stranger")
	mutual := []string{"--tls-ca", ca.CertFile, "--tls-cert", client.Cert, "--tls-key", client.Key}

	for _, tc := range []struct {
		name string
		tls  []string
		// problem is what TLS found, as the error words it (naming no
		// flag); detail the hint line naming the flag behind the file it
		// names; state what builder status says, naming the flags.
		problem, detail, state string
	}{
		// The node's certificate is signed by ca; the client trusts only other.
		{"wrong-ca", []string{"--tls-ca", other.CertFile, "--tls-cert", client.Cert, "--tls-key", client.Key},
			"its certificate is signed by CN=multiarch-test-ca, which is not a CA in the CA file " + other.CertFile +
				" (x509: certificate signed by unknown authority)", "the CA file is --tls-ca " + other.CertFile,
			"its certificate is signed by CN=multiarch-test-ca, which is not a CA in --tls-ca " + other.CertFile +
				" (x509: certificate signed by unknown authority)"},
		// The node's certificate names 127.0.0.1, ::1 and localhost.
		{"wrong-server-name", append([]string{"--tls-server-name", "node.example"}, mutual...),
			"its certificate is not valid for node.example (x509: certificate is valid for localhost, not node.example)", "",
			"its certificate is not valid for node.example (x509: certificate is valid for localhost, not node.example)"},
		// The node demands a client certificate; none is given.
		{"no-client-cert", []string{"--tls-ca", ca.CertFile},
			"it requires a client certificate signed by CN=multiarch-test-ca, and none was given",
			"no client certificate was given (--tls-cert, --tls-key)",
			"it requires a client certificate signed by CN=multiarch-test-ca, and none was given (--tls-cert, --tls-key)"},
		// The client certificate is signed by a CA the node does not list
		// as acceptable, so Go's client sends none.
		{"foreign-client-cert", []string{"--tls-ca", ca.CertFile, "--tls-cert", stranger.Cert, "--tls-key", stranger.Key},
			"it requires a client certificate signed by CN=multiarch-test-ca, and the client certificate " + stranger.Cert +
				" is signed by CN=other-ca (so none was sent)", "the client certificate is --tls-cert " + stranger.Cert,
			"it requires a client certificate signed by CN=multiarch-test-ca, and --tls-cert " + stranger.Cert +
				" is signed by CN=other-ca (so none was sent)"},
		// No TLS options at all for a node that speaks TLS.
		{"no-tls", nil, "it speaks TLS, and the builder has no TLS options for it", "the builder has no --tls-* options for the node",
			"it speaks TLS, and the builder has no --tls-* options for it"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hint := tlsHint
			if tc.detail != "" {
				hint = tc.detail + "\n" + tlsHint
			}
			refused := tlsRefusal{failure: "TLS with node " + node.Address + " failed: " + tc.problem, hint: hint, state: tc.state}
			checkTLSRefused(t, node.Address, tc.name, tc.tls, refused, reg.Ref(tc.name, "v1"))
		})
	}
	t.Run("not-running", func(t *testing.T) {
		checkNodeDown(t, "tcp://"+freeAddr(t), mutual, reg.Ref("down", "v1"))
	})
	t.Run("mutual-tls", func(t *testing.T) {
		checkTLSBuild(t, node.Address, mutual, reg.Ref("tls", "v1"))
	})
}

// tlsRefusal is what the CLI says about a node whose TLS failed: failure
// the error's line, hint the lines after it (the flag behind the file the
// failure names, then what to check), state what builder status says.
type tlsRefusal struct{ failure, hint, state string }

// checkTLSRefused checks that builder name, on node addr with tlsArgs, is
// refused at create, is reported failing TLS by status and doctor, and fails a build
// to tag without pushing anything; every error says failure (TLS with the
// node failed: what it found) and hint, and none says the node is not
// reachable or to start it.
func checkTLSRefused(t *testing.T, addr, name string, tlsArgs []string, refused tlsRefusal, tag string) {
	t.Helper()
	failure, hint := refused.failure, refused.hint
	create := append([]string{"builder", "create", name, "--node", addr}, tlsArgs...)
	r := runWithin(t, cliQuickTimeout, create...)
	requireFailureSays(t, "create", r, failure+"\n"+hint+"\n", "--no-check")
	requireNoStartAdvice(t, "create", r.err)
	if _, err := builder.NewStore("").Get(name); err == nil {
		t.Errorf("create failed but stored builder %s", name)
	}

	if r := runWithin(t, cliQuickTimeout, append(create, "--no-check")...); !r.ok() {
		t.Fatalf("create --no-check: %v", r.err)
	}
	r = runWithin(t, cliQuickTimeout, "builder", "status", name)
	out := r.stdout
	_, problem, _ := strings.Cut(failure, " failed: ")
	for _, s := range []string{"node 0:     " + addr + "\nstate:      TLS failed: " + refused.state + "\n", "\n" + tlsHint + "\n"} {
		if !r.failed() || !errors.Is(r.err, ErrChecksFailed) || !strings.Contains(out, s) {
			t.Errorf("status (exit %d, %v) lacks %q:\n%s", r.code, r.err, s, out)
		}
	}
	if strings.Contains(out, "reachable") || strings.Contains(out, "start") {
		t.Errorf("status says the node is unreachable or to start it:\n%s", out)
	}
	doc, _ := doctorDoc(t, "--builder", name)
	st, msg, fix := checkOf(t, doc, "builder:node-0")
	if st != "fail" || msg != "node "+addr+" of builder "+name+" answers, but TLS fails: "+problem ||
		!strings.HasPrefix(fix, tlsHint+"; to change them: multiarch builder rm "+name) {
		t.Errorf("doctor builder:node-0: %s %q fix %q", st, msg, fix)
	}

	dir, _ := nonceContext(t)
	r = runWithin(t, cliBuildTimeout, "build", dir, "--builder", name, "--platform", "linux/amd64",
		"-t", tag, "--push", "--progress", "plain")
	requireFailureSays(t, "build", r, "builder "+name+": "+failure+"\n"+hint+"\n", "`multiarch builder status "+name+"`")
	requireNoStartAdvice(t, "build", r.err)
	t.Logf("build error: %v", r.err)
	if t.Failed() {
		t.Logf("build stderr:\n%s", r.stderr)
	}
	testenv.CheckNotPushed(t, tag)
}

// checkNodeDown checks that a node with TLS options where nothing listens
// is not reachable at create, in status and for a build, which advise to
// start its buildkitd and say nothing of TLS.
func checkNodeDown(t *testing.T, addr string, tlsArgs []string, tag string) {
	t.Helper()
	create := append([]string{"builder", "create", "down", "--node", addr}, tlsArgs...)
	r := runWithin(t, cliQuickTimeout, create...)
	requireFailureSays(t, "create", r, "node "+addr+" is not reachable", "start its buildkitd")
	if r := runWithin(t, cliQuickTimeout, append(create, "--no-check")...); !r.ok() {
		t.Fatalf("create --no-check: %v", r.err)
	}
	r = runWithin(t, cliQuickTimeout, "builder", "status", "down")
	if out := r.stdout; !r.failed() || !errors.Is(r.err, ErrChecksFailed) || !strings.Contains(out, "state:      not reachable") || !strings.Contains(out, "start the unreachable nodes' buildkitd") {
		t.Errorf("status: exit %d, %v\n%s", r.code, r.err, out)
	}
	dir, _ := nonceContext(t)
	r = runWithin(t, cliBuildTimeout, "build", dir, "--builder", "down", "--platform", "linux/amd64", "-t", tag, "--push")
	requireFailureSays(t, "build", r, "builder down: no builder reachable at "+addr, "start the node's buildkitd")
	if strings.Contains(r.message(), "TLS") {
		t.Errorf("build: the error of a node that does not run speaks of TLS: %v", r.message())
	}
	testenv.CheckNotPushed(t, tag)
}

// freeAddr is a loopback address where nothing listens (a moment ago).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// requireNoStartAdvice fails if err, as the user reads it (Message),
// says the node is not reachable or to start it: it answered.
func requireNoStartAdvice(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && (strings.Contains(Message(err), "reachable") || strings.Contains(Message(err), "start")) {
		t.Errorf("%s: error says the node is unreachable or to start it:\n%v", what, Message(err))
	}
}

// checkTLSBuild creates builder "tls" on node addr with tlsArgs, checks its
// status and builds and pushes a scratch image to tag on it.
func checkTLSBuild(t *testing.T, addr string, tlsArgs []string, tag string) {
	t.Helper()
	r := runWithin(t, cliQuickTimeout, append([]string{"builder", "create", "tls", "--node", addr}, tlsArgs...)...)
	if !r.ok() || !strings.Contains(r.stdout, "builder tls created with 1 node(s)") {
		t.Fatalf("create: %v\n%s", r.err, r.stdout)
	}
	r = runWithin(t, cliQuickTimeout, "builder", "status", "tls")
	out := r.stdout
	t.Logf("status:\n%s", out)
	native := "linux/" + runtime.GOARCH
	for _, s := range []string{"node 0:     " + addr, "state:      running", "buildkit:   v", "native:     " + native + "\n", "\nworker "} {
		if !r.ok() || !strings.Contains(out, s) {
			t.Errorf("status lacks %q (exit %d, err %v)", s, r.code, r.err)
		}
	}
	if _, workers, _ := strings.Cut(out, "\nworker "); !strings.Contains(workers, native) {
		t.Errorf("status lists no worker platform %s", native)
	}

	dir, nonce := nonceContext(t)
	meta := filepath.Join(t.TempDir(), "meta.json")
	r = runWithin(t, cliBuildTimeout, "build", dir, "--builder", "tls", "--platform", "linux/amd64",
		"-t", tag, "--push", "--progress", "plain", "--metadata-file", meta)
	if !r.ok() {
		t.Fatalf("build: %v\nstderr:\n%s", r.err, r.stderr)
	}
	out = r.stdout
	for _, s := range []string{"built 1 platform(s)", "pushed: " + tag} {
		if !strings.Contains(out, s) {
			t.Errorf("summary lacks %q:\n%s", s, out)
		}
	}
	if got := summaryNode(out, "linux/amd64"); got != addr {
		t.Errorf("summary puts linux/amd64 on %q, want %s:\n%s", got, addr, out)
	}
	checkPushedNonce(t, tag, meta, nonce, []string{"linux/amd64"})
}

// checkPushedNonce resolves tag: an index of exactly platforms (attestations
// aside), the digest the metadata file names, every entry's /nonce.txt
// holding nonce.
func checkPushedNonce(t *testing.T, tag, meta, nonce string, platforms []string, opts ...name.Option) {
	t.Helper()
	ref, err := name.ParseReference(tag, opts...)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(ref, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("pushed index %s: %v", tag, err)
	}
	var md Metadata
	b, _ := os.ReadFile(meta)
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatalf("metadata %s: %v\n%s", meta, err, b)
	}
	if d, _ := idx.Digest(); d.String() != md.Digest {
		t.Errorf("%s is %s, metadata says %s", tag, d, md.Digest)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var ps []string
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.OS != "unknown" {
			ps = append(ps, d.Platform.OS+"/"+d.Platform.Architecture)
		}
	}
	slices.Sort(ps)
	if want := slices.Sorted(slices.Values(platforms)); !slices.Equal(ps, want) {
		t.Errorf("%s holds platforms %v, want %v", tag, ps, want)
	}
	for _, p := range testenv.Platforms(t, platforms...) {
		if got := string(testenv.ReadFile(t, testenv.ImageFor(t, idx, p), "/nonce.txt")); got != nonce {
			t.Errorf("%s: /nonce.txt = %q, want %q", p, got, nonce)
		}
	}
}
