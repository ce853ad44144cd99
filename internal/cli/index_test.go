package cli

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

func TestIndexCreateDryRun(t *testing.T) {
	host := cliRegistry(t)
	pushPlatformImage(t, host+"/parts/amd:1", "linux", "amd64", "")
	pushPlatformImage(t, host+"/parts/arm:1", "linux", "arm64", "")
	target := host + "/app/all:1"

	r := runArgs(t, "index", "create", "-t", target, "--dry-run",
		"--annotation", "org.opencontainers.image.source=https://example.com/a=b",
		host+"/parts/amd:1", host+"/parts/arm:1")
	if !r.ok() {
		t.Fatal(r.err)
	}
	out := r.stdout
	im, err := v1.ParseIndexManifest(strings.NewReader(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(im.Manifests) != 2 || im.Annotations["org.opencontainers.image.source"] != "https://example.com/a=b" {
		t.Errorf("%s", out)
	}
	ref, _ := name.ParseReference(target)
	if _, err := remote.Head(ref); err == nil {
		t.Error("dry run pushed the index")
	}
}

func TestIndexCreatePush(t *testing.T) {
	host := cliRegistry(t)
	pushPlatformImage(t, host+"/parts/amd:1", "linux", "amd64", "")
	pushPlatformImage(t, host+"/parts/arm:1", "linux", "arm", "v6")

	c, r := runJSON[registry.Created](t, cliRun{args: []string{"index", "create", "-t", host + "/app/all:1", "-t", host + "/app/all:latest", "--json",
		host + "/parts/amd:1", host + "/parts/arm:1"}})
	if !r.ok() {
		t.Fatal(r.err)
	}
	out := r.stdout
	if len(c.Targets) != 2 || len(c.Manifests) != 2 || c.Manifests[1].Platform != "linux/arm/v6" {
		t.Errorf("%s", out)
	}
	r = runArgs(t, "index", "create", "-t", host+"/app/all:2", host+"/parts/amd:1", host+"/parts/arm:1")
	if !r.ok() {
		t.Fatal(r.err)
	}
	text := r.stdout
	t.Logf("\n%s", text)
	if !strings.Contains(text, "pushed "+host+"/app/all:2@sha256:") || !strings.Contains(text, "linux/arm/v6") {
		t.Errorf("text output:\n%s", text)
	}
}

func TestIndexCreateErrors(t *testing.T) {
	host := cliRegistry(t)
	pushPlatformImage(t, host+"/parts/amd:1", "linux", "amd64", "")
	pushPlatformImage(t, host+"/parts/amd2:1", "linux", "x86_64", "")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"index", "create", host + "/parts/amd:1"}, `required flag(s) "tag"`},
		{[]string{"index", "create", "-t", host + "/app:1"}, "requires at least 1 arg"},
		{[]string{"index", "create", "-t", host + "/app:1", "--annotation", "novalue", host + "/parts/amd:1"}, "write KEY=VALUE"},
		{[]string{"index", "create", "-t", host + "/app:1", host + "/parts/amd:1", host + "/parts/amd2:1"}, "platform linux/amd64 is provided by both"},
	} {
		requireFailureSays(t, strings.Join(tt.args, " "), runArgs(t, tt.args...), tt.want)
	}
	ref, _ := name.ParseReference(host + "/app:1")
	if _, err := remote.Head(ref); err == nil {
		t.Error("a refused index was pushed")
	}
}
