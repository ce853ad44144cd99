package gitmeta

import (
	"regexp"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

// RefKind is what a build is of.
type RefKind string

const (
	KindTag    RefKind = "tag"
	KindBranch RefKind = "branch"
	KindPR     RefKind = "pr"
	// KindCommit is a commit with no branch or tag (a detached HEAD): only
	// its sha-tag.
	KindCommit RefKind = "commit"
)

// Facts are what the tags and labels are computed from.
type Facts struct {
	// Provider is where the facts came from: "github", "gitlab" or "git".
	Provider string  `json:"provider"`
	Kind     RefKind `json:"kind"`
	// Name is the tag name (as written: v1.2.3), the branch name, or the
	// pull/merge request number; empty for KindCommit.
	Name string `json:"name,omitempty"`
	// DefaultBranch is the repository's; empty when unknown (then "main"
	// and "master" count as default).
	DefaultBranch string `json:"default_branch,omitempty"`
	// SHA is the full commit id built.
	SHA string `json:"sha"`
	// RepoTags are every tag of the repository, to tell whether a release
	// is the highest one.
	RepoTags []string `json:"-"`
	// Source is the repository's URL, https, with no credentials; empty
	// when the remote is not a web host (a local path).
	Source string `json:"source,omitempty"`
	// Title is the repository's name.
	Title string `json:"title,omitempty"`
	// Created is the commit's time.
	Created time.Time `json:"created"`
}

// Meta is what Rules computes: the tags (bare: no repository), the
// version (the first tag, as metadata-action's), and the labels, also
// used as annotations.
type Meta struct {
	Facts   Facts             `json:"facts"`
	Tags    []string          `json:"tags"`
	Version string            `json:"version"`
	Labels  map[string]string `json:"labels"`
}

// The OCI label (and annotation) keys set.
const (
	LabelSource   = "org.opencontainers.image.source"
	LabelRevision = "org.opencontainers.image.revision"
	LabelVersion  = "org.opencontainers.image.version"
	LabelCreated  = "org.opencontainers.image.created"
	LabelTitle    = "org.opencontainers.image.title"
)

// maxTag is the longest tag a registry takes.
const maxTag = 128

// Rules computes the tags and labels of f.
func Rules(f Facts) Meta {
	var tags []string
	switch f.Kind {
	case KindTag:
		tags = tagTags(f.Name, f.RepoTags)
	case KindBranch:
		if isDefault(f.Name, f.DefaultBranch) {
			tags = []string{"edge"}
		} else if t := Sanitize(f.Name); t != "" {
			tags = []string{t}
		}
	case KindPR:
		tags = []string{"pr-" + Sanitize(f.Name)}
	}
	if f.SHA != "" {
		tags = append(tags, "sha-"+short(f.SHA))
	}
	m := Meta{Facts: f, Tags: dedupe(tags), Labels: map[string]string{}}
	if len(m.Tags) > 0 {
		m.Version = m.Tags[0]
	}
	set := func(k, v string) {
		if v != "" {
			m.Labels[k] = v
		}
	}
	set(LabelSource, f.Source)
	set(LabelRevision, f.SHA)
	set(LabelVersion, m.Version)
	set(LabelTitle, f.Title)
	if !f.Created.IsZero() {
		set(LabelCreated, f.Created.UTC().Format(time.RFC3339))
	}
	return m
}

// tagTags are a git tag's image tags: a release gives its version, then
// major.minor and major (no bare major for 0.y.z, which promises no
// compatibility), then latest when no release of the repository is
// higher; a pre-release gives its version only; a tag that is not a
// version gives its sanitised name.
func tagTags(name string, repoTags []string) []string {
	v, ok := parseVersion(name)
	if !ok {
		if t := Sanitize(name); t != "" {
			return []string{t}
		}
		return nil
	}
	plain := strings.TrimPrefix(v, "v")
	if semver.Prerelease(v) != "" {
		return []string{Sanitize(plain)}
	}
	out := []string{plain, strings.TrimPrefix(semver.MajorMinor(v), "v")}
	if major := strings.TrimPrefix(semver.Major(v), "v"); major != "0" {
		out = append(out, major)
	}
	if semver.Compare(v, highestRelease(append([]string{name}, repoTags...))) >= 0 {
		out = append(out, "latest")
	}
	return out
}

// fullVersion is SemVer 2.0 with an optional leading v, all three numbers
// given (metadata-action's semver.valid: "v1.2" is not a version).
var fullVersion = regexp.MustCompile(`^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// parseVersion reads a tag as a version, in x/mod/semver's form (v
// prefix, no build metadata).
func parseVersion(tag string) (string, bool) {
	if !fullVersion.MatchString(tag) {
		return "", false
	}
	v := semver.Canonical("v" + strings.TrimPrefix(tag, "v"))
	return v, v != ""
}

// highestRelease is the highest version among tags that is no
// pre-release ("" when none is).
func highestRelease(tags []string) string {
	best := ""
	for _, t := range tags {
		if v, ok := parseVersion(t); ok && semver.Prerelease(v) == "" && (best == "" || semver.Compare(v, best) > 0) {
			best = v
		}
	}
	return best
}

func isDefault(branch, def string) bool {
	if def == "" {
		return branch == "main" || branch == "master"
	}
	return branch == def
}

var invalidTagChars = regexp.MustCompile(`[^a-z0-9._-]+`)

// Sanitize makes s a valid tag: lower case, every run of other characters
// than letters, digits, '.', '_' and '-' turned into one '-', no leading
// '.' or '-', at most 128 characters. "" when nothing is left.
func Sanitize(s string) string {
	s = invalidTagChars.ReplaceAllString(strings.ToLower(s), "-")
	s = strings.TrimLeft(s, ".-")
	if len(s) > maxTag {
		s = s[:maxTag]
	}
	return s
}

func short(sha string) string {
	sha = strings.ToLower(sha)
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
