package testenv_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestCAMutualTLS serves HTTPS with a certificate of one CA demanding
// client certificates of it: a client of that CA with its certificate
// gets through; one trusting another CA, or presenting none, does not.
func TestCAMutualTLS(t *testing.T) {
	ca, other := testenv.NewCA(t, "ca"), testenv.NewCA(t, "other")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(r.TLS.PeerCertificates[0].Subject.CommonName))
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{loadPair(t, ca.IssueServer(t, "server"))},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool(t, ca.CertFile),
	}
	srv.StartTLS()
	defer srv.Close()

	localhost := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for _, tc := range []struct {
		name    string
		url     string
		roots   string
		certs   []tls.Certificate
		wantErr string
	}{
		{"mutual", srv.URL, ca.CertFile, []tls.Certificate{loadPair(t, ca.IssueClient(t, "alice"))}, ""},
		{"mutual-localhost", localhost, ca.CertFile, []tls.Certificate{loadPair(t, ca.IssueClient(t, "carol"))}, ""},
		{"wrong-ca", srv.URL, other.CertFile, []tls.Certificate{loadPair(t, ca.IssueClient(t, "bob"))}, "unknown authority"},
		{"no-client-cert", srv.URL, ca.CertFile, nil, "certificate required"},
		{"foreign-client-cert", srv.URL, ca.CertFile, []tls.Certificate{loadPair(t, other.IssueClient(t, "eve"))}, "certificate required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(t, tc.roots), Certificates: tc.certs}}}
			resp, err := c.Get(tc.url) // the IP SAN, or the DNS SAN localhost
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return
			}
			if err == nil {
				resp.Body.Close()
				t.Fatalf("connected, want %q", tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func loadPair(t *testing.T, kp testenv.KeyPair) tls.Certificate {
	t.Helper()
	c, err := tls.LoadX509KeyPair(kp.Cert, kp.Key)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pool(t *testing.T, caFile string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		t.Fatalf("%s holds no certificate", caFile)
	}
	return p
}
