package cli

import (
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// outputTypes are the --output types build writes, as buildx names them.
const outputTypes = "registry, image, oci, docker, tar, local"

// outputAttrs are the attributes each --output type takes besides type
// (BuildKit's exporter options, buildx's spelling).
var outputAttrs = map[string][]string{
	"registry": {"name", "push", "push-by-digest", "name-canonical"},
	"image":    {"name", "push", "push-by-digest", "name-canonical"},
	"oci":      {"dest", "tar", "name"},
	"docker":   {"dest", "name"},
	"tar":      {"dest", "platform-split"},
	"local":    {"dest", "platform-split"},
}

// outputSpec is build's --output, parsed: what goes into build.Options
// plus what the metadata file and the app call need.
type outputSpec struct {
	typ   string
	attrs map[string]string
	// names are the image names: name= and -t.
	names []string
	// byDigest pushes without writing any tag (push-by-digest=true);
	// canonical adds REPO@DIGEST to image.name (name-canonical=true).
	byDigest, canonical bool
}

// parseOutputSpec reads one --output the way buildx does: CSV fields
// KEY=VALUE (a name list is quoted: "name=a,b"), type first or not; a
// bare "-" is type=tar,dest=- and a bare path type=local,dest=PATH.
func parseOutputSpec(s string) (outputSpec, error) {
	spec := outputSpec{attrs: map[string]string{}}
	fields, err := csv.NewReader(strings.NewReader(s)).Read()
	if err != nil {
		return spec, fmt.Errorf("--output %q: %v; write type=TYPE,KEY=VALUE,... (quote a value holding commas: \"name=a,b\")", s, err)
	}
	if len(fields) == 1 && !strings.Contains(s, "=") {
		spec.typ, spec.attrs["dest"] = "local", s
		if s == "-" {
			spec.typ = "tar"
		}
		return spec, nil
	}
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			return spec, fmt.Errorf("--output %q: %q is not KEY=VALUE", s, f)
		}
		if _, dup := spec.attrs[k]; dup || (k == "type" && spec.typ != "") {
			return spec, fmt.Errorf("--output %q: %s is given twice", s, k)
		}
		if k == "type" {
			spec.typ = strings.TrimSpace(v)
			continue
		}
		spec.attrs[k] = strings.TrimSpace(v)
	}
	return spec, spec.check(s)
}

// check refuses an unknown type, an attribute the type does not take and
// a malformed boolean, naming what is accepted.
func (spec *outputSpec) check(s string) error {
	allowed, ok := outputAttrs[spec.typ]
	if spec.typ == "" {
		return fmt.Errorf("--output %q: no type; write type=TYPE,... with TYPE one of %s", s, outputTypes)
	}
	if !ok {
		return fmt.Errorf("--output %q: unknown type %q; supported: %s", s, spec.typ, outputTypes)
	}
	for k, v := range spec.attrs {
		if k == "registry.insecure" {
			return fmt.Errorf("--output %q: registry.insecure: give --insecure-registry HOST instead (the builder is told to reach HOST over plain HTTP)", s)
		}
		if !slices.Contains(allowed, k) {
			return fmt.Errorf("--output %q: type=%s takes no %s attribute; it takes %s", s, spec.typ, k, strings.Join(allowed, ", "))
		}
		if k != "name" && k != "dest" {
			if _, err := strconv.ParseBool(v); err != nil {
				return fmt.Errorf("--output %q: %s=%q: want true or false", s, k, v)
			}
		}
	}
	return nil
}

// flag reads a boolean attribute (checked by check), def when absent.
func (spec *outputSpec) flag(k string, def bool) bool {
	v, ok := spec.attrs[k]
	if !ok {
		return def
	}
	b, _ := strconv.ParseBool(v)
	return b
}

// applyOutput maps --output (and --push) onto o; it runs before
// checkStdout, which turns dest=- into a stream.
func (f *buildFlags) applyOutput(o *build.Options) error {
	if f.output == "" {
		return nil
	}
	spec, err := parseOutputSpec(f.output)
	if err != nil {
		return err
	}
	spec.names = mergeNames(spec.attrs["name"], f.tags)
	f.outSpec = spec
	switch spec.typ {
	case "registry", "image":
		return f.imageOutput(o)
	}
	if f.push {
		return fmt.Errorf("--push and --output type=%s cannot be used together: --push is --output type=registry; drop one", spec.typ)
	}
	dest := spec.attrs["dest"]
	if dest == "" {
		return fmt.Errorf("--output type=%s needs dest=PATH%s", spec.typ, destAdvice(spec.typ))
	}
	if spec.typ == "oci" && spec.flag("tar", true) {
		o.OCIDest, o.Tags = dest, spec.names
		return nil
	}
	e := &build.Export{Type: spec.typ, Dest: dest, Attrs: map[string]string{}}
	if spec.typ == "oci" {
		e.Type = build.ExportOCIDir
	}
	if v, ok := spec.attrs["platform-split"]; ok {
		e.Attrs["platform-split"] = v
	}
	if len(spec.names) > 0 {
		e.Attrs["name"] = strings.Join(spec.names, ",")
	}
	o.Export = e
	return nil
}

