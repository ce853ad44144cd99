package build

import (
	"maps"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

func TestParseAnnotation(t *testing.T) {
	for in, want := range map[string]Annotation{
		"org.opencontainers.image.source=https://x": {Key: "org.opencontainers.image.source", Value: "https://x", Index: true, Manifest: true},
		"index:a=b":   {Key: "a", Value: "b", Index: true},
		"manifest:a=": {Key: "a", Manifest: true},
		"a=b=c":       {Key: "a", Value: "b=c", Index: true, Manifest: true},
		"other:a=b":   {Key: "other:a", Value: "b", Index: true, Manifest: true},
	} {
		got, err := ParseAnnotation(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "=v", "k", "index:=v", "a b=c"} {
		if _, err := ParseAnnotation(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseCacheSpec(t *testing.T) {
	c, err := ParseCacheSpec("type=registry,ref=127.0.0.1:5000/app:cache,mode=max")
	if err != nil || c.Type != "registry" || c.Attrs["ref"] != "127.0.0.1:5000/app:cache" || c.Attrs["mode"] != "max" {
		t.Fatalf("%+v %v", c, err)
	}
	if c, err := ParseCacheSpec("reg.example/app:cache"); err != nil || c.Attrs["ref"] != "reg.example/app:cache" {
		t.Errorf("bare ref: %+v %v", c, err)
	}
	for _, bad := range []string{"type=local", "type=registry", "type=registry,ref=UPPER/x", "type=registry,ref"} {
		if _, err := ParseCacheSpec(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if got := c.entry("node1").Attrs["ref"]; got != "127.0.0.1:5000/app:cache-node1" {
		t.Errorf("node ref %s", got)
	}
	if c.Attrs["ref"] != "127.0.0.1:5000/app:cache" {
		t.Error("entry changed the spec")
	}
}

func TestAnnotationAttrs(t *testing.T) {
	o := Options{Annotations: []Annotation{{Key: "a", Value: "1", Index: true, Manifest: true}, {Key: "b", Value: "2", Index: true}}}
	got := o.annotationAttrs(true)
	if got["annotation-manifest.a"] != "1" || got["annotation-index.a"] != "1" || got["annotation-index.b"] != "2" || len(got) != 3 {
		t.Errorf("with index: %v", got)
	}
	if got := o.annotationAttrs(false); len(got) != 1 || got["annotation-manifest.a"] != "1" {
		t.Errorf("without index: %v", got)
	}
	if ia := o.indexAnnotations(); len(ia) != 2 || ia["b"] != "2" {
		t.Errorf("index annotations: %v", ia)
	}
}

func TestInsecureRegistryExport(t *testing.T) {
	o := Options{Tags: []string{"reg.example:5000/app:v1"}, Registry: registry.Options{Insecure: []string{"reg.example"}}}
	if e := byDigestExport(o); e.Attrs["registry.insecure"] != "true" || e.Attrs["name"] != "reg.example:5000/app" || e.Attrs["push-by-digest"] != "true" {
		t.Errorf("by-digest export attrs %v", e.Attrs)
	}
	for _, tc := range []struct {
		insecure []string
		want     string
	}{
		// A host entry covers every port, any case, with or without a
		// scheme, as registry.Options.Insecure does; other hosts do not.
		{[]string{"reg.example"}, "true"},
		{[]string{"http://REG.example:5000"}, "true"},
		{[]string{"other:5000"}, ""},
		{[]string{"reg.example:6000"}, ""},
	} {
		o := o
		o.Registry.Insecure = tc.insecure
		if got := byDigestExport(o).Attrs["registry.insecure"]; got != tc.want {
			t.Errorf("insecure %q: registry.insecure %q, want %q", tc.insecure, got, tc.want)
		}
	}
	o.Registry.Insecure = nil
	if e := byDigestExport(o); e.Attrs["registry.insecure"] != "" {
		t.Errorf("insecure without a listed registry: %v", e.Attrs)
	}
}

// TestFrontendExtrasBuildx: buildx's attribute names and precedence, and
// nothing set when the switches are off (a plain build sends what it did).
func TestFrontendExtrasBuildx(t *testing.T) {
	cases := []struct {
		o    Options
		want map[string]string
	}{
		{Options{}, map[string]string{}},
		{Options{NoCache: true}, map[string]string{"no-cache": ""}},
		{Options{NoCacheFilter: []string{"a", "b"}}, map[string]string{"no-cache": "a,b"}},
		{Options{NoCache: true, NoCacheFilter: []string{"a"}}, map[string]string{"no-cache": ""}},
		{Options{Pull: true}, map[string]string{"image-resolve-mode": "pull"}},
	}
	for _, c := range cases {
		got := map[string]string{}
		c.o.frontendExtras(got)
		if !maps.Equal(got, c.want) {
			t.Errorf("%+v: attrs %v, want %v", c.o, got, c.want)
		}
	}
}
