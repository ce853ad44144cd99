package build

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/client/ociindex"
	"github.com/moby/buildkit/identity"
	"github.com/moby/buildkit/util/gitutil"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"

	"github.com/multiarch-dev/multiarch/internal/build/container"
)

// NamedContext is one named build context (buildx's --build-context
// NAME=VALUE): what `FROM NAME`, `COPY --from=NAME` and `RUN
// --mount=from=NAME` read instead of the image or stage NAME. Exactly one
// of Dir, Image, Layout and URL is set.
type NamedContext struct {
	// Name is as the Dockerfile frontend matches it: a reference in its
	// familiar form without ":latest" ("alpine", "alpine:3.20",
	// "ghcr.io/x/y"), as buildx normalises it.
	Name string
	// Dir is a local directory, sent to every node's solve.
	Dir string
	// Image is an image reference the builder pulls (docker-image://REF).
	Image string
	// Layout is an image of a local OCI layout, lent to the builder
	// through the session's content store (oci-layout://DIR[:TAG|@DIGEST]).
	Layout *OCILayoutRef
	// URL is a git or http(s) URL the builder fetches itself.
	URL string
}

// OCILayoutRef is an image in a local OCI layout directory: by Digest, or
// by Tag (the index's org.opencontainers.image.ref.name or image name).
type OCILayoutRef struct {
	Path   string
	Tag    string
	Digest digest.Digest
	// tagged: the tag was given, not the default "latest"; a layout of
	// one image answers an untagged reference with that image.
	tagged bool
}

// ErrUnsupportedInput is wrapped by errors about a build input (a context,
// a named context, a Dockerfile source) of a form multiarch does not take.
var ErrUnsupportedInput = errors.New("unsupported build input")

const (
	dockerImagePrefix = "docker-image://"
	ociLayoutPrefix   = "oci-layout://"
	// namedContextForms is what a named context may be, for errors.
	namedContextForms = "NAME=DIR, NAME=docker-image://REF, NAME=oci-layout://DIR[:TAG|@DIGEST], or NAME=URL (git or http(s))"
)

// ParseNamedContext parses NAME=VALUE as buildx does: a NAME is a
// reference name, a VALUE docker-image://REF, oci-layout://DIR[:TAG|@DIGEST],
// a git or http(s) URL, else a local directory. Only the form is checked
// here; Validate checks that directories and layouts exist.
func ParseNamedContext(s string) (NamedContext, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || strings.TrimSpace(k) == "" || v == "" {
		return NamedContext{}, fmt.Errorf("%w: %q is not NAME=VALUE; give %s", ErrInvalidOptions, s, namedContextForms)
	}
	named, err := reference.ParseNormalizedNamed(k)
	if err != nil {
		return NamedContext{}, fmt.Errorf("%w: context name %q: %v (a name is what FROM or COPY --from= names: lower case, e.g. base or alpine:3.20)", ErrInvalidOptions, k, err)
	}
	nc := NamedContext{Name: strings.TrimSuffix(reference.FamiliarString(named), ":latest")}
	switch {
	case strings.HasPrefix(v, dockerImagePrefix):
		ref := strings.TrimPrefix(v, dockerImagePrefix)
		if _, err := reference.ParseNormalizedNamed(ref); err != nil {
			return nc, fmt.Errorf("%w: context %s: image reference %q: %v", ErrInvalidOptions, nc.Name, ref, err)
		}
		nc.Image = ref
	case strings.HasPrefix(v, ociLayoutPrefix):
		nc.Layout, err = parseOCILayout(v)
		if err != nil {
			return nc, fmt.Errorf("%w: context %s: %v", ErrInvalidOptions, nc.Name, err)
		}
	case IsRemoteContext(v):
		if err := checkRemote(v); err != nil {
			return nc, fmt.Errorf("context %s: %w", nc.Name, err)
		}
		nc.URL = v
	case strings.Contains(v, "://"):
		scheme, _, _ := strings.Cut(v, "://")
		return nc, fmt.Errorf("%w: context %s: scheme %s:// is not supported; give %s", ErrUnsupportedInput, nc.Name, scheme, namedContextForms)
	default:
		nc.Dir = v
	}
	return nc, nil
}

// parseOCILayout reads oci-layout://DIR[:TAG][@DIGEST] as buildx does
// (no tag and no digest: tag latest).
func parseOCILayout(v string) (*OCILayoutRef, error) {
	p := strings.TrimPrefix(v, ociLayoutPrefix)
	out := &OCILayoutRef{}
	if i := strings.LastIndex(p, "@"); i >= 0 {
		d, err := digest.Parse(p[i+1:])
		if err != nil {
			return nil, fmt.Errorf("%q: digest %q: %v (want sha256:<64 hex>)", v, p[i+1:], err)
		}
		p, out.Digest = p[:i], d
	}
	if i := strings.LastIndex(p, ":"); i >= 0 && !strings.Contains(p[i+1:], "/") {
		if !reference.TagRegexp.MatchString(p[i+1:]) {
			return nil, fmt.Errorf("%q: tag %q is not a valid tag", v, p[i+1:])
		}
		p, out.Tag, out.tagged = p[:i], p[i+1:], true
	}
	if p == "" {
		return nil, fmt.Errorf("%q names no directory; give oci-layout://DIR[:TAG|@DIGEST]", v)
	}
	if out.Tag == "" && out.Digest == "" {
		out.Tag = "latest"
	}
	out.Path = p
	return out, nil
}

