package cli

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestInspectFormat: --format's fields and json function on an index of
// two platforms and on a single image, `{{.Manifest}}` alone as the
// default output, and templates that do not parse or do not execute.
func TestInspectFormat(t *testing.T) {
	host := cliRegistry(t)
	ref := host + "/app/multi:1"
	pushTwoPlatformIndex(t, ref)
	single := host + "/app/single:1"
	pushPlatformImage(t, single, "linux", "arm64", "v8")
	format := func(ref, tpl string) string {
		t.Helper()
		r := runArgs(t, "inspect", ref, "--format", tpl)
		if !r.ok() {
			t.Fatalf("--format %q: %v", tpl, r.err)
		}
		return r.stdout
	}
	if got := format(ref, "{{.Name}}"); got != ref+"\n" {
		t.Errorf("{{.Name}} = %q", got)
	}
	raw := runArgs(t, "inspect", "--raw", ref).stdout
	digest, _, _ := v1.SHA256(strings.NewReader(raw))
	var idx struct {
		ocispec.Index
		Digest string `json:"digest"`
		Size   int64  `json:"size"`
	}
	if err := json.Unmarshal([]byte(format(ref, "{{json .Manifest}}")), &idx); err != nil {
		t.Fatal(err)
	}
	if idx.SchemaVersion != 2 || idx.MediaType != string(types.OCIImageIndex) || idx.Digest != digest.String() || idx.Size != int64(len(raw)) ||
		len(idx.Manifests) != 2 || idx.Manifests[1].Platform == nil || idx.Manifests[1].Platform.Variant != "v7" {
		t.Errorf("{{json .Manifest}}: %+v", idx)
	}
	var images map[string]ocispec.Image
	if err := json.Unmarshal([]byte(format(ref, "{{json .Image}}")), &images); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(images)); !slices.Equal(keys, []string{"linux/amd64", "linux/arm/v7"}) || images["linux/arm/v7"].Architecture != "arm" {
		t.Errorf("{{json .Image}} of an index: %v", images)
	}
	if got := format(ref, `{{(index .Image "linux/arm/v7").Variant}} {{len .Manifest.Manifests}}`); got != "v7 2\n" {
		t.Errorf("per-platform field: %q", got)
	}
	if got := format(single, "{{.Image.OS}}/{{.Image.Architecture}}/{{.Image.Variant}} {{.Manifest.MediaType}}"); got != "linux/arm64/v8 "+string(types.OCIManifestSchema1)+"\n" {
		t.Errorf("single image: %q", got)
	}
	if got := format(ref, "{{ .Manifest }}"); !strings.Contains(got, "PLATFORM") || !strings.Contains(got, "linux/arm/v7") {
		t.Errorf("{{.Manifest}} alone must print the default output:\n%s", got)
	}

	// A template that does not parse fails before the registry is
	// contacted (port 1 answers nothing), saying what to write.
	r := runArgs(t, "inspect", "127.0.0.1:1/x:1", "--format", "{{.Name")
	requireFailureSays(t, "unparsable template", r, "--format", "unclosed action", "{{json .Manifest}}")
	r = runArgs(t, "inspect", ref, "--format", "before {{.Nope}}")
	requireFailureSays(t, "unknown field", r, "--format", "can't evaluate field Nope", ".Name, .Manifest and .Image")
	if r.stdout != "" {
		t.Errorf("a failed template printed %q", r.stdout)
	}
	if r = runArgs(t, "inspect", ref, "--format", "{{.Name}}", "--json"); !r.failed() {
		t.Errorf("--format with --json accepted: exit %d", r.code)
	}
}
