package verify

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// hostileLimit is the memory a hostile image may cost verify: the
// target for a 2000-entry index (200 MB), test binary and in-process
// registry included.
const hostileLimit = 200 << 20

// The hostile images of issue 10, each verified in a child process (this
// test binary re-executed) that runs under a memory limit: the Go
// runtime's soft limit (debug.SetMemoryLimit, GOGC 50) and a hard one, a
// watchdog that exits the child as soon as its resident set passes
// hostileLimit. The parent also checks the child's peak resident set
// (VmHWM). A re-exec rather than a cgroup: cgroup v2 delegation is not
// available everywhere the tests run (here /sys/fs/cgroup is v1), and the
// RSS bound is what the README promises anyway.
func TestHostileImagesBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hostile images in child processes")
	}
	pax := filepath.Join(t.TempDir(), "pax.layer")
	if err := os.WriteFile(pax, paxNamesLayer(t), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"copies-2000", "copies-15000", "dag-4x8", "pax-names"} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHostileChild$", "-test.v", "-test.count=1")
			cmd.Env = append(os.Environ(), "MULTIARCH_HOSTILE_CASE="+name, "MULTIARCH_HOSTILE_PAX="+pax)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			t.Logf("%s in %v:\n%s", name, time.Since(start).Round(time.Millisecond), lastLines(out, 6))
			if err != nil {
				t.Fatalf("child: %v", err)
			}
			_, peak, ok := strings.Cut(string(out), "PEAK ")
			n, perr := strconv.ParseInt(strings.Fields(peak + " x")[0], 10, 64)
			if !ok || perr != nil || n <= 0 || n > hostileLimit {
				t.Errorf("peak RSS %q, want ≤ %s", peak, testenv.MiB(hostileLimit))
			}
		})
	}
}

func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// TestHostileChild is the child of TestHostileImagesBoundedMemory; it
// does nothing unless MULTIARCH_HOSTILE_CASE names a case.
func TestHostileChild(t *testing.T) {
	name := os.Getenv("MULTIARCH_HOSTILE_CASE")
	if name == "" {
		t.Skip("run by TestHostileImagesBoundedMemory")
	}
	debug.SetMemoryLimit(hostileLimit / 2)
	debug.SetGCPercent(50)
	go func() {
		for range time.Tick(2 * time.Millisecond) {
			if rss := testenv.RSS(); rss > hostileLimit {
				fmt.Printf("over the memory limit: RSS %s\n", testenv.MiB(rss))
				os.Exit(3)
			}
		}
	}()
	hostileCase(t, name)
	fmt.Printf("PEAK %d\n", testenv.PeakRSS())
}

func hostileCase(t *testing.T, name string) {
	amd := mustPlatform(t, "linux/amd64")
	x86 := buildELF(elfSpec{class: elf.ELFCLASS64, data: elf.ELFDATA2LSB, machine: elf.EM_X86_64})
	img := image(t, amd, layer(t, file("app/server", x86)))
	ctx := context.Background()
	switch name {
	case "pax-names":
		blob, err := os.ReadFile(os.Getenv("MULTIARCH_HOSTILE_PAX"))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Image(ctx, registry.ImageOf(image(t, amd, static.NewLayer(blob, types.OCILayer))), nil, Options{})
		var ce *CapError
		if !errors.As(err, &ce) || ce.Cap != CapPathLength || rep.OK || rep.Entries[0].Status != StatusError {
			t.Fatalf("err = %v, want a path length CapError", err)
		}
		fmt.Println(err)
		return
	}
	reg := testenv.StartInProcessRegistry(t)
	width, depth := 2000, 1
	switch name {
	case "copies-15000":
		width = 15000
	case "dag-4x8":
		width, depth = 4, 8
	}
	ref := testenv.PushCopies(t, reg, "hostile", "t", img, descPlat(amd), width, depth)
	var gets atomic.Int64
	res, err := registry.Resolve(ctx, ref, registry.Options{Transport: countGets(&gets)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Index(ctx, res.AsIndex(), Options{})
	fmt.Printf("%s: %d manifest GETs, err %v\n", name, gets.Load(), err)
	switch name {
	case "copies-15000":
		var ce *CapError
		if !errors.As(err, &ce) || ce.Cap != CapEntries || rep != nil {
			t.Fatalf("err = %v, want an entries CapError", err)
		}
	case "copies-2000":
		if err != nil || len(rep.Entries) != 2000 || rep.OK || len(rep.Violations) != 1 || rep.Violations[0].Kind != KindDuplicate {
			t.Fatalf("err %v, report ok %v, %d entries, violations %v", err, rep.OK, len(rep.Entries), rep.Violations)
		}
		if gets.Load() != 2 { // the index, the image
			t.Errorf("%d manifest GETs, want 2", gets.Load())
		}
	case "dag-4x8":
		if err != nil || len(rep.Entries) != 4 || rep.OK {
			t.Fatalf("err %v, report %+v", err, rep)
		}
		if gets.Load() != 9 { // 8 indexes, 1 image
			t.Errorf("%d manifest GETs, want 9", gets.Load())
		}
	}
}

// countGets is a transport counting manifest GETs.
func countGets(n *atomic.Int64) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		if req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/manifests/") {
			n.Add(1)
		}
		return http.DefaultTransport.RoundTrip(req)
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// paxNamesLayer is a gzip layer of 1000 empty files, each named by a PAX
// record of 900 KB: a few MB compressed, 900 MB of names. One entry is
// written by archive/tar and copied with its number patched (the PAX
// record's length and the header checksums do not change), because
// archive/tar takes minutes to format 900 MB of records.
func paxNamesLayer(t testing.TB) []byte {
	t.Helper()
	long := strings.Repeat("a/", 450<<10) + "f0000"
	var one bytes.Buffer
	tw := tar.NewWriter(&one)
	if err := tw.WriteHeader(&tar.Header{Name: long, Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatPAX}); err != nil {
		t.Fatal(err)
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	entry := one.Bytes()
	at := bytes.LastIndex(entry, []byte("f0000\n"))
	if at < 0 {
		t.Fatal("no PAX path record")
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	for i := range 1000 {
		copy(entry[at+1:], fmt.Sprintf("%04d", i))
		zw.Write(entry)
	}
	zw.Write(make([]byte, 1024)) // end of archive
	zw.Close()
	return buf.Bytes()
}

// Indexes nested deeper than MaxDepth are refused with a depth CapError
// that says so, before any image is read.
func TestDepthCap(t *testing.T) {
	amd := mustPlatform(t, "linux/amd64")
	reg := testenv.StartInProcessRegistry(t)
	img := image(t, amd, layer(t, file("x", []byte("x"))))
	ref := testenv.PushCopies(t, reg, "deep", "t", img, descPlat(amd), 1, MaxDepth+2)
	res, err := registry.Resolve(context.Background(), ref, registry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Index(context.Background(), res.AsIndex(), Options{})
	var ce *CapError
	if !errors.As(err, &ce) || ce.Cap != CapDepth || rep != nil || ce.Hint() == "" ||
		!strings.Contains(err.Error(), "nesting depth 9 is over verify's cap of 8") {
		t.Fatalf("err = %v, want a depth CapError", err)
	}
}
