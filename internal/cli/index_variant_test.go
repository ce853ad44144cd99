package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// An image whose config says arm with no variant is never labelled arm/v7
// by normalisation: index create reads the variant from its binaries (a
// Go binary's GOARM, busybox's ARM attributes), takes it from --platform
// SRC=P, or refuses and asks for it.
func TestIndexCreateArmWithoutVariant(t *testing.T) {
	host := cliRegistry(t)
	ps := testenv.Platforms(t, "linux/arm/v6", "linux/arm/v7", "linux/amd64")
	v6, v7, amd := ps[0], ps[1], ps[2]
	noVariant := v6
	noVariant.Variant = ""
	push := func(repo string, files ...testenv.File) string {
		ref := host + "/" + repo + ":1"
		testenv.PushImage(t, ref, testenv.Image(t, testenv.OCI, noVariant, files, v1.Config{}))
		return ref
	}
	goarm6 := push("arm/goarm6", testenv.File{Path: testenv.AppPath, Body: testenv.GoBinary(t, v6)})
	goarm7 := push("arm/goarm7", testenv.File{Path: testenv.AppPath, Body: testenv.GoBinary(t, v7)})
	armel := push("arm/busybox", testenv.File{Path: "/bin/busybox", Body: testenv.BusyboxBinary(t, "armel")})
	silent := push("arm/silent", testenv.File{Path: "/etc/motd", Body: []byte("no binaries here\n")})
	amdRef := host + "/amd/app:1"
	testenv.PushImage(t, amdRef, testenv.Image(t, testenv.OCI, amd, []testenv.File{{Path: testenv.AppPath, Body: testenv.GoBinary(t, amd)}}, v1.Config{}))

	for i, tt := range []struct {
		name string
		args []string
		want string // the arm entry's platform
	}{
		{"GOARM=6 binary", []string{goarm6}, "linux/arm/v6"},
		{"GOARM=7 binary", []string{goarm7}, "linux/arm/v7"},
		{"Debian armel busybox", []string{armel}, "linux/arm/v5"},
		{"no binaries, platform given", []string{"--platform", silent + "=linux/arm/v6", silent}, "linux/arm/v6"},
		{"platform alias given", []string{"--platform", silent + "=armel", silent}, "linux/arm/v6"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"index", "create", "--json", "-t", fmt.Sprintf("%s/idx/case%d:1", host, i), amdRef}, tt.args...)
			c, r := runJSON[registry.Created](t, cliRun{args: args})
			if !r.ok() || len(c.Manifests) != 2 || c.Manifests[1].Platform != tt.want {
				t.Fatalf("exit %d, want the arm entry %s: %v\n%s", r.code, tt.want, r.err, r.stdout)
			}
			im, err := v1.ParseIndexManifest(bytes.NewReader(c.Index))
			if err != nil || im.Manifests[1].Platform.Variant != strings.TrimPrefix(tt.want, "linux/arm/") {
				t.Errorf("pushed index lacks the variant (%v):\n%s", err, c.Index)
			}
			// The index verifies as what it now says.
			if r := runArgs(t, "verify", c.Targets[0]); !r.ok() {
				t.Errorf("verify %s: exit %d\n%s%s", c.Targets[0], r.code, r.stdout, r.message())
			}
		})
	}

	target := host + "/idx/refused:1"
	r := runArgs(t, "index", "create", "-t", target, amdRef, silent)
	requireFailureSays(t, "arm without variant or binaries", r, silent, "linux/arm with no variant", "--platform "+silent+"=linux/arm/v6")
	if ref, err := name.ParseReference(target); err != nil {
		t.Fatal(err)
	} else if _, err := remote.Head(ref); err == nil {
		t.Error("a refused index create pushed the tag")
	}
	r = runArgs(t, "index", "create", "-t", target, "--platform", silent+"=linux/arm64", silent)
	requireFailureSays(t, "wrong-arch --platform", r, "linux/arm", "not of the architecture of linux/arm64")
	r = runArgs(t, "index", "create", "-t", target, "--platform", silent+"=linux/sparc", silent)
	requireFailureSays(t, "--platform outside the table", r, "sparc")
	r = runArgs(t, "index", "create", "-t", target, "--platform", amdRef+"=linux/arm/v6", silent)
	requireFailureSays(t, "--platform for no source", r, "not one of the sources")
	r = runArgs(t, "index", "create", "-t", target, "--platform", goarm7+"=linux/arm/v6", goarm7)
	if !r.ok() {
		t.Errorf("a given platform is the user's word: exit %d, %v", r.code, r.err)
	}
	if r := runArgs(t, "verify", target); r.ok() || !strings.Contains(r.stdout+r.message(), "GOARM=7") {
		t.Errorf("verify of a GOARM=7 binary labelled arm/v6 passed:\n%s%s", r.stdout, r.message())
	}
}
