package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/renameio/v2"

	"github.com/multiarch-dev/multiarch/internal/build"
)

func renderSummary(w io.Writer, r *build.Result) {
	fmt.Fprintf(w, "\nbuilt %d platform(s) in %s on %s\n", len(r.Stats), round(r.Duration), r.Address)
	digests := map[string]string{}
	for _, p := range r.Platforms {
		digests[p.Platform] = p.Digest
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  PLATFORM\tNODE\tTIME\tEMULATED RUN\tDIGEST")
	for _, s := range r.Stats {
		node, run := s.Node, "-"
		if s.Emulated {
			node += " (emulated)"
		}
		if s.EmulatedRun > 0 {
			run = round(s.EmulatedRun)
		}
		d := digests[s.Platform]
		if d == "" {
			d = "-"
		}
		took := round(s.Duration)
		if s.Duration == 0 {
			took = "cached"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.Platform, node, took, run, d)
	}
	tw.Flush()
	if r.Digest != "" {
		fmt.Fprintf(w, "%s: %s\n", digestLabel(r), r.Digest)
	}
	switch {
	case r.Pushed && len(r.Tags) > 0:
		fmt.Fprintf(w, "pushed: %s\n", strings.Join(r.Tags, ", "))
	case r.Pushed:
		fmt.Fprintf(w, "pushed by digest, no tag yet: %s\n", r.Ref)
	case r.OCIStreamed:
		fmt.Fprintln(w, "written: standard output (OCI layout tarball)")
	case r.OCIDest != "":
		fmt.Fprintf(w, "written: %s\n", r.OCIDest)
	case r.Export != nil:
		renderExport(w, r.Export)
	default:
		fmt.Fprintln(w, "not exported (no --push or --output): the result stays in the builder's cache")
	}
	renderEmulation(w, r)
}

func round(d time.Duration) string {
	if d < time.Second {
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// crossCompileHint is printed when emulated RUN steps that compile
// dominate a build (build.Result.EmulationDominates).
const crossCompileHint = `hint: most of this build compiled under emulation. Cross-compile instead: build in a
      stage that runs on the builder's own platform and targets the requested one, e.g.
        FROM --platform=$BUILDPLATFORM golang:1 AS build
        ARG TARGETOS TARGETARCH
        RUN GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/app .
        FROM <base>
        COPY --from=build /out/app /app
      or add a node that runs those platforms natively (multiarch builder create --node ... --platform ...).`

func renderEmulation(w io.Writer, r *build.Result) {
	if r.EmulatedRun <= 0 {
		return
	}
	pct := 100 * r.EmulatedRun.Seconds() / r.Duration.Seconds()
	fmt.Fprintf(w, "RUN steps under emulation: %s of %s (%.0f%%)", round(r.EmulatedRun), round(r.Duration), pct)
	if r.EmulatedCompile > 0 {
		fmt.Fprintf(w, ", %s of it running a compiler", round(r.EmulatedCompile))
	}
	fmt.Fprintln(w)
	if r.EmulationDominates() {
		fmt.Fprintln(w, crossCompileHint)
	}
}

// Metadata is the --metadata-file shape. "containerimage.digest" is the key
// buildx users know.
type Metadata struct {
	Digest string `json:"containerimage.digest"`
	// Descriptor and ImageName are buildx's containerimage.descriptor
	// (the index's media type, digest and size) and image.name (the names,
	// comma joined).
	Descriptor *build.Descriptor `json:"containerimage.descriptor,omitempty"`
	ImageName  string            `json:"image.name,omitempty"`
	// (buildx.build.provenance goes here, beside buildx's other keys.)

	Tags      []string               `json:"tags,omitempty"`
	Platforms []build.PlatformDigest `json:"platforms"`
	Pushed    bool                   `json:"pushed"`
	OCIDest   string                 `json:"ociDest,omitempty"`
	// Output is what --output wrote other than a push or an OCI tarball.
	Output          *build.ExportResult `json:"output,omitempty"`
	DurationSeconds float64             `json:"durationSeconds"`
}

// digestLabel names what Result.Digest is: an index, except for a docker
// archive's one image.
func digestLabel(r *build.Result) string {
	if r.Export != nil && r.Export.Type == build.ExportDocker {
		return "image"
	}
	return "index"
}

// renderExport says where an --output other than a push or an OCI
// tarball went.
func renderExport(w io.Writer, e *build.ExportResult) {
	what := map[string]string{build.ExportOCIDir: "OCI layout directory", build.ExportDocker: "docker archive tarball",
		build.ExportTar: "filesystem tarball", build.ExportLocal: "filesystem, one directory per platform when several"}[e.Type]
	switch {
	case e.Type == build.ExportImage:
		fmt.Fprintln(w, "built, not pushed (type=image,push=false): the index stays in the builder")
	case e.Streamed:
		fmt.Fprintf(w, "written: standard output (%s)\n", what)
	default:
		fmt.Fprintf(w, "written: %s (%s)\n", e.Dest, what)
	}
}

// writeMetadata writes r's metadata to path (writeFileAtomic): path holds
// the whole document or what it held before, never half of one.
func writeMetadata(path string, r *build.Result, imageName string) error {
	m := Metadata{Digest: r.Digest, Tags: r.Tags, Platforms: r.Platforms, Pushed: r.Pushed, OCIDest: r.OCIDest, DurationSeconds: r.Duration.Seconds(),
		Descriptor: r.Descriptor, ImageName: imageName, Output: r.Export}
	if r.OCIStreamed {
		m.OCIDest = "-"
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err == nil {
		b, err = withProvenance(b, r)
	}
	if err != nil {
		return err
	}
	return writeFileAtomic(path, "metadata file", append(b, '\n'))
}

// writeFileAtomic writes data to path through a temp file in the same
// directory, synced and renamed into place (renameio, as binfmt's files
// are), so path never holds half of it; what names the file in an error.
func writeFileAtomic(path, what string, data []byte) error {
	err := renameio.WriteFile(path, data, 0o644, renameio.WithTempDir(filepath.Dir(path)), renameio.WithStaticPermissions(0o644))
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
