package build

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// Export types beyond the registry push and the OCI tarball of
// Options.OCIDest, named as BuildKit's exporters (and buildx's -o type=).
const (
	// ExportOCIDir writes an OCI image layout directory (tar=false).
	ExportOCIDir = "oci-dir"
	// ExportDocker writes a docker-archive tarball (docker load's format)
	// of one platform: BuildKit's docker exporter writes no index.
	ExportDocker = client.ExporterDocker
	// ExportTar writes the built filesystem as a tarball; with several
	// platforms, one top-level directory per platform (linux_arm64/...).
	ExportTar = client.ExporterTar
	// ExportLocal writes the built filesystem into a directory; with
	// several platforms, one subdirectory per platform (linux_arm64/...).
	ExportLocal = client.ExporterLocal
	// ExportImage builds the image and its index without pushing them
	// (buildx's type=image,push=false): the digest is known, nothing leaves
	// the builder.
	ExportImage = client.ExporterImage
)

// Export is an output of the build other than the push and the OCI
// tarball of OCIDest/OCIStream. Files and directories are written into a
// temp file or directory next to Dest and put in place only when the
// build succeeded: a failed or cancelled build leaves nothing at Dest.
type Export struct {
	// Type is one of the Export* constants.
	Type string
	// Dest is the file or directory to write ("" for ExportImage, or with
	// Stream). A directory that exists is kept: the entries the build
	// writes replace those of the same name in it, others stay.
	Dest string
	// Stream, for ExportDocker and ExportTar, receives the tarball once the
	// build succeeded (spooled to a temp file meanwhile).
	Stream io.Writer
	// Attrs are passed to BuildKit's exporter as they are (name,
	// platform-split, ...); Dest and tar are set from the fields above.
	Attrs map[string]string
}

// ExportResult says what an Export wrote.
type ExportResult struct {
	Type     string `json:"type"`
	Dest     string `json:"dest,omitempty"`
	Streamed bool   `json:"streamed,omitempty"`
}

// Descriptor is the exported index (or image) as an OCI descriptor:
// buildx's containerimage.descriptor.
type Descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// what names e's kind in messages.
func (e *Export) what() string {
	switch e.Type {
	case ExportOCIDir:
		return "an OCI layout directory"
	case ExportDocker:
		return "a docker archive"
	case ExportTar:
		return "a filesystem tarball"
	case ExportLocal:
		return "a filesystem directory"
	}
	return "an image built without push"
}

// isDir reports whether e writes a directory.
func (e *Export) isDir() bool { return e.Type == ExportOCIDir || e.Type == ExportLocal }

// hasIndex reports whether e writes an image (whose digest and platforms
// can be reported), not a filesystem.
func (e *Export) hasIndex() bool { return e.Type != ExportTar && e.Type != ExportLocal }

// validateExport checks o.Export as validate does for the OCI tarball:
// no second output, a destination that can be written.
func (o Options) validateExport() error {
	e := o.Export
	if e == nil {
		return nil
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOptions}, a...)...)
	}
	switch {
	case o.Push || o.ociOut():
		return bad("choose one output: a push, an OCI tarball or %s", e.what())
	case e.Type == ExportImage:
		return nil
	case e.Type == ExportDocker && len(o.Platforms) > 1:
		return bad("a docker archive holds one platform, and %d are built; write an OCI layout (tarball or directory) for several", len(o.Platforms))
	case e.Stream != nil && (e.isDir() || e.Dest != ""):
		return bad("%s goes to a file or a stream, not both (and never a directory to a stream)", e.what())
	case e.Stream != nil:
		return nil
	case e.Dest == "":
		return bad("%s needs a destination", e.what())
	case e.isDir():
		return CheckOutputDir(e.Dest)
	}
	return CheckOutputPath(e.Dest)
}

// CheckOutputDir checks that a directory can be written at path as a
// build does when it succeeds (a temp directory next to it, moved into
// place): path is a directory or does not exist, its parent exists and
// takes new entries, and so does path when it exists. It returns an
// *OutputPathError.
func CheckOutputDir(path string) error {
	fi, err := os.Stat(path)
	if err == nil && !fi.IsDir() {
		return &OutputPathError{Path: path, Problem: "it exists and is not a directory",
			Advice: "give the path of a directory (it is created if missing), or remove the file", Err: fs.ErrExist}
	}
	if err == nil {
		if err := CheckOutputPath(filepath.Join(path, ".multiarch-dir")); err != nil {
			return err
		}
	}
	clean := filepath.Clean(path)
	return CheckOutputPath(filepath.Join(filepath.Dir(clean), "."+filepath.Base(clean)+".multiarch-dir"))
}

