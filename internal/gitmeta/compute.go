package gitmeta

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/semver"
)

// Options say where Compute looks.
type Options struct {
	// Dir is a directory inside the repository (the build context).
	Dir string
	// Getenv is the CI environment (nil: none, local git only).
	Getenv func(string) string
	// Timeout bounds each git command (default 30s).
	Timeout time.Duration
}

// Error is a fact Compute could not find, or found malformed: What says
// which, Err why.
type Error struct {
	What string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %v", e.What, e.Err) }
func (e *Error) Unwrap() error { return e.Err }

// ErrNotRepository is wrapped when Dir is in no git work tree.
var ErrNotRepository = errors.New("not inside a git work tree")

// Compute gathers the facts of the build (the CI environment first, the
// checkout for the rest: its tags, the commit's time, the remote) and
// applies Rules.
func Compute(ctx context.Context, o Options) (*Meta, error) {
	g := gitRunner{dir: o.Dir, timeout: o.Timeout}
	if _, err := g.run(ctx, "rev-parse", "--is-inside-work-tree"); err != nil {
		return nil, &Error{What: o.Dir, Err: fmt.Errorf("%w (%v)", ErrNotRepository, err)}
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var f Facts
	var err error
	switch {
	case getenv("GITHUB_ACTIONS") == "true" || getenv("GITHUB_REF") != "":
		f, err = fromGitHub(getenv)
	case getenv("GITLAB_CI") == "true" || getenv("CI_COMMIT_SHA") != "":
		f, err = fromGitLab(getenv)
	default:
		f, err = fromGit(ctx, g)
	}
	if err != nil {
		return nil, err
	}
	if err := fillFromGit(ctx, g, &f); err != nil {
		return nil, err
	}
	m := Rules(f)
	return &m, nil
}

var hexSHA = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)

func checkSHA(name, sha string) error {
	if sha != "" && !hexSHA.MatchString(sha) {
		return &Error{What: "$" + name, Err: fmt.Errorf("%q is not a commit id (7 to 64 hex digits)", sha)}
	}
	return nil
}

// fromGitHub reads GitHub Actions' variables; the pull request's number
// and the default branch come from the event payload ($GITHUB_EVENT_PATH)
// when it is there.
func fromGitHub(getenv func(string) string) (Facts, error) {
	f := Facts{Provider: "github", SHA: getenv("GITHUB_SHA")}
	if err := checkSHA("GITHUB_SHA", f.SHA); err != nil {
		return f, err
	}
	ev, err := readEvent(getenv("GITHUB_EVENT_PATH"))
	if err != nil {
		return f, err
	}
	f.DefaultBranch = ev.Repository.DefaultBranch
	ref := getenv("GITHUB_REF")
	if ref == "" && getenv("GITHUB_REF_NAME") != "" {
		prefix := map[string]string{"tag": "refs/tags/", "branch": "refs/heads/"}[getenv("GITHUB_REF_TYPE")]
		ref = prefix + getenv("GITHUB_REF_NAME")
	}
	event := getenv("GITHUB_EVENT_NAME")
	switch {
	case strings.HasPrefix(ref, "refs/pull/"):
		f.Kind, f.Name = KindPR, strings.TrimSuffix(strings.TrimPrefix(ref, "refs/pull/"), "/merge")
	case strings.HasPrefix(event, "pull_request") && ev.PullRequest.Number > 0:
		// pull_request_target runs on the base branch's ref.
		f.Kind, f.Name = KindPR, strconv.Itoa(ev.PullRequest.Number)
	case strings.HasPrefix(ref, "refs/tags/"):
		f.Kind, f.Name = KindTag, strings.TrimPrefix(ref, "refs/tags/")
	case strings.HasPrefix(ref, "refs/heads/"):
		f.Kind, f.Name = KindBranch, strings.TrimPrefix(ref, "refs/heads/")
	default:
		f.Kind = KindCommit
	}
	if server, repo := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"); repo != "" {
		if server == "" {
			server = "https://github.com"
		}
		f.Source, f.Title = NormalizeURL(strings.TrimSuffix(server, "/")+"/"+repo), path.Base(repo)
	}
	return f, nil
}

// githubEvent is the part of the event payload read.
type githubEvent struct {
	Repository struct {
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
	PullRequest struct {
		Number int `json:"number"`
	} `json:"pull_request"`
}

// maxEvent bounds the payload read: GitHub's are far smaller.
const maxEvent = 16 << 20

func readEvent(file string) (githubEvent, error) {
	var ev githubEvent
	if file == "" {
		return ev, nil
	}
	fh, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return ev, nil
	}
	if err != nil {
		return ev, &Error{What: "$GITHUB_EVENT_PATH", Err: err}
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, maxEvent+1))
	if err == nil && len(b) > maxEvent {
		err = fmt.Errorf("larger than %d MiB", maxEvent>>20)
	}
	if err == nil {
		err = json.Unmarshal(b, &ev)
	}
	if err != nil {
		return ev, &Error{What: "$GITHUB_EVENT_PATH " + file, Err: err}
	}
	return ev, nil
}

