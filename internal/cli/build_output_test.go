package cli

import (
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/build"
)

// outputOptions maps --output s (and -t tags) as build's flags do.
func outputOptions(s string, tags ...string) (build.Options, error) {
	f := &buildFlags{output: s, tags: tags}
	var o build.Options
	err := f.applyOutput(&o)
	return o, err
}

// TestParseOutputForms: every buildx form maps to its options; bad input
// says what is wrong and what is accepted.
func TestParseOutputForms(t *testing.T) {
	o, err := outputOptions("type=registry", "r.example/a:1")
	if err != nil || !o.Push || strings.Join(o.Tags, ",") != "r.example/a:1" {
		t.Errorf("type=registry: %+v %v", o, err)
	}
	o, err = outputOptions(`type=image,"name=r.example/a:1,r.example/a:2",push=true`, "r.example/a:1")
	if err != nil || !o.Push || strings.Join(o.Tags, ",") != "r.example/a:1,r.example/a:2" {
		t.Errorf("type=image,push=true: %+v %v", o, err)
	}
	f := &buildFlags{output: "type=image,name=r.example/a,push-by-digest=true,name-canonical=true,push=true"}
	if err := f.applyOutput(&o); err != nil || !f.outSpec.byDigest || !f.outSpec.canonical {
		t.Errorf("push-by-digest: %+v %v", f.outSpec, err)
	}
	if got := f.outSpec.imageName(o, &build.Result{Digest: "sha256:abc"}); got != "r.example/a@sha256:abc" {
		t.Errorf("image.name by digest: %q", got)
	}
	for s, want := range map[string]string{
		"type=image,name=r.example/a":    build.ExportImage,
		"type=oci,dest=/tmp/d,tar=false": build.ExportOCIDir,
		"type=docker,dest=/tmp/x.tar":    build.ExportDocker,
		"type=tar,dest=/tmp/x.tar":       build.ExportTar,
		"type=local,dest=/tmp/d":         build.ExportLocal,
		"/tmp/d":                         build.ExportLocal,
		"-":                              build.ExportTar,
		"TYPE=local,DEST=/tmp/d,platform-split=false": build.ExportLocal,
	} {
		o, err := outputOptions(s)
		if err != nil || o.Export == nil || o.Export.Type != want || o.Push {
			t.Errorf("%s: %+v %v, want %s", s, o.Export, err, want)
		}
	}
	for s, wants := range map[string][]string{
		"type=vhd,dest=/x":             {`unknown type "vhd"`, "registry, image, oci, docker, tar, local"},
		"dest=/x":                      {"no type"},
		"type=local":                   {"needs dest=PATH"},
		"type=docker":                  {"needs dest=PATH", "no docker engine"},
		"type=local,dest=/x,tar=false": {"type=local takes no tar attribute", "dest, platform-split"},
		"type=oci,dest=/x,tar=maybe":   {`tar="maybe"`, "true or false"},
		"type=oci,dest=/x,dest=/y":     {"dest is given twice"},
		"type=local,dest":              {"is not KEY=VALUE"},
		`type=image,"name=a`:           {"quote"},
		"type=registry":                {"nothing to push to", "name="},
		"type=registry,push=false":     {"type=image,push=false"},
		"type=image,name=r.example/a,push-by-digest=true":                                            {"needs push=true"},
		"type=image,name=r.example/a,push=true,push-by-digest=true,\"name=r.example/a,r.example/b\"": {"given twice"},
	} {
		_, err := outputOptions(s)
		if err == nil {
			t.Errorf("--output %s accepted", s)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("--output %s: %v lacks %q", s, err, w)
			}
		}
	}
	if _, err := outputOptions("type=image,name=r.example/a,push=true,push-by-digest=true", "r.example/b:1"); err == nil || !strings.Contains(err.Error(), "one repository") {
		t.Errorf("push-by-digest into two repositories: %v", err)
	}
	f = &buildFlags{output: "type=local,dest=/tmp/d", push: true}
	if err := f.applyOutput(&o); err == nil || !strings.Contains(err.Error(), "--push and --output type=local") {
		t.Errorf("--push with type=local: %v", err)
	}
}
