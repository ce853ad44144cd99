package gitmeta

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// gitRunner runs the git binary in dir, each command under a deadline.
type gitRunner struct {
	dir     string
	timeout time.Duration
}

// maxGitOutput bounds what one git command may print (a repository's
// tag list is the longest read).
const maxGitOutput = 16 << 20

// ErrGitOutput is a git command printing more than maxGitOutput.
var ErrGitOutput = errors.New("git printed more than 16 MiB")

// run runs `git ARGS...` and returns its output, trimmed.
func (g gitRunner) run(ctx context.Context, args ...string) (string, error) {
	timeout := g.timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", g.dir}, args...)...)
	var out capped
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	switch {
	case out.over:
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), ErrGitOutput)
	case ctx.Err() != nil:
		return "", fmt.Errorf("git %s: no answer within %s: %w", strings.Join(args, " "), timeout, ctx.Err())
	case err != nil:
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return strings.TrimSpace(out.b.String()), nil
}

// lines runs git and splits its output into non-empty lines.
func (g gitRunner) lines(ctx context.Context, args ...string) ([]string, error) {
	s, err := g.run(ctx, args...)
	if err != nil {
		return nil, &Error{What: "git " + args[0], Err: err}
	}
	return strings.Fields(s), nil
}

// commitTime is the committer time of sha (the time a rebuild of the same
// commit reproduces).
func (g gitRunner) commitTime(ctx context.Context, sha string) (time.Time, error) {
	s, err := g.run(ctx, "log", "-1", "--format=%ct", sha, "--")
	if err != nil {
		return time.Time{}, &Error{What: "commit " + sha, Err: fmt.Errorf("%w; is it fetched (a checkout with its history)?", err)}
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, &Error{What: "commit " + sha, Err: fmt.Errorf("commit time %q: %w", s, err)}
	}
	return time.Unix(sec, 0).UTC(), nil
}

// capped keeps at most maxGitOutput bytes and says when there was more.
type capped struct {
	b    bytes.Buffer
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if c.b.Len()+len(p) > maxGitOutput {
		c.over = true
		return 0, ErrGitOutput
	}
	return c.b.Write(p)
}