// IsRemoteContext reports whether s is a context the builder fetches
// itself: a git URL (https://…/repo.git#ref:subdir, git://…, ssh://…,
// git@host:repo) or an http(s) URL of a tarball.
func IsRemoteContext(s string) bool {
	for _, p := range []string{"http://", "https://", "git://", "ssh://", "git@"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// checkRemote checks a remote context's URL the way BuildKit will parse
// it, so a malformed one fails before any builder is contacted.
func checkRemote(u string) error {
	if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") {
		return nil // git or a tarball: BuildKit decides by what answers
	}
	if _, err := gitutil.ParseURL(u); err != nil {
		return fmt.Errorf("%w: git URL %q: %v; give https://HOST/REPO.git#REF:SUBDIR, git://HOST/REPO#REF or git@HOST:REPO#REF", ErrInvalidOptions, u, err)
	}
	return nil
}

// validateNamed checks, before any builder is contacted, that every named
// context's directory or layout exists and that names are not repeated.
func (o Options) validateNamed() error {
	seen := map[string]bool{}
	for _, nc := range o.NamedContexts {
		if seen[nc.Name] {
			return &NamedContextError{Name: nc.Name, Err: fmt.Errorf("%w: given twice", ErrInvalidOptions)}
		}
		seen[nc.Name] = true
		if err := nc.check(); err != nil {
			return &NamedContextError{Name: nc.Name, Err: err}
		}
	}
	return nil
}

// check checks that nc's directory or OCI layout image exists.
func (nc NamedContext) check() error {
	switch {
	case nc.Dir != "":
		const forms = "a named context is a directory, docker-image://REF, oci-layout://DIR or a URL"
		if fi, err := os.Stat(nc.Dir); err != nil {
			return fmt.Errorf("%w (%s)", err, forms)
		} else if !fi.IsDir() {
			return fmt.Errorf("%w: %s is not a directory (%s)", ErrInvalidOptions, nc.Dir, forms)
		}
	case nc.Layout != nil:
		_, err := nc.Layout.resolve()
		return err
	}
	return nil
}

// resolve finds r's image in its layout: the digest must be in the
// layout's blobs; a tag must name one of its index's entries (an untagged
// reference takes the layout's only image).
func (r OCILayoutRef) resolve() (digest.Digest, error) {
	if _, err := os.Stat(filepath.Join(r.Path, ocispecs.ImageLayoutFile)); err != nil {
		return "", fmt.Errorf("%w: %s is not an OCI layout directory (%v): a layout holds oci-layout, index.json and blobs/ (an OCI tarball extracted); an image of a registry is docker-image://REF", ErrInvalidOptions, r.Path, err)
	}
	if r.Digest != "" {
		if _, err := os.Stat(filepath.Join(r.Path, ocispecs.ImageBlobsDir, r.Digest.Algorithm().String(), r.Digest.Encoded())); err != nil {
			return "", fmt.Errorf("%w: OCI layout %s holds no blob %s", ErrInvalidOptions, r.Path, r.Digest)
		}
		return r.Digest, nil
	}
	idx := ociindex.NewStoreIndex(r.Path)
	desc, err := idx.Get(r.Tag)
	if err == nil && desc == nil && !r.tagged {
		desc, err = idx.GetSingle()
	}
	if err != nil {
		return "", fmt.Errorf("OCI layout %s: %w", r.Path, err)
	}
	if desc == nil {
		return "", fmt.Errorf("%w: OCI layout %s has no image tagged %q (it holds %s); give oci-layout://DIR:TAG or oci-layout://DIR@DIGEST", ErrInvalidOptions, r.Path, r.Tag, layoutNames(idx))
	}
	return desc.Digest, nil
}

// layoutNames lists what a layout's index names, for errors.
func layoutNames(idx ociindex.StoreIndex) string {
	ix, err := idx.Read()
	if err != nil {
		return "an unreadable index"
	}
	var names []string
	for _, m := range ix.Manifests {
		n := m.Annotations[ocispecs.AnnotationRefName]
		if n == "" {
			n = m.Digest.String()
		}
		names = append(names, n)
	}
	if len(names) == 0 {
		return "no image"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// addNamedContexts puts o's named contexts into so as buildx does: the
// frontend's context:NAME attributes, a local mount per directory, a
// content store per OCI layout. Every node's solve gets all of them.
func (o Options) addNamedContexts(so *client.SolveOpt) error {
	if len(o.NamedContexts) == 0 {
		return nil
	}
	so.FrontendAttrs["frontend.caps"] = "moby.buildkit.frontend.contexts+forward"
	for _, nc := range o.NamedContexts {
		key := "context:" + nc.Name
		switch {
		case nc.Image != "":
			so.FrontendAttrs[key] = dockerImagePrefix + nc.Image
		case nc.URL != "":
			so.FrontendAttrs[key] = nc.URL
		case nc.Layout != nil:
			d, err := nc.Layout.resolve()
			if err != nil {
				return fmt.Errorf("context %s: %w", nc.Name, err)
			}
			id := identity.NewID()
			if err := container.LendLayout(so, id, nc.Layout.Path); err != nil {
				return fmt.Errorf("context %s: %w", nc.Name, err)
			}
			so.FrontendAttrs[key] = ociLayoutPrefix + id + "@" + d.String()
		default:
			fs, err := fsutil.NewFS(nc.Dir)
			if err != nil {
				return fmt.Errorf("context %s: %w", nc.Name, err)
			}
			mount := "named-" + nc.Name
			so.LocalMounts[mount] = fs
			so.FrontendAttrs[key] = "local:" + mount
		}
	}
	return nil
}
