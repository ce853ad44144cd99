package testenv

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// rawManifest is a manifest pushed as the bytes given (remote.Put): the
// hostile indexes below list one child many times, which
// mutate.AppendManifests would write (and push) once per entry.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }
func (m rawManifest) Digest() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(m.raw))
	return h, err
}
func (m rawManifest) Size() (int64, error) { return int64(len(m.raw)), nil }

func (m rawManifest) desc(p *v1.Platform) v1.Descriptor {
	h, _ := m.Digest()
	return v1.Descriptor{MediaType: m.mt, Digest: h, Size: int64(len(m.raw)), Platform: p}
}

// copiesIndex is an OCI index listing child n times.
func copiesIndex(t testing.TB, child v1.Descriptor, n int) rawManifest {
	t.Helper()
	m := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: make([]v1.Descriptor, n)}
	for i := range m.Manifests {
		m.Manifests[i] = child
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return rawManifest{raw: raw, mt: types.OCIImageIndex}
}

// PushCopies pushes img (by digest) and then width-wide indexes depth
// levels deep above it to repo on reg, the top one tagged tag, and
// returns the top reference. Level 1 lists img width times (with
// platform p); level k lists level k-1 width times. depth 1 is a flat
// index of width copies of one image; width 4, depth 8 is a DAG of 9
// manifests that expands to 4^8 = 65,536 paths.
func PushCopies(t testing.TB, reg *Registry, repo, tag string, img v1.Image, p *v1.Platform, width, depth int) string {
	t.Helper()
	r, err := name.NewRepository(reg.Host+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r.Digest(d.String()), img); err != nil {
		t.Fatalf("push image: %v", err)
	}
	mt, _ := img.MediaType()
	raw, _ := img.RawManifest()
	child := v1.Descriptor{MediaType: mt, Digest: d, Size: int64(len(raw)), Platform: p}
	for level := 1; level <= depth; level++ {
		m := copiesIndex(t, child, width)
		child = m.desc(nil)
		ref := name.Reference(r.Digest(child.Digest.String()))
		if level == depth {
			ref = r.Tag(tag)
		}
		if err := remote.Put(ref, m); err != nil {
			t.Fatalf("push index level %d: %v", level, err)
		}
	}
	return reg.Host + "/" + repo + ":" + tag
}

// PushDistinct pushes n variants of img (its layers, a config label
// "multiarch.test/n" of 0…n-1) to repo on reg and an index of them tagged
// tag, each descriptor claiming p, and returns the index reference: n
// distinct entries, for the curves that must be linear without help from
// deduplication.
func PushDistinct(t testing.TB, reg *Registry, repo, tag string, img v1.Image, p *v1.Platform, n int) string {
	t.Helper()
	r, err := name.NewRepository(reg.Host+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	m := v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	for i := range n {
		c := cf.DeepCopy()
		c.Config.Labels = map[string]string{"multiarch.test/n": strconv.Itoa(i)}
		v, err := mutate.ConfigFile(img, c)
		if err != nil {
			t.Fatal(err)
		}
		d, err := v.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(r.Digest(d.String()), v); err != nil {
			t.Fatalf("push image %d: %v", i, err)
		}
		mt, _ := v.MediaType()
		raw, _ := v.RawManifest()
		m.Manifests = append(m.Manifests, v1.Descriptor{MediaType: mt, Digest: d, Size: int64(len(raw)), Platform: p})
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(r.Tag(tag), rawManifest{raw: raw, mt: types.OCIImageIndex}); err != nil {
		t.Fatalf("push index: %v", err)
	}
	return reg.Host + "/" + repo + ":" + tag
}

// ResetPeakRSS runs the garbage collector, returns freed memory to the
// kernel and resets the process's resident-set high-water mark (VmHWM,
// by writing 5 to /proc/self/clear_refs, Linux ≥ 4.0), so that PeakRSS
// after an operation measures that operation alone. It reports whether
// the reset worked.
func ResetPeakRSS() bool {
	runtime.GC()
	debug.FreeOSMemory()
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// PeakRSS is the process's resident-set high-water mark (VmHWM) in bytes,
// 0 when /proc/self/status cannot be read.
func PeakRSS() int64 { return procStatus("VmHWM:") }

// RSS is the process's current resident set (VmRSS) in bytes.
func RSS() int64 { return procStatus("VmRSS:") }

func procStatus(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// MiB formats bytes as mebibytes for test logs.
func MiB(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
