package builder

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// tlsNode serves TLS with cfg on a loopback port: every connection gets
// one byte after its handshake (a gRPC server's first frame) and is
// closed. It returns the tcp:// endpoint.
func tlsNode(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	return serveConns(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() == nil {
			tc.Write([]byte{0})
			tc.Read(make([]byte, 1)) // until the client goes
		}
	})
}

// plainNode serves something that is not TLS: an HTTP/2 SETTINGS frame,
// what a plain-text gRPC server sends first.
func plainNode(t *testing.T) string {
	t.Helper()
	return serveConns(t, func(c net.Conn) {
		c.Write([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0})
		c.Read(make([]byte, 1))
	})
}

func serveConns(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return "tcp://" + l.Addr().String()
}

// serverTLS is a node's TLS config: its key pair, and the CA its clients'
// certificates must be signed by (none: no client certificate asked for).
func serverTLS(t *testing.T, kp testenv.KeyPair, clientCA string) *tls.Config {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(kp.Cert, kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	if clientCA != "" {
		b, err := os.ReadFile(clientCA)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ClientCAs = x509.NewCertPool()
		cfg.ClientCAs.AppendCertsFromPEM(b)
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg
}

// TestCheckTLS runs the TLS check against in-process nodes set up right
// and wrong: each wrong set-up is a *NodeTLSError saying what the
// handshake showed; a node that takes the client, or where nothing
// listens, or that speaks no TLS to a client without TLS options, is not
// a TLS problem.
func TestCheckTLS(t *testing.T) {
	ca, other := testenv.NewCA(t, "node-ca"), testenv.NewCA(t, "other-ca")
	server := ca.IssueServer(t, "node")
	client, stranger := ca.IssueClient(t, "client"), other.IssueClient(t, "stranger")
	mutual := tlsNode(t, serverTLS(t, server, ca.CertFile))
	tls12 := serverTLS(t, server, ca.CertFile)
	tls12.MaxVersion = tls.VersionTLS12
	mutual12 := tlsNode(t, tls12)
	serverOnly := tlsNode(t, serverTLS(t, server, ""))
	// Lists ca as acceptable, so the client sends its certificate, and
	// then refuses it.
	picky := serverTLS(t, server, ca.CertFile)
	picky.VerifyPeerCertificate = func([][]byte, [][]*x509.Certificate) error { return errors.New("not this one") }
	refusing := tlsNode(t, picky)
	plain := plainNode(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "tcp://" + l.Addr().String()
	l.Close()

	withCert := &TLSFiles{CA: ca.CertFile, Cert: client.Cert, Key: client.Key}
	tests := []struct {
		name     string
		endpoint string
		tls      *TLSFiles
		problem  string // empty: no TLS problem
		kind     TLSProblem
	}{
		{"mutual", mutual, withCert, "", 0},
		{"server-only", serverOnly, &TLSFiles{CA: ca.CertFile}, "", 0},
		{"wrong-ca", mutual, &TLSFiles{CA: other.CertFile, Cert: client.Cert, Key: client.Key},
			"its certificate is signed by CN=node-ca, which is not a CA in the CA file " + other.CertFile + " (x509: certificate signed by unknown authority)", TLSUnknownAuthority},
		{"wrong-name", mutual, &TLSFiles{CA: ca.CertFile, Cert: client.Cert, Key: client.Key, ServerName: "node.example"},
			"its certificate is not valid for node.example (x509: certificate is valid for localhost, not node.example)", TLSWrongHost},
		{"no-client-cert", mutual, &TLSFiles{CA: ca.CertFile},
			"it requires a client certificate signed by CN=node-ca, and none was given", TLSClientCertMissing},
		{"no-client-cert-tls12", mutual12, &TLSFiles{CA: ca.CertFile},
			"it requires a client certificate signed by CN=node-ca, and none was given", TLSClientCertMissing},
		{"foreign-client-cert", mutual, &TLSFiles{CA: ca.CertFile, Cert: stranger.Cert, Key: stranger.Key},
			"it requires a client certificate signed by CN=node-ca, and the client certificate " + stranger.Cert + " is signed by CN=other-ca (so none was sent)", TLSClientCertForeign},
		{"client-cert-refused", refusing, withCert, "it refused the client certificate " + client.Cert + " (remote error: tls: ", TLSClientCertRefused},
		{"no-tls-options", mutual, nil, "it speaks TLS, and the builder has no TLS options for it", TLSNoOptions},
		{"plain-node", plain, withCert, "it does not speak TLS", TLSPlainNode},
		{"plain-node-no-tls-options", plain, nil, "", 0},
		{"nothing-listens", closed, withCert, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			grpcErr := errors.New("what gRPC said")
			got := checkTLS(t.Context(), Node{Endpoint: tc.endpoint, TLS: tc.tls}, grpcErr)
			if tc.problem == "" {
				if got != nil {
					t.Fatalf("want no TLS problem, got %v", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("want %q, got no TLS problem", tc.problem)
			}
			t.Logf("%v", got)
			plain := tc.kind == TLSPlainNode
			if !strings.HasPrefix(got.Problem(), tc.problem) || got.Kind != tc.kind || got.Plain() != plain || got.Address != tc.endpoint {
				t.Errorf("got %+v, want problem %q, kind %v, plain %v", got, tc.problem, tc.kind, plain)
			}
			// The text names the TLS files, not the CLI's options for them.
			if strings.Contains(got.Error(), "--") {
				t.Errorf("%q names a CLI flag", got.Error())
			}
			checkTLSFields(t, got, tc.tls)
			if !errors.Is(got, grpcErr) {
				t.Errorf("gRPC's error is not wrapped")
			}
		})
	}
}

// checkTLSFields checks that got carries the TLS file its Kind is about.
func checkTLSFields(t *testing.T, got *NodeTLSError, files *TLSFiles) {
	t.Helper()
	switch got.Kind {
	case TLSUnknownAuthority:
		if got.CA != files.CA || got.Issuer != "CN=node-ca" || got.Cause == nil {
			t.Errorf("unknown authority: CA %q issuer %q cause %v", got.CA, got.Issuer, got.Cause)
		}
	case TLSWrongHost:
		if got.Host != files.ServerName || got.Cause == nil {
			t.Errorf("wrong host: host %q cause %v", got.Host, got.Cause)
		}
	case TLSClientCertForeign:
		if got.Cert != files.Cert || got.Issuer != "CN=other-ca" || len(got.AcceptableCAs) != 1 || got.AcceptableCAs[0] != "CN=node-ca" {
			t.Errorf("foreign client certificate: %+v", got)
		}
	case TLSClientCertRefused:
		if got.Cert != files.Cert || got.Cause == nil {
			t.Errorf("refused client certificate: cert %q cause %v", got.Cert, got.Cause)
		}
	}
}

// TestProbeNodeTLS probes in-process nodes through BuildKit's client: a
// node that refuses the missing client certificate is a *NodeTLSError
// with the same message every time (gRPC alone reports the alert or a cut
// connection, at random), of a node that speaks TLS; a port where nothing
// listens is still an *UnreachableError.
func TestProbeNodeTLS(t *testing.T) {
	ca := testenv.NewCA(t, "node-ca")
	node := Node{Endpoint: tlsNode(t, serverTLS(t, ca.IssueServer(t, "node"), ca.CertFile)), TLS: &TLSFiles{CA: ca.CertFile}}
	want := "TLS with node " + node.Endpoint + " failed: it requires a client certificate signed by CN=node-ca, and none was given"
	for range 20 {
		_, err := ProbeNode(t.Context(), node)
		var terr *NodeTLSError
		if !errors.As(err, &terr) || err.Error() != want {
			t.Fatalf("got %v, want %q", err, want)
		}
		// The node speaks TLS: the CLI's advice is then what to check in
		// the TLS options (cli's TestTLSAdvice), not to start the node.
		if terr.Plain() || terr.Kind != TLSClientCertMissing || len(terr.AcceptableCAs) != 1 || terr.AcceptableCAs[0] != "CN=node-ca" {
			t.Fatalf("%+v: the node speaks TLS", terr)
		}
		var unreachable *UnreachableError
		if errors.As(err, &unreachable) {
			t.Fatalf("%v is also an UnreachableError", err)
		}
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := Node{Endpoint: "tcp://" + l.Addr().String(), TLS: node.TLS}
	l.Close()
	_, err = ProbeNode(t.Context(), down)
	var unreachable *UnreachableError
	var terr *NodeTLSError
	if !errors.As(err, &unreachable) || errors.As(err, &terr) {
		t.Errorf("nothing listening: want only an UnreachableError, got %v", err)
	}
}

// TestConnectNodeBadTLSFiles: TLS files that do not load make an invalid
// builder, not a node that does not answer.
func TestConnectNodeBadTLSFiles(t *testing.T) {
	notPEM := t.TempDir() + "/ca.pem"
	if err := os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := ProbeNode(t.Context(), Node{Endpoint: "tcp://127.0.0.1:1", TLS: &TLSFiles{CA: notPEM}})
	var unreachable *UnreachableError
	var fileErr *TLSFileError
	// The option to check is the CLI's advice (TestBuilderTLSFileHints).
	if !errors.Is(err, ErrInvalidBuilder) || errors.As(err, &unreachable) || !errors.As(err, &fileErr) || fileErr.CA != notPEM ||
		!strings.Contains(err.Error(), "CA file "+notPEM+" holds no PEM certificate") {
		t.Errorf("got %v", err)
	}
}

func TestProbeUnreachable(t *testing.T) {
	_, err := Probe(t.Context(), "unix://"+testenv.ShortTempDir(t)+"/buildkitd.sock")
	var ue *UnreachableError
	if !errors.As(err, &ue) {
		t.Fatalf("want UnreachableError, got %T %v", err, err)
	}
}