// exportEntry is e as BuildKit's export entry of one solve, and the
// temp file or directory it writes into (nil for ExportImage). attrs are
// the solve's frontend attributes: a docker archive holds one image, so
// the frontend is not asked for an index.
func (o Options) exportEntry(attrs map[string]string) (client.ExportEntry, *ociOutput, error) {
	e := o.Export
	entry := client.ExportEntry{Type: e.Type, Attrs: maps.Clone(e.Attrs)}
	if entry.Attrs == nil {
		entry.Attrs = map[string]string{}
	}
	if e.hasIndex() {
		maps.Copy(entry.Attrs, o.annotationAttrs(true))
		o.insecureAttr(entry.Attrs)
	}
	if e.Type == ExportDocker {
		delete(attrs, "multi-platform")
	}
	if _, set := e.Attrs["platform-split"]; !set && !e.hasIndex() && len(o.Platforms) == 1 {
		// One platform: its files at the top, as buildx writes them.
		entry.Attrs["platform-split"] = "false"
	}
	if e.Type == ExportImage {
		entry.Attrs[string(exptypes.OptKeyPush)] = "false"
		return entry, nil, nil
	}
	out := &ociOutput{dest: e.Dest, stream: e.Stream}
	if e.Type == ExportOCIDir {
		entry.Type = client.ExporterOCI
		entry.Attrs["tar"] = "false"
	}
	if !e.isDir() {
		entry.Output = out.create
		return entry, out, nil
	}
	dir, err := out.createDir()
	if err != nil {
		return entry, nil, fmt.Errorf("%s output: %w", e.Type, err)
	}
	entry.OutputDir = dir
	return entry, out, nil
}

// result says what e wrote (nil without e).
func (e *Export) result() *ExportResult {
	if e == nil {
		return nil
	}
	return &ExportResult{Type: e.Type, Dest: e.Dest, Streamed: e.Stream != nil}
}

// platforms lists the platforms of the index e wrote, read from its temp
// directory; a docker archive's digest is its one platform's manifest;
// none for a filesystem or an index built without push (nothing was
// written here to read).
func (e *Export) platforms(out *ociOutput, digest string, ps []platform.Platform) ([]PlatformDigest, error) {
	switch e.Type {
	case ExportOCIDir:
		ds, err := registry.LayoutDirPlatforms(out.path(), digest)
		return fromRegistry(ds), err
	case ExportDocker:
		return []PlatformDigest{{Platform: ps[0].String(), Digest: digest}}, nil
	}
	return nil, nil
}

// descriptorOf reads the exporter's containerimage.descriptor (base64 of
// the OCI descriptor's JSON); nil when the exporter gave none.
func descriptorOf(resp map[string]string) *Descriptor {
	raw, err := base64.StdEncoding.DecodeString(resp[exptypes.ExporterImageDescriptorKey])
	if err != nil || len(raw) == 0 {
		return nil
	}
	var d Descriptor
	if json.Unmarshal(raw, &d) != nil || d.Digest == "" {
		return nil
	}
	return &d
}

// multiNodeOutput refuses, before any solve, what a build spread over n
// nodes cannot write: every node pushes its images by digest and the
// index is assembled in the registry, so there is no one result to write
// into a file or directory, nor an index built without push.
func (o Options) multiNodeOutput(n int) error {
	kind := ""
	switch {
	case o.ociOut():
		kind = "an OCI tarball"
	case o.Export != nil:
		kind = o.Export.what()
	default:
		return nil
	}
	return fmt.Errorf("%w: the platforms go to %d nodes, and a multi-node build can only push to a registry (push by digest too) or build without output, not write %s; build on one node (a builder whose node runs or emulates every platform) to write it", ErrInvalidOptions, n, kind)
}

// createDir makes the temp directory a directory output is written into,
// next to dest.
func (out *ociOutput) createDir() (string, error) {
	out.mu.Lock()
	defer out.mu.Unlock()
	dir, base := filepath.Split(out.dest)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.MkdirTemp(dir, "."+base+".*.partial")
	if err != nil {
		return "", err
	}
	out.tmpDir = tmp
	return tmp, nil
}

// commitDir puts the finished directory in place: renamed to dest when
// dest does not exist, else its entries are moved into dest, each
// replacing the entry of the same name.
func (out *ociOutput) commitDir() error {
	defer os.RemoveAll(out.tmpDir)
	err := os.Rename(out.tmpDir, out.dest)
	if err == nil {
		return nil
	}
	if fi, serr := os.Stat(out.dest); serr != nil || !fi.IsDir() {
		return err
	}
	ents, err := os.ReadDir(out.tmpDir)
	if err != nil {
		return err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	slices.Sort(names)
	var errs []error
	for _, n := range names {
		target := filepath.Join(out.dest, n)
		if err := os.RemoveAll(target); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, os.Rename(filepath.Join(out.tmpDir, n), target))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("moving the output into %s: %w", out.dest, err)
	}
	return nil
}
