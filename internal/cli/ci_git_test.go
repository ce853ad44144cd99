package cli

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/gitmeta"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// ciGitEnv clears the classic and the CI environments (these tests may
// run under GitHub Actions or GitLab CI themselves), then sets kv.
func ciGitEnv(t *testing.T, kv ...string) {
	t.Helper()
	for _, k := range []string{"GITHUB_ACTIONS", "GITHUB_REF", "GITHUB_REF_NAME", "GITHUB_REF_TYPE", "GITHUB_SHA", "GITHUB_EVENT_NAME",
		"GITHUB_EVENT_PATH", "GITHUB_BASE_REF", "GITHUB_REPOSITORY", "GITHUB_SERVER_URL", envGitHubOutput, "GITLAB_CI", "CI_COMMIT_TAG",
		"CI_COMMIT_BRANCH", "CI_COMMIT_SHA", "CI_DEFAULT_BRANCH", "CI_MERGE_REQUEST_IID", "CI_PROJECT_URL", "CI_PROJECT_NAME", "CI_COMMIT_TIMESTAMP"} {
		t.Setenv(k, "")
	}
	ciEnv(t, kv...)
}

// gitHelloRepo is testenv.NewGitRepo holding examples/hello's Dockerfile.
func gitHelloRepo(t *testing.T) *testenv.GitRepo {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "examples", "hello", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return testenv.NewGitRepo(t, map[string]string{"Dockerfile": string(b)})
}

func wantGitLabels(r *testenv.GitRepo, sha, version, source string) map[string]string {
	return map[string]string{
		gitmeta.LabelSource: source, gitmeta.LabelRevision: sha, gitmeta.LabelVersion: version,
		gitmeta.LabelCreated: r.Times[sha].Format(time.RFC3339), gitmeta.LabelTitle: "hello",
	}
}

