package builder

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"
)

// tlsRefusalWait bounds how long checkTLS waits, after a handshake that
// completed, for the node to refuse the client: under TLS 1.3 the server
// checks the client certificate after the client's side of the handshake
// is done, and refuses with an alert and by closing.
const tlsRefusalWait = 2 * time.Second

// tlsConfig is the TLS configuration BuildKit's client builds for a node
// with TLS options (client.WithServerConfig, WithServerConfigSystem,
// WithCredentials; grpc verifies the endpoint's host unless a server name
// is given).
func tlsConfig(n Node) (*tls.Config, error) {
	t := n.TLS
	cfg := &tls.Config{ServerName: t.ServerName, NextProtos: []string{"h2"}}
	if cfg.ServerName == "" {
		u, err := url.Parse(n.Endpoint)
		if err != nil {
			return nil, err
		}
		cfg.ServerName = u.Hostname()
	}
	if t.CA == "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			return nil, fmt.Errorf("the system's CA certificates: %w", err)
		}
		cfg.RootCAs = pool
	} else {
		b, err := os.ReadFile(t.CA)
		if err != nil {
			return nil, &TLSFileError{CA: t.CA, Err: err}
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(b) {
			return nil, &TLSFileError{CA: t.CA}
		}
	}
	if t.Cert != "" {
		c, err := tls.LoadX509KeyPair(t.Cert, t.Key)
		if err != nil {
			return nil, &TLSFileError{Cert: t.Cert, Key: t.Key, Err: err}
		}
		cfg.Certificates = []tls.Certificate{c}
	}
	return cfg, nil
}

// checkTLS finds out, with a TLS handshake of its own, whether TLS is why
// gRPC could not talk to the tcp:// node n (its error grpcErr). gRPC only
// passes on the text of TLS errors, and a client certificate the node
// refuses shows up either as the node's alert or, when gRPC's first write
// loses the race with the node closing, as a cut connection. It returns
// nil when the node cannot be reached at all, when it is not a tcp://
// node, or when the handshake shows nothing wrong.
func checkTLS(ctx context.Context, n Node, grpcErr error) *NodeTLSError {
	u, err := url.Parse(n.Endpoint)
	if err != nil || u.Scheme != "tcp" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, ProbeTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil // not reachable: the caller says so
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	var problem *NodeTLSError
	if n.TLS == nil {
		if !speaksTLS(conn, u.Hostname()) {
			return nil
		}
		problem = &NodeTLSError{Kind: TLSNoOptions}
	} else if problem = nodeTLSProblem(conn, n); problem == nil {
		return nil
	}
	problem.Address, problem.Err = n.Endpoint, grpcErr
	return problem
}

// speaksTLS reports whether the server on conn completes a TLS handshake,
// or refuses it with a TLS alert.
func speaksTLS(conn net.Conn, host string) bool {
	// Nothing is sent over this connection: the server's certificate does
	// not matter, only whether it speaks TLS.
	err := tls.Client(conn, &tls.Config{ServerName: host, InsecureSkipVerify: true, NextProtos: []string{"h2"}}).Handshake()
	return err == nil || isAlert(err)
}

// isAlert reports whether err is a TLS alert from the peer: crypto/tls
// reports those as a *net.OpError whose Op is "remote error".
func isAlert(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// nodeTLSProblem shakes hands with the server on conn as BuildKit's client
// would for n and, if the server refuses or is refused, says why (without
// Address and Err). It is nil when the server takes the client.
func nodeTLSProblem(conn net.Conn, n Node) *NodeTLSError {
	cfg, err := tlsConfig(n)
	if err != nil {
		return nil // connectNode reported it already
	}
	// Go's client sends no certificate the server's CertificateRequest
	// does not accept (its list of CAs); see what it asked and what went.
	certs := cfg.Certificates
	cfg.Certificates = nil
	var asked *tls.CertificateRequestInfo
	sent := false
	cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		asked = cri
		for i := range certs {
			if cri.SupportsCertificate(&certs[i]) == nil {
				sent = true
				return &certs[i], nil
			}
		}
		return &tls.Certificate{}, nil
	}
	tc := tls.Client(conn, cfg)
	err = tc.Handshake()
	if err == nil {
		_ = tc.SetReadDeadline(time.Now().Add(tlsRefusalWait))
		_, err = tc.Read(make([]byte, 1))
		var ne net.Error
		if err == nil || errors.As(err, &ne) && ne.Timeout() {
			return nil // it answers, or waits for the client to speak
		}
	}
	var (
		verify *tls.CertificateVerificationError
		header tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &verify):
		return serverCertProblem(n, verify)
	case errors.As(err, &header):
		return &NodeTLSError{Kind: TLSPlainNode}
	case asked != nil && !sent:
		return missingCertProblem(n, asked, certs)
	case sent:
		return &NodeTLSError{Kind: TLSClientCertRefused, Cert: n.TLS.Cert, Cause: err}
	}
	return &NodeTLSError{Kind: TLSHandshakeFailed, Cause: err}
}

// serverCertProblem says why this client does not trust the node's
// certificate.
func serverCertProblem(n Node, e *tls.CertificateVerificationError) *NodeTLSError {
	var (
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
	)
	switch {
	case errors.As(e, &unknown) && len(e.UnverifiedCertificates) > 0:
		return &NodeTLSError{Kind: TLSUnknownAuthority, CA: n.TLS.CA,
			Issuer: e.UnverifiedCertificates[0].Issuer.String(), Cause: e.Err}
	case errors.As(e, &host):
		return &NodeTLSError{Kind: TLSWrongHost, Host: host.Host, Cause: e.Err}
	}
	return &NodeTLSError{Kind: TLSBadServerCert, Cause: e.Err}
}

// missingCertProblem says why no client certificate went to a node that
// asked for one and refused the connection without it.
func missingCertProblem(n Node, asked *tls.CertificateRequestInfo, certs []tls.Certificate) *NodeTLSError {
	cas := caNames(asked.AcceptableCAs)
	if len(certs) == 0 {
		return &NodeTLSError{Kind: TLSClientCertMissing, AcceptableCAs: cas}
	}
	issuer := "a CA it does not accept"
	if leaf, err := x509.ParseCertificate(certs[0].Certificate[0]); err == nil {
		issuer = leaf.Issuer.String()
	}
	return &NodeTLSError{Kind: TLSClientCertForeign, AcceptableCAs: cas, Cert: n.TLS.Cert, Issuer: issuer}
}

// caNames are the distinguished names of a CertificateRequest's list of
// acceptable CAs (DER-encoded RDN sequences).
func caNames(ders [][]byte) []string {
	var out []string
	for _, d := range ders {
		var rdn pkix.RDNSequence
		if rest, err := asn1.Unmarshal(d, &rdn); err != nil || len(rest) > 0 {
			continue
		}
		var name pkix.Name
		name.FillFromRDNSequence(&rdn)
		out = append(out, name.String())
	}
	return out
}