// fromGitLab reads GitLab CI's predefined variables.
func fromGitLab(getenv func(string) string) (Facts, error) {
	f := Facts{Provider: "gitlab", SHA: getenv("CI_COMMIT_SHA"), DefaultBranch: getenv("CI_DEFAULT_BRANCH"),
		Title: getenv("CI_PROJECT_NAME")}
	if err := checkSHA("CI_COMMIT_SHA", f.SHA); err != nil {
		return f, err
	}
	switch {
	case getenv("CI_COMMIT_TAG") != "":
		f.Kind, f.Name = KindTag, getenv("CI_COMMIT_TAG")
	case getenv("CI_MERGE_REQUEST_IID") != "":
		f.Kind, f.Name = KindPR, getenv("CI_MERGE_REQUEST_IID")
	case getenv("CI_COMMIT_BRANCH") != "":
		f.Kind, f.Name = KindBranch, getenv("CI_COMMIT_BRANCH")
	default:
		f.Kind = KindCommit
	}
	if u := getenv("CI_PROJECT_URL"); u != "" {
		f.Source = NormalizeURL(u)
	}
	if ts := getenv("CI_COMMIT_TIMESTAMP"); ts != "" {
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			return f, &Error{What: "$CI_COMMIT_TIMESTAMP", Err: err}
		}
		f.Created = t
	}
	return f, nil
}

// fromGit reads a local checkout: a version tag on HEAD makes a release
// build (the highest, when several are), else the branch checked out,
// else the commit alone.
func fromGit(ctx context.Context, g gitRunner) (Facts, error) {
	f := Facts{Provider: "git", Kind: KindCommit}
	at, err := g.lines(ctx, "tag", "--points-at", "HEAD")
	if err != nil {
		return f, err
	}
	if best := highestVersionTag(at); best != "" {
		f.Kind, f.Name = KindTag, best
		return f, nil
	}
	if b, err := g.run(ctx, "symbolic-ref", "--short", "-q", "HEAD"); err == nil && b != "" {
		f.Kind, f.Name = KindBranch, b
	}
	return f, nil
}

// highestVersionTag is the tag among tags with the highest version
// (releases above their pre-releases); "" when none is a version.
func highestVersionTag(tags []string) string {
	best, bestV := "", ""
	for _, t := range tags {
		if v, ok := parseVersion(t); ok && (bestV == "" || semver.Compare(v, bestV) > 0) {
			best, bestV = t, v
		}
	}
	return best
}

// fillFromGit completes f from the checkout: the commit (HEAD when the
// environment named none), its time, every tag, the remote and the name.
func fillFromGit(ctx context.Context, g gitRunner, f *Facts) error {
	var err error
	if f.SHA == "" {
		if f.SHA, err = g.run(ctx, "rev-parse", "HEAD"); err != nil {
			return &Error{What: "HEAD", Err: err}
		}
	}
	if f.Created.IsZero() {
		if f.Created, err = g.commitTime(ctx, f.SHA); err != nil {
			return err
		}
	}
	if f.RepoTags, err = g.lines(ctx, "tag", "--list"); err != nil {
		return err
	}
	if f.DefaultBranch == "" && f.Provider == "git" {
		if ref, err := g.run(ctx, "symbolic-ref", "--short", "-q", "refs/remotes/origin/HEAD"); err == nil {
			f.DefaultBranch = strings.TrimPrefix(ref, "origin/")
		}
	}
	if f.Source == "" {
		if remote, err := g.run(ctx, "config", "--get", "remote.origin.url"); err == nil {
			f.Source = NormalizeURL(remote)
		}
	}
	if f.Title == "" {
		f.Title = repoName(ctx, g, f.Source)
	}
	return nil
}

// repoName is the last part of the source URL, else of the work tree.
func repoName(ctx context.Context, g gitRunner, source string) string {
	if source != "" {
		return path.Base(source)
	}
	top, err := g.run(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return ""
	}
	return path.Base(top)
}

var scpLike = regexp.MustCompile(`^(?:[^@/]+@)?([^:/]+):(.+)$`)

// NormalizeURL turns a git remote into the repository's https URL, with
// no user, password or token and no .git suffix: git@host:o/r.git,
// ssh://git@host:22/o/r and https://user:token@host/o/r.git all give
// https://host/o/r. A local path gives "" (no web page to point at).
func NormalizeURL(remote string) string {
	remote = strings.TrimSpace(remote)
	host, p := "", ""
	if u, err := url.Parse(remote); err == nil && u.Scheme != "" && u.Host != "" {
		switch u.Scheme {
		case "http", "https", "ssh", "git", "git+ssh", "ssh+git":
			host, p = u.Hostname(), u.Path
			if port := u.Port(); port != "" && (u.Scheme == "http" || u.Scheme == "https") {
				host += ":" + port
			}
		}
	} else if m := scpLike.FindStringSubmatch(remote); m != nil && !strings.Contains(remote, "://") &&
		!strings.HasPrefix(remote, "/") && !strings.HasPrefix(remote, ".") {
		host, p = m[1], m[2]
	}
	p = strings.TrimSuffix(strings.Trim(p, "/"), ".git")
	if host == "" || p == "" {
		return ""
	}
	return "https://" + host + "/" + p
}
