package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// GitRepo is a real git repository made by NewGitRepo: Release (tagged
// v1.2.3, on main), RC (tagged v1.3.0-rc.1, on main) and Feature (on
// branch feature/Login, checked out), with origin's default branch main
// and origin's URL an scp-like GitHub one.
type GitRepo struct {
	Dir                  string
	Release, RC, Feature string
	// Times are the commits' committer times (whole seconds, UTC).
	Times map[string]time.Time
}

// GitRemote is the origin URL NewGitRepo sets, and GitSource its https
// form.
const (
	GitRemote = "git@github.com:acme/hello.git"
	GitSource = "https://github.com/acme/hello"
)

// NewGitRepo makes the repository in a temp dir with files (name →
// content) in every commit; it needs the git binary.
func NewGitRepo(t testing.TB, files map[string]string) *GitRepo {
	t.Helper()
	_, err := exec.LookPath("git")
	Require(t, err == nil, "the git binary (apt-get install git)")
	r := &GitRepo{Dir: t.TempDir(), Times: map[string]time.Time{}}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(r.Dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.Git(t, "init", "-q", "-b", "main")
	r.Git(t, "remote", "add", "origin", GitRemote)
	base := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	r.Release = r.commit(t, "release", base)
	r.Git(t, "tag", "v1.2.3")
	r.RC = r.commit(t, "rc", base.Add(time.Hour))
	r.Git(t, "tag", "-a", "-m", "rc", "v1.3.0-rc.1")
	r.Git(t, "update-ref", "refs/remotes/origin/main", "HEAD")
	r.Git(t, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
	r.Git(t, "checkout", "-q", "-b", "feature/Login")
	r.Feature = r.commit(t, "feature", base.Add(2*time.Hour))
	return r
}

func (r *GitRepo) commit(t testing.TB, msg string, at time.Time) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.Dir, "commit.txt"), []byte(msg), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Git(t, "add", "-A")
	date := fmt.Sprintf("GIT_COMMITTER_DATE=%d +0200", at.Unix())
	r.gitEnv(t, []string{date, "GIT_AUTHOR_DATE=" + at.Format(time.RFC3339)}, "commit", "-q", "-m", msg)
	sha := r.Git(t, "rev-parse", "HEAD")
	r.Times[sha] = at
	return sha
}

// Git runs git in the repository and returns its trimmed output.
func (r *GitRepo) Git(t testing.TB, args ...string) string {
	t.Helper()
	return r.gitEnv(t, nil, args...)
}

func (r *GitRepo) gitEnv(t testing.TB, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=test", "-c", "user.email=test@example.invalid",
		"-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"}, args...)...)
	cmd.Dir = r.Dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
