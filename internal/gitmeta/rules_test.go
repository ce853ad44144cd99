package gitmeta

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"
)

const sha = "0123456789abcdef0123456789abcdef01234567"

func TestRulesTags(t *testing.T) {
	repo := []string{"v1.2.3", "v1.3.0-rc.1", "v1.2.2", "v0.9.0", "not-a-version"}
	for _, c := range []struct {
		name string
		f    Facts
		want []string
	}{
		{"highest release", Facts{Kind: KindTag, Name: "v1.2.3", RepoTags: repo}, []string{"1.2.3", "1.2", "1", "latest", "sha-0123456"}},
		{"release without v", Facts{Kind: KindTag, Name: "1.2.3", RepoTags: repo}, []string{"1.2.3", "1.2", "1", "latest", "sha-0123456"}},
		{"older release: no latest", Facts{Kind: KindTag, Name: "v1.2.2", RepoTags: repo}, []string{"1.2.2", "1.2", "1", "sha-0123456"}},
		{"pre-release: itself only", Facts{Kind: KindTag, Name: "v1.3.0-rc.1", RepoTags: repo}, []string{"1.3.0-rc.1", "sha-0123456"}},
		{"pre-release above every release", Facts{Kind: KindTag, Name: "v2.0.0-beta.1", RepoTags: repo}, []string{"2.0.0-beta.1", "sha-0123456"}},
		{"0.y.z: no bare 0", Facts{Kind: KindTag, Name: "v0.9.0", RepoTags: []string{"v0.9.0"}}, []string{"0.9.0", "0.9", "latest", "sha-0123456"}},
		{"tag not yet in the repo's list", Facts{Kind: KindTag, Name: "v1.2.4", RepoTags: repo}, []string{"1.2.4", "1.2", "1", "latest", "sha-0123456"}},
		{"build metadata dropped", Facts{Kind: KindTag, Name: "v1.2.3+build.7", RepoTags: repo}, []string{"1.2.3", "1.2", "1", "latest", "sha-0123456"}},
		{"not a version: sanitised name", Facts{Kind: KindTag, Name: "Release/Foo", RepoTags: repo}, []string{"release-foo", "sha-0123456"}},
		{"short version is not one", Facts{Kind: KindTag, Name: "v1.2", RepoTags: repo}, []string{"v1.2", "sha-0123456"}},
		{"branch", Facts{Kind: KindBranch, Name: "feature/Login_Page#2", DefaultBranch: "main"}, []string{"feature-login_page-2", "sha-0123456"}},
		{"default branch", Facts{Kind: KindBranch, Name: "main", DefaultBranch: "main"}, []string{"edge", "sha-0123456"}},
		{"default branch named otherwise", Facts{Kind: KindBranch, Name: "trunk", DefaultBranch: "trunk"}, []string{"edge", "sha-0123456"}},
		{"main when another is default", Facts{Kind: KindBranch, Name: "main", DefaultBranch: "trunk"}, []string{"main", "sha-0123456"}},
		{"master, default unknown", Facts{Kind: KindBranch, Name: "master"}, []string{"edge", "sha-0123456"}},
		{"leading dots and dashes", Facts{Kind: KindBranch, Name: "--.x", DefaultBranch: "main"}, []string{"x", "sha-0123456"}},
		{"pull request", Facts{Kind: KindPR, Name: "42"}, []string{"pr-42", "sha-0123456"}},
		{"detached commit", Facts{Kind: KindCommit}, []string{"sha-0123456"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.f.SHA = sha
			m := Rules(c.f)
			if !slices.Equal(m.Tags, c.want) {
				t.Fatalf("tags %q, want %q", m.Tags, c.want)
			}
			if m.Version != c.want[0] || m.Labels[LabelVersion] != c.want[0] {
				t.Errorf("version %q / label %q, want %q", m.Version, m.Labels[LabelVersion], c.want[0])
			}
		})
	}
}

func TestRulesLongBranch(t *testing.T) {
	m := Rules(Facts{Kind: KindBranch, Name: strings.Repeat("Ab/", 100), DefaultBranch: "main", SHA: sha})
	if len(m.Tags[0]) != 128 || strings.ToLower(m.Tags[0]) != m.Tags[0] || strings.Contains(m.Tags[0], "/") {
		t.Fatalf("tag %q (%d): want 128 lower-case characters, no /", m.Tags[0], len(m.Tags[0]))
	}
}

func TestRulesLabels(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))
	m := Rules(Facts{Kind: KindTag, Name: "v1.2.3", SHA: sha, Source: "https://github.com/acme/hello", Title: "hello", Created: created})
	want := map[string]string{
		LabelSource: "https://github.com/acme/hello", LabelRevision: sha, LabelVersion: "1.2.3",
		LabelCreated: "2026-01-02T02:04:05Z", LabelTitle: "hello",
	}
	if !maps.Equal(m.Labels, want) {
		t.Fatalf("labels %v, want %v", m.Labels, want)
	}
	// Unknown facts leave their label out rather than set it empty.
	m = Rules(Facts{Kind: KindCommit, SHA: sha})
	if _, ok := m.Labels[LabelSource]; ok || len(m.Labels) != 2 {
		t.Fatalf("labels %v: want revision and version only", m.Labels)
	}
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"git@github.com:acme/hello.git":                 "https://github.com/acme/hello",
		"ssh://git@gitlab.example:2222/g/sub/app.git":   "https://gitlab.example/g/sub/app",
		"https://user:s3cret@github.com/acme/hello.git": "https://github.com/acme/hello",
		"http://git.example:8080/acme/hello/":           "https://git.example:8080/acme/hello",
		"git://example.org/x.git":                       "https://example.org/x",
		"/srv/git/hello.git":                            "",
		"./relative":                                    "",
		"file:///srv/git/hello.git":                     "",
	} {
		if got := NormalizeURL(in); got != want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", in, got, want)
		}
	}
}