// destAdvice says what dest= of a type may be.
func destAdvice(typ string) string {
	switch typ {
	case "docker":
		return " (or dest=- for standard output): there is no docker engine here to load the image into; load the file with docker load -i PATH"
	case "local":
		return " of a directory (created if missing)"
	case "oci":
		return " (a tarball, or dest=- for standard output; with tar=false a directory)"
	}
	return " (or dest=- for standard output)"
}

// imageOutput is type=registry (--push) and type=image: pushed by digest
// then tagged, pushed by digest only (push-by-digest=true), or built and
// not pushed (push=false).
func (f *buildFlags) imageOutput(o *build.Options) error {
	spec := &f.outSpec
	push := spec.typ == "registry" || f.push || spec.flag("push", false)
	if spec.typ == "registry" && !spec.flag("push", true) {
		return fmt.Errorf("--output %q: type=registry always pushes; write type=image,push=false to build without pushing", f.output)
	}
	spec.byDigest, spec.canonical = spec.flag("push-by-digest", false), spec.flag("name-canonical", false)
	if !push {
		if spec.byDigest {
			return fmt.Errorf("--output %q: push-by-digest=true needs push=true", f.output)
		}
		o.Export = &build.Export{Type: build.ExportImage, Attrs: map[string]string{}}
		if len(spec.names) > 0 {
			o.Export.Attrs["name"] = strings.Join(spec.names, ",")
		}
		return nil
	}
	if len(spec.names) == 0 {
		return fmt.Errorf("--output %q: nothing to push to: give name=REGISTRY/REPO[:TAG] (or -t)", f.output)
	}
	if spec.byDigest {
		repo := registry.Repository(spec.names[0])
		for _, n := range spec.names[1:] {
			if registry.Repository(n) != repo {
				return fmt.Errorf("--output %q: push-by-digest writes into one repository, and %s and %s differ; give one name", f.output, spec.names[0], n)
			}
		}
	}
	o.Push, o.Tags = true, spec.names
	return nil
}

// mergeNames is name= (comma separated) then every -t not already named.
func mergeNames(attr string, tags []string) []string {
	var out []string
	for n := range strings.SplitSeq(attr, ",") {
		if n = strings.TrimSpace(n); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, t := range tags {
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// stdoutDest names o's output when its dest is - ("" otherwise).
func stdoutDest(o *build.Options) string {
	switch {
	case o.OCIDest == "-":
		return "type=oci,dest=-"
	case o.Export != nil && o.Export.Dest == "-":
		return "type=" + o.Export.Type + ",dest=-"
	}
	return ""
}

// checkStdout turns dest=- into a stream to standard output, as buildx
// does, refusing a terminal (a tarball there is garbage on the screen)
// and a directory output; everything else build prints then goes to
// standard error (runBuild). --metadata-file - is refused: it would be a
// file named "-", and standard output is taken by the summary or the
// tarball.
func (f *buildFlags) checkStdout(cmd *cobra.Command, o *build.Options) error {
	if f.metadataFile == "-" {
		return errors.New("--metadata-file -: give a file path (standard output carries the build's summary, or the tarball with --output type=oci,dest=-)")
	}
	what := stdoutDest(o)
	if what == "" {
		return nil
	}
	if o.Export != nil && (o.Export.Type == build.ExportLocal || o.Export.Type == build.ExportOCIDir) {
		return fmt.Errorf("--output %s: a directory cannot go to standard output; give dest=DIR, or write a tarball (type=tar,dest=- or type=oci,dest=-)", f.output)
	}
	out := cmd.OutOrStdout()
	if file, ok := out.(*os.File); ok && term.IsTerminal(int(file.Fd())) {
		return fmt.Errorf("--output %s: standard output is a terminal; redirect it to a file or a pipe (multiarch build ... > image.tar), or give dest=PATH", what)
	}
	if o.Export != nil {
		o.Export.Dest, o.Export.Stream = "", out
		return nil
	}
	o.OCIDest, o.OCIStream = "", out
	return nil
}

// streamsOut reports whether o writes a tarball to standard output.
func streamsOut(o build.Options) bool {
	return o.OCIStream != nil || (o.Export != nil && o.Export.Stream != nil)
}

// indexExported reports whether o exports an image whose index digest
// can be written (--iidfile, -q): not a filesystem output.
func indexExported(o build.Options) bool {
	if o.Export != nil {
		return o.Export.Type != build.ExportLocal && o.Export.Type != build.ExportTar
	}
	return o.Push || o.OCIDest != "" || o.OCIStream != nil
}

// imageName is buildx's image.name: the names, comma joined; with
// push-by-digest their repositories (no tag was written); with
// name-canonical=true REPOSITORY@DIGEST of each (only those when pushed by
// digest).
func (spec outputSpec) imageName(o build.Options, r *build.Result) string {
	names := spec.names
	if len(names) == 0 {
		names = o.Tags
	}
	var repos, canon []string
	for _, n := range names {
		repo := registry.Repository(n)
		if !slices.Contains(repos, repo) {
			repos = append(repos, repo)
			if spec.canonical && r.Digest != "" {
				canon = append(canon, repo+"@"+r.Digest)
			}
		}
	}
	switch {
	case spec.byDigest && len(canon) > 0:
		return strings.Join(canon, ",")
	case spec.byDigest:
		return strings.Join(repos, ",")
	}
	return strings.Join(append(slices.Clone(names), canon...), ",")
}
