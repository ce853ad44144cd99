package build

import (
	"fmt"
	"maps"
	"strings"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// Annotation is one OCI annotation of the built images: on every platform
// manifest, on the index, or both.
type Annotation struct {
	Key, Value      string
	Index, Manifest bool
}

// ParseAnnotation reads K=V (index and manifests), index:K=V or
// manifest:K=V, the forms buildx users know.
func ParseAnnotation(s string) (Annotation, error) {
	a := Annotation{Index: true, Manifest: true}
	kv := s
	if typ, rest, ok := strings.Cut(s, ":"); ok && (typ == "index" || typ == "manifest") {
		kv = rest
		a.Index, a.Manifest = typ == "index", typ == "manifest"
	}
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" || strings.ContainsAny(k, " \t[]") {
		return a, fmt.Errorf("%w: annotation %q: want [index:|manifest:]KEY=VALUE", ErrInvalidOptions, s)
	}
	a.Key, a.Value = k, v
	return a, nil
}

// CacheSpec is one --cache-from or --cache-to entry: type=registry,
// local, inline, or gha/s3/azblob passed through (see cacheTypes).
type CacheSpec struct {
	Type  string
	Attrs map[string]string
}

// ParseCacheSpec reads type=TYPE[,K=V...]; a bare REF is read as
// type=registry,ref=REF, as buildx does. ParseCacheImport and
// ParseCacheExport add what each direction needs.
func ParseCacheSpec(s string) (CacheSpec, error) {
	c := CacheSpec{Attrs: map[string]string{}}
	if !strings.Contains(s, "=") {
		s = "type=registry,ref=" + s
	}
	for _, f := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" {
			return c, fmt.Errorf("%w: cache %q: %q is not key=value", ErrInvalidOptions, s, f)
		}
		if k == "type" {
			c.Type = v
			continue
		}
		c.Attrs[k] = v
	}
	if err := checkCacheSpec(s, c); err != nil || c.Type != "registry" {
		return c, err
	}
	if err := registry.CheckReference(c.Attrs["ref"]); err != nil {
		return c, fmt.Errorf("%w: cache %q: ref: %v", ErrInvalidOptions, s, err)
	}
	return c, nil
}

// entry is the BuildKit form of c; suffix, when set, is appended to the
// tag of ref, or names a subdirectory of a local cache (each node of a
// multi-node build keeps its own cache, so the nodes do not overwrite
// each other's).
func (c CacheSpec) entry(suffix string) client.CacheOptionsEntry {
	attrs := maps.Clone(c.Attrs)
	if suffix != "" && c.Type == "registry" {
		attrs["ref"] = registry.WithTagSuffix(attrs["ref"], suffix)
	}
	for _, k := range []string{"src", "dest"} {
		if v, ok := attrs[k]; ok && c.Type == "local" {
			attrs[k] = localCacheDir(v, suffix)
		}
	}
	return client.CacheOptionsEntry{Type: c.Type, Attrs: attrs}
}

// frontendExtras adds labels and the cache and pull switches to the
// frontend attributes, as buildx names them (BuildKit's dockerui config:
// no-cache "" is every stage, else a comma list of stages; --no-cache wins
// over a filter, as in buildx).
func (o Options) frontendExtras(attrs map[string]string) {
	for k, v := range o.Labels {
		attrs["label:"+k] = v
	}
	if len(o.NoCacheFilter) > 0 {
		attrs["no-cache"] = strings.Join(o.NoCacheFilter, ",")
	}
	if o.NoCache {
		attrs["no-cache"] = ""
	}
	if o.Pull {
		attrs["image-resolve-mode"] = "pull"
	}
}

// annotationAttrs returns the exporter attributes of o's annotations;
// index annotations only when withIndex (a multi-node build writes its
// index itself).
func (o Options) annotationAttrs(withIndex bool) map[string]string {
	attrs := map[string]string{}
	for _, a := range o.Annotations {
		if a.Manifest {
			attrs[exptypes.AnnotationManifestKey(nil, a.Key)] = a.Value
		}
		if a.Index && withIndex {
			attrs[exptypes.AnnotationIndexKey(a.Key)] = a.Value
		}
	}
	return attrs
}

// indexAnnotations are the annotations for an index written by us.
func (o Options) indexAnnotations() map[string]string {
	out := map[string]string{}
	for _, a := range o.Annotations {
		if a.Index {
			out[a.Key] = a.Value
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// cacheEntries returns the cache imports and exports of one node's solve
// (suffix "" for a single-node build). A node imports both the shared ref
// and its own.
func (o Options) cacheEntries(suffix string) (imports, exports []client.CacheOptionsEntry) {
	for _, c := range o.CacheFrom {
		imports = append(imports, c.entry(""))
		if suffix != "" {
			imports = append(imports, c.entry(suffix))
		}
	}
	for _, c := range o.CacheTo {
		exports = append(exports, c.entry(suffix))
	}
	return imports, exports
}