// TestCIGitDryRun: `ci --tags-from-git --dry-run` in a real repository,
// locally and under GitHub's and GitLab's environments, plans exactly the
// documented tags on every repository named, and the labels.
func TestCIGitDryRun(t *testing.T) {
	r := gitHelloRepo(t)
	event := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(event, []byte(`{"repository":{"default_branch":"main"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	const img, other = "127.0.0.1:5000/hello", "ghcr.io/acme/hello"
	sha := func(s string) string { return "sha-" + s[:7] }
	gh := []string{"GITHUB_ACTIONS", "true", "GITHUB_REPOSITORY", "acme/hello", "GITHUB_EVENT_PATH", event}
	gl := []string{"GITLAB_CI", "true", "CI_DEFAULT_BRANCH", "main", "CI_PROJECT_URL", "https://gitlab.example/acme/hello"}
	for _, c := range []struct {
		name, checkout string
		env            []string
		sha            string
		tags           []string
		source         string
	}{
		{"release tag v1.2.3", "v1.2.3", nil, r.Release, []string{"1.2.3", "1.2", "1", "latest", sha(r.Release)}, testenv.GitSource},
		{"pre-release v1.3.0-rc.1", "v1.3.0-rc.1", nil, r.RC, []string{"1.3.0-rc.1", sha(r.RC)}, testenv.GitSource},
		{"branch", "feature/Login", nil, r.Feature, []string{"feature-login", sha(r.Feature)}, testenv.GitSource},
		{"github tag", "", append(gh, "GITHUB_REF", "refs/tags/v1.2.3", "GITHUB_SHA", r.Release),
			r.Release, []string{"1.2.3", "1.2", "1", "latest", sha(r.Release)}, "https://github.com/acme/hello"},
		{"github default branch", "", append(gh, "GITHUB_REF", "refs/heads/main", "GITHUB_SHA", r.RC),
			r.RC, []string{"edge", sha(r.RC)}, "https://github.com/acme/hello"},
		{"github branch", "", append(gh, "GITHUB_REF", "refs/heads/feature/Login", "GITHUB_SHA", r.Feature),
			r.Feature, []string{"feature-login", sha(r.Feature)}, "https://github.com/acme/hello"},
		{"github pull request", "", append(gh, "GITHUB_REF", "refs/pull/12/merge", "GITHUB_SHA", r.Feature, "GITHUB_EVENT_NAME", "pull_request", "GITHUB_BASE_REF", "main"),
			r.Feature, []string{"pr-12", sha(r.Feature)}, "https://github.com/acme/hello"},
		{"gitlab pre-release tag", "", append(gl, "CI_COMMIT_TAG", "v1.3.0-rc.1", "CI_COMMIT_SHA", r.RC),
			r.RC, []string{"1.3.0-rc.1", sha(r.RC)}, "https://gitlab.example/acme/hello"},
		{"gitlab default branch", "", append(gl, "CI_COMMIT_BRANCH", "main", "CI_COMMIT_SHA", r.RC),
			r.RC, []string{"edge", sha(r.RC)}, "https://gitlab.example/acme/hello"},
		{"gitlab merge request", "", append(gl, "CI_MERGE_REQUEST_IID", "3", "CI_COMMIT_SHA", r.Feature),
			r.Feature, []string{"pr-3", sha(r.Feature)}, "https://gitlab.example/acme/hello"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ciGitEnv(t, c.env...)
			if c.checkout != "" {
				r.Git(t, "checkout", "-q", c.checkout)
			}
			plan, res := runJSON[pipeline.PlanReport](t, cliRun{args: []string{"ci", r.Dir, "--tags-from-git", "--dry-run", "--json",
				"--platform", "linux/amd64,linux/arm64", "--image", img, "-t", other + ":stable"}})
			if !res.ok() {
				t.Fatalf("%v\n%s", res.err, res.stderr)
			}
			want := []string{other + ":stable"}
			for _, repo := range []string{img, other} {
				for _, tag := range c.tags {
					want = append(want, repo+":"+tag)
				}
			}
			if !slices.Equal(plan.Tags, want) {
				t.Errorf("tags\n%q\nwant\n%q", plan.Tags, want)
			}
			labels := wantGitLabels(r, c.sha, c.tags[0], c.source)
			if !maps.Equal(plan.Labels, labels) || !maps.Equal(plan.Annotations, labels) {
				t.Errorf("labels %v\nannotations %v\nwant %v", plan.Labels, plan.Annotations, labels)
			}
			if !plan.DryRun || !slices.Equal(plan.Platforms, []string{"linux/amd64", "linux/arm64"}) {
				t.Errorf("plan %+v", plan)
			}
		})
	}

	t.Run("text plan from tags_from_git in multiarch.yaml", func(t *testing.T) {
		ciGitEnv(t)
		r.Git(t, "checkout", "-q", "v1.2.3")
		if err := os.WriteFile(filepath.Join(r.Dir, pipeline.ConfigFile), []byte("tags_from_git: true\nimage: "+img+"\nplatforms: [linux/amd64]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(filepath.Join(r.Dir, pipeline.ConfigFile))
		res := runArgs(t, "ci", r.Dir, "--dry-run")
		if !res.ok() {
			t.Fatalf("%v\n%s", res.err, res.stderr)
		}
		t.Logf("ci --tags-from-git --dry-run:\n%s", res.stdout)
		for _, want := range []string{"dry run: nothing is built, pushed or tagged", "platforms:   linux/amd64", "git tag v1.2.3 at " + r.Release,
			"  " + img + ":1.2.3\n  " + img + ":1.2\n  " + img + ":1\n  " + img + ":latest\n  " + img + ":" + sha(r.Release) + "\n",
			"  org.opencontainers.image.source=" + testenv.GitSource, "  org.opencontainers.image.revision=" + r.Release} {
			if !strings.Contains(res.stdout, want) {
				t.Errorf("plan lacks %q:\n%s", want, res.stdout)
			}
		}
	})

	t.Run("errors: no repository to tag, not a git checkout, bad --dotenv", func(t *testing.T) {
		ciGitEnv(t)
		res := runArgs(t, "ci", r.Dir, "--tags-from-git", "--dry-run", "--platform", "linux/amd64")
		requireFailureSays(t, "no image", res, "tags from git need a repository", "--image")
		res = runArgs(t, "ci", helloContext(t, ""), "--tags-from-git", "--dry-run", "--platform", "linux/amd64", "--image", img)
		requireFailureSays(t, "no git", res, "ci configuration: tags from git: ", "not inside a git work tree")
		var ce *pipeline.ConfigError
		if !errors.As(res.err, &ce) || !errors.Is(res.err, gitmeta.ErrNotRepository) {
			t.Errorf("not a checkout: want a *pipeline.ConfigError wrapping gitmeta.ErrNotRepository, got %T %v", res.err, res.err)
		}
		res = runArgs(t, "ci", r.Dir, "--dotenv", filepath.Join(t.TempDir(), "nodir", "x.env"), "--platform", "linux/amd64", "--image", img, "-t", "1")
		requireFailureSays(t, "bad dotenv", res, "--dotenv", "does not exist")
	})
}

// TestCIGitE2E: a real ci run with --tags-from-git at tag v1.2.3 pushes
// exactly the git tags, every one at the proven digest, with the labels in
// the image config and the annotations on index and manifest; then
// $GITHUB_OUTPUT and --dotenv hold the outputs.
func TestCIGitE2E(t *testing.T) {
	startCLIBuilder(t)
	dockerConfigDir(t, "")
	reg := testenv.StartRegistry(t)
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, "linux/amd64")...)
	r := gitHelloRepo(t)
	r.Git(t, "checkout", "-q", "v1.2.3")
	ghOut := filepath.Join(t.TempDir(), "github_output")
	if err := os.WriteFile(ghOut, []byte("earlier=kept\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dotenv := filepath.Join(t.TempDir(), "build.env")
	ciGitEnv(t, envGitHubOutput, ghOut)
	repo := reg.Host + "/gitci/hello"
	s, res := ciJSON(t, r.Dir, "--tags-from-git", "--platform", "linux/amd64", "--image", repo, "--base", base, "--dotenv", dotenv)
	if !res.ok() || !s.Passed {
		t.Fatalf("%v\n%s", res.err, res.stderr)
	}
	gitTags := []string{"1.2.3", "1.2", "1", "latest", "sha-" + r.Release[:7]}
	var refs []string
	for _, tag := range gitTags {
		refs = append(refs, repo+":"+tag)
	}
	if !slices.Equal(s.TagsWritten, refs) {
		t.Fatalf("tags written %q, want %q", s.TagsWritten, refs)
	}
	listed, err := remote.List(mustRepo(t, repo), remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(listed)
	want := slices.Clone(gitTags)
	slices.Sort(want)
	if !slices.Equal(listed, want) {
		t.Fatalf("registry holds tags %q, want exactly %q", listed, want)
	}
	labels := wantGitLabels(r, r.Release, "1.2.3", testenv.GitSource)
	for _, ref := range refs {
		checkGitImage(t, ref, s.Digest, labels)
	}
	// The labels as `inspect --format` shows them.
	ins := runArgs(t, "inspect", refs[0], "--format", `{{index .Image.Config.Labels "org.opencontainers.image.version"}} {{index .Manifest.Annotations "org.opencontainers.image.revision"}}`)
	if want := "1.2.3 " + r.Release + "\n"; !ins.ok() || ins.stdout != want {
		t.Errorf("inspect --format: %q (%v), want %q", ins.stdout, ins.err, want)
	}

	b, err := os.ReadFile(ghOut)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("$GITHUB_OUTPUT:\n%s", b)
	outs := parseGitHubOutput(t, string(b))
	md, _ := json.Marshal(pipeline.Metadata{Digest: s.Digest, Image: s.Pushed, Tags: refs, Platforms: []string{"linux/amd64"},
		Version: "1.2.3", Labels: labels, Annotations: labels})
	wantOuts := map[string]string{"digest": s.Digest, "tags": strings.Join(refs, "\n"), "platforms": "linux/amd64", "metadata": string(md)}
	if !maps.Equal(outs, wantOuts) || !strings.HasPrefix(string(b), "earlier=kept\n") {
		t.Errorf("outputs\n%q\nwant\n%q", outs, wantOuts)
	}
	b, err = os.ReadFile(dotenv)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("--dotenv:\n%s", b)
	wantEnv := strings.Join([]string{"MULTIARCH_DIGEST=" + s.Digest, "MULTIARCH_IMAGE=" + s.Pushed, "MULTIARCH_TAGS=" + strings.Join(refs, ","),
		"MULTIARCH_PLATFORMS=linux/amd64", "MULTIARCH_VERSION=1.2.3", "MULTIARCH_METADATA=" + string(md)}, "\n") + "\n"
	if string(b) != wantEnv {
		t.Errorf("dotenv\n%s\nwant\n%s", b, wantEnv)
	}

	t.Run("failed run writes no outputs", func(t *testing.T) {
		fresh := filepath.Join(t.TempDir(), "github_output")
		ciGitEnv(t, envGitHubOutput, fresh)
		failEnv := filepath.Join(t.TempDir(), "fail.env")
		s, res := ciJSON(t, r.Dir, "--tags-from-git", "--platform", "linux/amd64", "--image", reg.Host+"/gitci/broken", "--base", base,
			"--test", "false", "--dotenv", failEnv)
		if res.ok() || s.Passed {
			t.Fatal("a failing test must fail the run")
		}
		for _, f := range []string{fresh, failEnv} {
			if _, err := os.Stat(f); !os.IsNotExist(err) {
				t.Errorf("%s written by a failed run (%v)", f, err)
			}
		}
	})
}

func mustRepo(t *testing.T, s string) name.Repository {
	t.Helper()
	r, err := name.NewRepository(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkGitImage checks ref is the index digest, its annotations and its
// one image's annotations and config labels hold labels.
func checkGitImage(t *testing.T, ref, digest string, labels map[string]string) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	d, _ := idx.Digest()
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if d.String() != digest {
		t.Fatalf("%s is %s, want the proven %s", ref, d, digest)
	}
	if !containsAll(im.Annotations, labels) {
		t.Errorf("%s index annotations %v lack %v", ref, im.Annotations, labels)
	}
	images := 0
	for _, desc := range im.Manifests {
		if desc.Platform == nil || desc.Platform.Architecture == "unknown" {
			continue
		}
		images++
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := img.Manifest()
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if !containsAll(cf.Config.Labels, labels) || !containsAll(m.Annotations, labels) {
			t.Errorf("%s %s: config labels %v, manifest annotations %v, want %v", ref, desc.Platform, cf.Config.Labels, m.Annotations, labels)
		}
	}
	if images != 1 {
		t.Errorf("%s: %d platform image(s) checked, want 1", ref, images)
	}
}

func containsAll(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

var ghOutputHead = regexp.MustCompile(`^([a-z]+)<<(ghadelimiter_[0-9a-f]{32})$`)

// parseGitHubOutput reads NAME<<DELIM entries as GitHub does; other lines
// (NAME=VALUE) are skipped.
func parseGitHubOutput(t *testing.T, s string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		m := ghOutputHead.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		end := slices.Index(lines[i+1:], m[2])
		if end < 0 {
			t.Fatalf("entry %s: no closing delimiter", m[1])
		}
		out[m[1]] = strings.Join(lines[i+1:i+1+end], "\n")
		i += end + 1
	}
	return out
}
