package build

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestMultiNodeOutputs: a build spread over two nodes (one daemon listed
// twice: arm64 declared on the first, the rest on the second) refuses
// every file, directory and unpushed output before any solve, saying
// why, and pushes by digest with no tag, its metadata holding the merged
// index's descriptor and every platform.
func TestMultiNodeOutputs(t *testing.T) {
	bk := testenv.StartBuildkitd(t)
	nodes := []builder.Node{{Endpoint: bk.Address, Platforms: testenv.Platforms(t, "linux/arm64")}, {Endpoint: bk.Address}}
	ctxDir := t.TempDir()
	os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY hi /hi\n"), 0o644)
	os.WriteFile(filepath.Join(ctxDir, "hi"), []byte("hi\n"), 0o644)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/riscv64")
	out := t.TempDir()
	for _, e := range []*Export{
		{Type: ExportLocal, Dest: filepath.Join(out, "l")},
		{Type: ExportTar, Dest: filepath.Join(out, "t.tar")},
		{Type: ExportOCIDir, Dest: filepath.Join(out, "o")},
		{Type: ExportImage},
	} {
		_, err := BuildOn(t.Context(), nodes, Options{ContextDir: ctxDir, Platforms: ps, Export: e})
		if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), "go to 2 nodes") || !strings.Contains(err.Error(), "not write "+e.what()) {
			t.Errorf("%s on two nodes: %v", e.Type, err)
		}
	}
	_, err := BuildOn(t.Context(), nodes, Options{ContextDir: ctxDir, Platforms: ps, OCIDest: filepath.Join(out, "x.tar")})
	if err == nil || !strings.Contains(err.Error(), "not write an OCI tarball") {
		t.Errorf("OCI tarball on two nodes: %v", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("%s holds %v", out, ents)
	}

	reg := testenv.StartRegistry(t)
	repo := reg.Host + "/merged"
	res, err := BuildByDigest(t.Context(), nodes, Options{ContextDir: ctxDir, Platforms: ps, Push: true, Tags: []string{repo}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Descriptor == nil || res.Descriptor.Digest != res.Digest || res.Descriptor.Size <= 0 || !strings.Contains(res.Descriptor.MediaType, "index") {
		t.Errorf("descriptor %+v of %s", res.Descriptor, res.Digest)
	}
	if len(res.Platforms) != 3 || len(res.Tags) != 0 {
		t.Errorf("platforms %v tags %v", res.Platforms, res.Tags)
	}
	r, _ := name.ParseReference(repo)
	_, err = remote.Head(r, remote.WithContext(t.Context()))
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != http.StatusNotFound {
		t.Errorf("%s:latest after push by digest: %v", repo, err)
	}
}
