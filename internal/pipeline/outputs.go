package pipeline

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/gitmeta"
)

// Outputs are what a passed run hands to the CI's next steps: the digest
// of the index, the tags written, the platforms and, as Metadata, all of
// it with the labels and annotations.
type Outputs struct {
	Digest    string
	Tags      []string
	Platforms []string
	Metadata  Metadata
}

// Metadata is the "metadata" output's JSON.
type Metadata struct {
	Digest string `json:"digest"`
	// Image is REPOSITORY@DIGEST of the index, as pushed.
	Image       string            `json:"image"`
	Tags        []string          `json:"tags"`
	Platforms   []string          `json:"platforms"`
	Version     string            `json:"version,omitempty"`
	Labels      map[string]string `json:"labels,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

// NewOutputs are the outputs of run s of plan p.
func NewOutputs(s *Summary, p Plan) Outputs {
	md := Metadata{Digest: s.Digest, Image: s.Pushed, Tags: nonNil(s.TagsWritten), Platforms: nonNil(s.Platforms),
		Labels: p.Labels, Annotations: p.Annotations}
	if p.Git != nil {
		md.Version = p.Git.Version
	}
	return Outputs{Digest: s.Digest, Tags: md.Tags, Platforms: md.Platforms, Metadata: md}
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

// WriteGitHubOutput appends o to a $GITHUB_OUTPUT file: digest, tags (one
// per line), platforms (comma separated) and metadata (JSON), each in
// GitHub's multi-line form NAME<<DELIMITER with a random delimiter, so no
// value can end it early.
func WriteGitHubOutput(w io.Writer, o Outputs) error {
	md, err := json.Marshal(o.Metadata)
	if err != nil {
		return err
	}
	for _, kv := range [][2]string{
		{"digest", o.Digest}, {"tags", strings.Join(o.Tags, "\n")},
		{"platforms", strings.Join(o.Platforms, ",")}, {"metadata", string(md)},
	} {
		delim, err := delimiter(kv[1])
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "%s<<%s\n%s\n%s\n", kv[0], delim, kv[1], delim); err != nil {
			return err
		}
	}
	return nil
}

// delimiter is GitHub's ghadelimiter_<random>, one that v does not hold.
func delimiter(v string) (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	d := "ghadelimiter_" + hex.EncodeToString(b)
	if strings.Contains(v, d) {
		return "", fmt.Errorf("output value holds its delimiter %s", d)
	}
	return d, nil
}

// Dotenv names, as GitLab's artifacts:reports:dotenv passes them on.
const (
	DotenvDigest    = "MULTIARCH_DIGEST"
	DotenvImage     = "MULTIARCH_IMAGE"
	DotenvTags      = "MULTIARCH_TAGS"
	DotenvPlatforms = "MULTIARCH_PLATFORMS"
	DotenvVersion   = "MULTIARCH_VERSION"
	DotenvMetadata  = "MULTIARCH_METADATA"
)

// WriteDotenv writes o as a dotenv file, one NAME=VALUE a line (GitLab's
// dotenv takes no multi-line value: tags and platforms are comma
// separated, the metadata compact JSON), unquoted.
func WriteDotenv(w io.Writer, o Outputs) error {
	md, err := json.Marshal(o.Metadata)
	if err != nil {
		return err
	}
	for _, kv := range [][2]string{
		{DotenvDigest, o.Digest}, {DotenvImage, o.Metadata.Image}, {DotenvTags, strings.Join(o.Tags, ",")},
		{DotenvPlatforms, strings.Join(o.Platforms, ",")}, {DotenvVersion, o.Metadata.Version}, {DotenvMetadata, string(md)},
	} {
		if strings.ContainsAny(kv[1], "\r\n") {
			return fmt.Errorf("dotenv %s: a value cannot span lines", kv[0])
		}
		if _, err := fmt.Fprintf(w, "%s=%s\n", kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// PlanReport is `ci --dry-run`'s plan: what a run would build, push and
// set, computed as a run computes it, with nothing run.
type PlanReport struct {
	DryRun    bool     `json:"dry_run"`
	Platforms []string `json:"platforms"`
	// Tags are every reference the run would write, in order.
	Tags        []string          `json:"tags"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	// Git is what the git tags and labels came from (absent without tags
	// from git).
	Git *gitmeta.Meta `json:"git,omitempty"`
	// PRMode: the run would push nothing (see prmode.go); OCIDir is where
	// it would keep the layout.
	PRMode bool   `json:"pr_mode,omitempty"`
	OCIDir string `json:"oci_dir,omitempty"`
}

// Report is p as PlanReport.
func (p Plan) Report() PlanReport {
	r := PlanReport{DryRun: true, Tags: nonNil(p.Tags), Labels: p.Labels, Annotations: p.Annotations, Git: p.Git,
		PRMode: p.NoPush, OCIDir: p.OCIDir}
	for _, pl := range p.Platforms {
		r.Platforms = append(r.Platforms, pl.String())
	}
	if r.Labels == nil {
		r.Labels = map[string]string{}
	}
	if r.Annotations == nil {
		r.Annotations = map[string]string{}
	}
	return r
}

// WritePlan writes r for people.
func WritePlan(w io.Writer, r PlanReport) error {
	fmt.Fprintln(w, "ci plan (dry run: nothing is built, pushed or tagged)")
	fmt.Fprintf(w, "platforms:   %s\n", strings.Join(r.Platforms, ", "))
	writePlanPR(w, r)
	if r.Git != nil {
		f := r.Git.Facts
		fmt.Fprintf(w, "from git:    %s %s %s at %s (%s)\n", f.Provider, f.Kind, f.Name, f.SHA, r.Git.Version)
	}
	fmt.Fprintln(w, "tags:")
	for _, t := range r.Tags {
		fmt.Fprintf(w, "  %s\n", t)
	}
	for _, sec := range []struct {
		name string
		m    map[string]string
	}{{"labels (every image config)", r.Labels}, {"annotations (index and every manifest)", r.Annotations}} {
		if len(sec.m) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s:\n", sec.name)
		for _, k := range slices.Sorted(maps.Keys(sec.m)) {
			fmt.Fprintf(w, "  %s=%s\n", k, sec.m[k])
		}
	}
	return nil
}
