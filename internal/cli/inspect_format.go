package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
	"text/template"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/multiarch-dev/multiarch/internal/registry"
)

// inspectFormat is a parsed --format template; whole is true for
// `{{.Manifest}}` alone, which prints the default output, as buildx's
// imagetools inspect does.
type inspectFormat struct {
	tpl   *template.Template
	whole bool
}

var wholeManifest = regexp.MustCompile(`^\{\{\s*\.Manifest\s*\}\}$`)

// parseFormat parses --format before anything is fetched, with buildx's
// json function (indented JSON); nil for "".
func parseFormat(s string) (*inspectFormat, error) {
	if s == "" {
		return nil, nil
	}
	tpl, err := template.New("format").Funcs(template.FuncMap{
		"json": func(v any) (string, error) {
			b, err := json.MarshalIndent(v, "", "  ")
			return string(b), err
		},
	}).Parse(s)
	if err != nil {
		return nil, fmt.Errorf("--format: %w; a Go template such as '{{.Name}}', '{{json .Manifest}}' or '{{json .Image}}'", err)
	}
	return &inspectFormat{tpl: tpl, whole: wholeManifest.MatchString(strings.TrimSpace(s))}, nil
}

// formatInput is one image's template data: buildx's names.
type formatInput struct {
	Name     string         `json:"name,omitempty"`
	Manifest any            `json:"manifest,omitempty"`
	Image    *ocispec.Image `json:"image,omitempty"`
}

// formatInputs is an index's with more than one platform: Image maps each
// platform (os/arch[/variant]) to its config.
type formatInputs struct {
	Name     string                    `json:"name,omitempty"`
	Manifest any                       `json:"manifest,omitempty"`
	Image    map[string]*ocispec.Image `json:"image,omitempty"`
}

// indexManifest is .Manifest of an index: the index as served, with its
// own digest and size added (buildx's shape).
type indexManifest struct {
	SchemaVersion int                  `json:"schemaVersion"`
	MediaType     string               `json:"mediaType,omitempty"`
	Digest        digest.Digest        `json:"digest"`
	Size          int64                `json:"size"`
	Manifests     []ocispec.Descriptor `json:"manifests"`
	Annotations   map[string]string    `json:"annotations,omitempty"`
}

// writeFormat executes the template on ins into a buffer, so a template
// that fails part-way prints nothing; the output ends with a newline.
func writeFormat(out io.Writer, f *inspectFormat, ins *registry.Inspection) error {
	if f.whole {
		return printInspection(out, ins)
	}
	data, err := formatData(ins)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.tpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("--format: %w; the fields are .Name, .Manifest and .Image (one platform's config, or a map of platform to config)", err)
	}
	_, err = out.Write(withNewline(buf.Bytes()))
	return err
}

func formatData(ins *registry.Inspection) (any, error) {
	var manifest any = ocispec.Descriptor{MediaType: ins.MediaType, Digest: digest.Digest(ins.Digest), Size: ins.Size}
	if ins.Kind == registry.KindIndex {
		var idx ocispec.Index
		if err := json.Unmarshal(ins.Raw, &idx); err != nil {
			return nil, fmt.Errorf("%s: index: %w", ins.Reference, err)
		}
		manifest = indexManifest{SchemaVersion: idx.SchemaVersion, MediaType: idx.MediaType, Digest: digest.Digest(ins.Digest),
			Size: ins.Size, Manifests: idx.Manifests, Annotations: idx.Annotations}
	}
	images := map[string]*ocispec.Image{}
	var one *ocispec.Image
	for _, m := range ins.Manifests {
		if m.Config == nil || m.Config.Raw == nil {
			continue
		}
		var img ocispec.Image
		if err := json.Unmarshal(m.Config.Raw, &img); err != nil {
			return nil, fmt.Errorf("%s: config of %s: %w", ins.Reference, m.Platform, err)
		}
		images[m.Platform], one = &img, &img
	}
	if len(images) > 1 {
		return formatInputs{Name: ins.Reference, Manifest: manifest, Image: images}, nil
	}
	return formatInput{Name: ins.Reference, Manifest: manifest, Image: one}, nil
}
