package testenv_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestFaultProxy checks each fault against a real client's view: what the
// proxy injects is what a client reading through it sees.
func TestFaultProxy(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t)
	p := testenv.StartFaultProxy(t, reg)
	img, err := random.Image(4096, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(p.Ref("fp/img", "v1"), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push through the proxy without faults: %v", err)
	}
	layers, _ := img.Layers()
	ld, _ := layers[0].Digest()
	blob := p.URL + "/v2/fp/img/blobs/" + ld.String()
	want := get(t, blob, 5*time.Second)

	t.Run("status", func(t *testing.T) {
		p.Inject(t, testenv.Fault{Kind: testenv.FaultStatus, Method: "GET", Path: "/blobs/", Status: 429, RetryAfter: "7", Times: 1})
		resp, err := http.Get(blob)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "7" {
			t.Fatalf("got %d Retry-After %q, want 429 and 7", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if got := get(t, blob, 5*time.Second); !bytes.Equal(got, want) {
			t.Fatal("Times: 1 should let the second request through unharmed")
		}
	})
	t.Run("reset", func(t *testing.T) {
		// Every time: Go's client retries a GET once on a reused connection.
		p.Inject(t, testenv.Fault{Kind: testenv.FaultReset, Path: "/blobs/"})
		defer p.Clear()
		if _, err := http.Get(blob); err == nil {
			t.Fatal("a reset connection gave an answer")
		}
	})
	t.Run("hang", func(t *testing.T) {
		p.Inject(t, testenv.Fault{Kind: testenv.FaultHang, Path: "/blobs/", Times: 1})
		_, err := getErr(blob, 300*time.Millisecond)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("hang: got %v, want the client's deadline", err)
		}
	})
	t.Run("stall body", func(t *testing.T) {
		p.Inject(t, testenv.Fault{Kind: testenv.FaultStallBody, Path: "/blobs/", AfterBytes: 100, Times: 1})
		got, err := getErr(blob, 500*time.Millisecond)
		if !errors.Is(err, context.DeadlineExceeded) || len(got) != 100 {
			t.Fatalf("stall: got %d bytes and %v, want 100 bytes then the client's deadline", len(got), err)
		}
	})
	t.Run("cut body", func(t *testing.T) {
		p.Inject(t, testenv.Fault{Kind: testenv.FaultCutBody, Path: "/blobs/", AfterBytes: 100, Times: 1})
		got, err := getErr(blob, 5*time.Second)
		if err == nil || len(got) != 100 {
			t.Fatalf("cut: got %d bytes and %v, want 100 bytes then an error", len(got), err)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		p.Inject(t, testenv.Fault{Kind: testenv.FaultCorrupt, Path: "/blobs/", AfterBytes: 10, Times: 1})
		got := get(t, blob, 5*time.Second)
		if len(got) != len(want) || bytes.Equal(got, want) || got[10] != want[10]^0xff {
			t.Fatal("corrupt: want the same length with byte 10 flipped")
		}
	})
	if n := p.Hits("GET", "/blobs/sha256:"); n < 7 {
		t.Errorf("Hits counted %d blob GETs, want at least 7", n)
	}
	if !strings.Contains(strings.Join(p.Requests(), "\n"), "PUT /v2/fp/img/manifests/v1") {
		t.Errorf("Requests lacks the manifest PUT: %v", p.Requests())
	}
}

func get(t *testing.T, url string, d time.Duration) []byte {
	t.Helper()
	b, err := getErr(url, d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func getErr(url string, d time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New(resp.Status)
	}
	return io.ReadAll(resp.Body)
}

// TestFaultProxyRealRegistry pushes through the proxy to the real
// registry: its upload Locations must bring the client back through the
// proxy, or faults on uploads would never be seen.
func TestFaultProxyRealRegistry(t *testing.T) {
	p := testenv.StartFaultProxy(t, testenv.StartRegistry(t))
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(p.Ref("fp/real", "v1"), name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push through the proxy: %v", err)
	}
	if n := p.Hits("PUT", "/blobs/uploads/"); n < 3 {
		t.Fatalf("the proxy saw %d upload PUTs, want 3 (2 layers and the config): %v", n, p.Requests())
	}
}
