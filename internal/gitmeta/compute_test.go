package gitmeta_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/gitmeta"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestComputeRealGit runs Compute on a real repository (tags v1.2.3 and
// v1.3.0-rc.1 on main, a feature branch), locally and under GitHub's and
// GitLab's environments, and checks every tag and label.
func TestComputeRealGit(t *testing.T) {
	r := testenv.NewGitRepo(t, nil)
	short := func(sha string) string { return "sha-" + sha[:7] }
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"repository":{"default_branch":"main"},"pull_request":{"number":7}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	gh := func(kv ...string) map[string]string {
		m := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/hello", "GITHUB_SERVER_URL": "https://github.com"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, c := range []struct {
		name     string
		checkout string
		env      map[string]string
		sha      string
		want     []string
		source   string
		title    string
	}{
		{"local release tag", "v1.2.3", nil, r.Release, []string{"1.2.3", "1.2", "1", "latest", short(r.Release)}, testenv.GitSource, "hello"},
		{"local pre-release tag", "v1.3.0-rc.1", nil, r.RC, []string{"1.3.0-rc.1", short(r.RC)}, testenv.GitSource, "hello"},
		{"local branch", "feature/Login", nil, r.Feature, []string{"feature-login", short(r.Feature)}, testenv.GitSource, "hello"},
		{"local default branch", "main", nil, r.RC, []string{"1.3.0-rc.1", short(r.RC)}, testenv.GitSource, "hello"},
		{"local detached, no tag", r.Feature, nil, r.Feature, []string{short(r.Feature)}, testenv.GitSource, "hello"},
		{"github tag", "", gh("GITHUB_REF", "refs/tags/v1.2.3", "GITHUB_SHA", r.Release, "GITHUB_EVENT_NAME", "push"),
			r.Release, []string{"1.2.3", "1.2", "1", "latest", short(r.Release)}, "https://github.com/acme/hello", "hello"},
		{"github tag by name and type", "", gh("GITHUB_REF_NAME", "v1.3.0-rc.1", "GITHUB_REF_TYPE", "tag", "GITHUB_SHA", r.RC),
			r.RC, []string{"1.3.0-rc.1", short(r.RC)}, "https://github.com/acme/hello", "hello"},
		{"github default branch", "", gh("GITHUB_REF", "refs/heads/main", "GITHUB_SHA", r.RC, "GITHUB_EVENT_PATH", event),
			r.RC, []string{"edge", short(r.RC)}, "https://github.com/acme/hello", "hello"},
		{"github branch", "", gh("GITHUB_REF", "refs/heads/feature/Login", "GITHUB_SHA", r.Feature, "GITHUB_EVENT_PATH", event),
			r.Feature, []string{"feature-login", short(r.Feature)}, "https://github.com/acme/hello", "hello"},
		{"github pull request", "", gh("GITHUB_REF", "refs/pull/7/merge", "GITHUB_SHA", r.Feature, "GITHUB_EVENT_NAME", "pull_request",
			"GITHUB_BASE_REF", "main", "GITHUB_EVENT_PATH", event), r.Feature, []string{"pr-7", short(r.Feature)}, "https://github.com/acme/hello", "hello"},
		{"github pull_request_target", "", gh("GITHUB_REF", "refs/heads/main", "GITHUB_SHA", r.Feature, "GITHUB_EVENT_NAME", "pull_request_target",
			"GITHUB_EVENT_PATH", event), r.Feature, []string{"pr-7", short(r.Feature)}, "https://github.com/acme/hello", "hello"},
		{"gitlab tag", "", map[string]string{"GITLAB_CI": "true", "CI_COMMIT_TAG": "v1.2.3", "CI_COMMIT_SHA": r.Release, "CI_DEFAULT_BRANCH": "main",
			"CI_PROJECT_URL": "https://gitlab.example/acme/hello", "CI_PROJECT_NAME": "hello"},
			r.Release, []string{"1.2.3", "1.2", "1", "latest", short(r.Release)}, "https://gitlab.example/acme/hello", "hello"},
		{"gitlab default branch", "", map[string]string{"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_SHA": r.RC, "CI_DEFAULT_BRANCH": "main"},
			r.RC, []string{"edge", short(r.RC)}, testenv.GitSource, "hello"},
		{"gitlab branch", "", map[string]string{"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "feature/Login", "CI_COMMIT_SHA": r.Feature, "CI_DEFAULT_BRANCH": "main"},
			r.Feature, []string{"feature-login", short(r.Feature)}, testenv.GitSource, "hello"},
		{"gitlab merge request", "", map[string]string{"GITLAB_CI": "true", "CI_MERGE_REQUEST_IID": "5", "CI_COMMIT_SHA": r.Feature, "CI_DEFAULT_BRANCH": "main"},
			r.Feature, []string{"pr-5", short(r.Feature)}, testenv.GitSource, "hello"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.checkout != "" {
				r.Git(t, "checkout", "-q", c.checkout)
			}
			m, err := gitmeta.Compute(context.Background(), gitmeta.Options{Dir: r.Dir, Getenv: func(k string) string { return c.env[k] }})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Tags, c.want) {
				t.Fatalf("tags %q, want %q (facts %+v)", m.Tags, c.want, m.Facts)
			}
			want := map[string]string{
				gitmeta.LabelSource: c.source, gitmeta.LabelRevision: c.sha, gitmeta.LabelVersion: c.want[0],
				gitmeta.LabelCreated: r.Times[c.sha].Format(time.RFC3339), gitmeta.LabelTitle: c.title,
			}
			if !maps.Equal(m.Labels, want) {
				t.Fatalf("labels\n%v\nwant\n%v", m.Labels, want)
			}
		})
	}
}

// The local default branch at a pre-release tag builds the tag; one
// commit later it is the default branch: edge.
func TestComputeDefaultBranchEdge(t *testing.T) {
	r := testenv.NewGitRepo(t, nil)
	r.Git(t, "checkout", "-q", "main")
	r.Git(t, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-q", "--allow-empty", "-m", "next")
	r.Git(t, "update-ref", "refs/remotes/origin/main", "HEAD")
	m, err := gitmeta.Compute(context.Background(), gitmeta.Options{Dir: r.Dir})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"edge", "sha-" + r.Git(t, "rev-parse", "--short=7", "HEAD")}; !slices.Equal(m.Tags, want) {
		t.Fatalf("tags %q, want %q", m.Tags, want)
	}
}

// A newer release makes v1.2.3 lose latest; a directory outside any
// repository and a malformed sha are errors that say so.
func TestComputeLatestAndErrors(t *testing.T) {
	r := testenv.NewGitRepo(t, nil)
	r.Git(t, "tag", "v1.2.10", r.Feature)
	env := map[string]string{"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_SHA": r.Release}
	m, err := gitmeta.Compute(context.Background(), gitmeta.Options{Dir: r.Dir, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(m.Tags, "latest") {
		t.Fatalf("v1.2.3 is not the highest release once v1.2.10 exists: %q", m.Tags)
	}
	_, err = gitmeta.Compute(context.Background(), gitmeta.Options{Dir: t.TempDir()})
	if !errors.Is(err, gitmeta.ErrNotRepository) {
		t.Fatalf("outside a repository: %v", err)
	}
	env["GITHUB_SHA"] = "not-a-sha"
	_, err = gitmeta.Compute(context.Background(), gitmeta.Options{Dir: r.Dir, Getenv: func(k string) string { return env[k] }})
	var ge *gitmeta.Error
	if !errors.As(err, &ge) || ge.What != "$GITHUB_SHA" {
		t.Fatalf("bad sha: %v", err)
	}
}
