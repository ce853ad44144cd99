package pipeline

import (
	"maps"
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/gitmeta"
)

// GitTags says whether tags from git were asked for.
func (c Config) GitTags() bool { return c.TagsFromGit != nil && *c.TagsFromGit }

// ErrNoRepository is tags from git with no repository to put them on; it
// is an ErrNoImage.
var ErrNoRepository error = noRepository{}

type noRepository struct{}

func (noRepository) Error() string {
	return "tags from git need a repository to put them on: an image, or a full reference among the tags"
}
func (noRepository) Unwrap() error { return ErrNoImage }

// WithGit resolves c with m's tags added to every repository the
// configuration names (Image, and the repository of each full reference
// in Tags; the tags given stay), and m's labels set as the images' labels
// and annotations (the index's and every manifest's).
func (c Config) WithGit(m *gitmeta.Meta) (Plan, error) {
	repos := Repositories(c)
	if len(repos) == 0 {
		return Plan{}, &ConfigError{Source: "tags", Err: ErrNoRepository}
	}
	tags := slices.Clone(c.Tags)
	for _, r := range repos {
		for _, t := range m.Tags {
			tags = append(tags, r+":"+t)
		}
	}
	c.Tags = dedupe(tags)
	p, err := c.Resolve()
	if err != nil {
		return p, err
	}
	p.Labels, p.Annotations, p.Git = maps.Clone(m.Labels), maps.Clone(m.Labels), m
	return p, nil
}

// Repositories are the repositories c names, in order, each once: Image,
// then those of the full references in Tags (tag or digest cut off).
func Repositories(c Config) []string {
	var out []string
	if c.Image != "" {
		out = append(out, c.Image)
	}
	for _, t := range c.Tags {
		if !strings.ContainsAny(t, "/:") {
			continue
		}
		out = append(out, repositoryOf(t))
	}
	return dedupe(out)
}

// repositoryOf cuts the digest, then a tag (a ':' after the last '/'),
// off ref.
func repositoryOf(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		ref = ref[:colon]
	}
	return ref
}

func dedupe(ss []string) []string {
	var out []string
	for _, s := range ss {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
