package build

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// cacheTypes are the cache backends a build accepts, as buildx spells
// them. registry, local and inline are checked here; gha, s3 and azblob
// go to BuildKit with their attributes unchanged (it alone knows their
// services and credentials, and answers for them).
var cacheTypes = []string{"registry", "local", "inline", "gha", "s3", "azblob"}

// ParseCacheImport reads one --cache-from entry: ParseCacheSpec, and a
// local cache names the directory it reads (src). inline is no import
// type: an inline cache is read from its image with type=registry.
func ParseCacheImport(s string) (CacheSpec, error) {
	c, err := ParseCacheSpec(s)
	if err != nil {
		return c, err
	}
	switch c.Type {
	case "local":
		if c.Attrs["src"] == "" {
			return c, fmt.Errorf("%w: cache %q: type=local needs src=DIR to import from (dest= is for exporting)", ErrInvalidOptions, s)
		}
	case "inline":
		return c, fmt.Errorf("%w: cache %q: an inline cache is read from the image that carries it: write type=registry,ref=IMAGE", ErrInvalidOptions, s)
	}
	return c, nil
}

// ParseCacheExport reads one --cache-to entry: ParseCacheSpec, and a
// local cache names the directory it writes (dest), which must not be a
// file.
func ParseCacheExport(s string) (CacheSpec, error) {
	c, err := ParseCacheSpec(s)
	if err != nil || c.Type != "local" {
		return c, err
	}
	dest := c.Attrs["dest"]
	if dest == "" {
		return c, fmt.Errorf("%w: cache %q: type=local needs dest=DIR to export to (src= is for importing)", ErrInvalidOptions, s)
	}
	if fi, err := os.Stat(dest); err == nil && !fi.IsDir() {
		return c, fmt.Errorf("%w: cache %q: dest %s is not a directory", ErrInvalidOptions, s, dest)
	}
	return c, nil
}

// checkCacheSpec checks what ParseCacheSpec read, by type.
func checkCacheSpec(s string, c CacheSpec) error {
	if c.Type == "" {
		return fmt.Errorf("%w: cache %q: no type; write type=%s,...", ErrInvalidOptions, s, strings.Join(cacheTypes, "|"))
	}
	if !slices.Contains(cacheTypes, c.Type) {
		return fmt.Errorf("%w: cache %q: unknown type %q; supported: %s", ErrInvalidOptions, s, c.Type, strings.Join(cacheTypes, ", "))
	}
	if m, ok := c.Attrs["mode"]; ok && m != "min" && m != "max" {
		return fmt.Errorf("%w: cache %q: mode=%s: write mode=min or mode=max", ErrInvalidOptions, s, m)
	}
	if c.Type == "local" && c.Attrs["src"] == "" && c.Attrs["dest"] == "" {
		return fmt.Errorf("%w: cache %q: type=local needs dest=DIR (to export) or src=DIR (to import)", ErrInvalidOptions, s)
	}
	return nil
}

// localCacheDir is where node suffix reads or writes local cache dir:
// a subdirectory of its own in a multi-node build, so the nodes do not
// overwrite each other's index.json.
func localCacheDir(dir, suffix string) string {
	if suffix == "" {
		return dir
	}
	return filepath.Join(dir, suffix)
}

// checkCaches refuses caches the build cannot honour, before any solve:
// an inline cache travels in the exported image, so without an image
// export (a push, an OCI or docker output, an image kept in the builder)
// there is nothing to carry it; a filesystem output (tar, local) is none.
func (o Options) checkCaches() error {
	image := o.Push || o.ociOut()
	if e := o.Export; e != nil && e.Type != ExportTar && e.Type != ExportLocal {
		image = true
	}
	for _, c := range o.CacheTo {
		if c.Type == "inline" && !image {
			return fmt.Errorf("%w: an inline cache export (type=inline): the cache travels inside the image, and this build exports none; push it or write an image (type=registry, oci, docker), or use type=registry or type=local caches", ErrInvalidOptions)
		}
	}
	return nil
}

// checkMultiNodeCache refuses an inline cache export in a build split
// over nodes: each node's images are merged into an index written by us,
// and BuildKit cannot import an inline cache from such an index reliably;
// a registry or local cache is kept per node instead.
func (o Options) checkMultiNodeCache(nodes int) error {
	if nodes < 2 {
		return nil
	}
	for _, c := range o.CacheTo {
		if c.Type == "inline" {
			return fmt.Errorf("%w: an inline cache export (type=inline): the platforms go to %d nodes, whose images are merged into one index; export the cache with type=registry,ref=REF (kept per node) or type=local,dest=DIR (a subdirectory per node)", ErrInvalidOptions, nodes)
		}
	}
	return nil
}

// freshCacheDirs are the local cache-to directories (of every node) that
// do not exist yet: BuildKit's client creates them and writes blobs into
// them during the export, and writes index.json only after the solve
// succeeded, so a failed build would leave a directory of unreferenced
// blobs. discardCacheDirs removes them then; a directory that existed
// keeps its previous index.json, which still names a complete cache.
func (o Options) freshCacheDirs() []string {
	var out []string
	for _, c := range o.CacheTo {
		if c.Type != "local" {
			continue
		}
		if _, err := os.Lstat(c.Attrs["dest"]); os.IsNotExist(err) {
			out = append(out, c.Attrs["dest"])
		}
	}
	return out
}

// discardCacheDirs removes the directories freshCacheDirs found, after a
// failed build.
func (o Options) discardCacheDirs(dirs []string) {
	for _, d := range dirs {
		if err := os.RemoveAll(d); err != nil {
			o.Logger.Warn("could not remove the cache directory of a failed build", "dir", d, "err", err)
		}
	}
}

// CacheBackendError is BuildKit refusing a cache backend: its exporter or
// importer could not be set up (a gha cache without the runner's token, an
// s3 bucket without credentials...). Err is BuildKit's own answer.
type CacheBackendError struct {
	Type string
	Err  error
}

func (e *CacheBackendError) Error() string {
	return fmt.Sprintf("the %s cache backend was refused by the builder: %v", e.Type, e.Err)
}

func (e *CacheBackendError) Unwrap() error { return e.Err }

// Hint says what the backend needs; BuildKit reads gha, s3 and azblob
// settings from the attributes (and s3/azblob credentials from the
// daemon's environment).
func (e *CacheBackendError) Hint() string {
	switch e.Type {
	case "gha":
		return "the gha cache needs the Actions runtime token and cache URL: in a GitHub Actions job expose ACTIONS_RUNTIME_TOKEN and ACTIONS_CACHE_URL to the step (e.g. crazy-max/ghaction-github-runtime), or give token= and url= in the cache attributes"
	case "s3", "azblob":
		return fmt.Sprintf("check the %s cache attributes (bucket/region or account_url/name) and the credentials of the builder's daemon", e.Type)
	}
	return ""
}

// cacheBackendError recognises BuildKit's "failed to configure TYPE cache
// exporter|importer" and returns it as a *CacheBackendError; other errors
// are returned as they are.
func cacheBackendError(err error) error {
	const marker = "failed to configure "
	if err == nil || errors.As(err, new(*CacheBackendError)) {
		return err
	}
	msg := err.Error()
	i := strings.Index(msg, marker)
	if i < 0 {
		return err
	}
	typ, rest, _ := strings.Cut(msg[i+len(marker):], " ")
	if !slices.Contains(cacheTypes, typ) || !(strings.HasPrefix(rest, "cache exporter") || strings.HasPrefix(rest, "cache importer")) {
		return err
	}
	return &CacheBackendError{Type: typ, Err: err}
}
