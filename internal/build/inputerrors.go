package build

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// NamedContextError is a named context (Options.NamedContexts) that
// cannot be used: its directory or OCI layout is missing or malformed.
type NamedContextError struct {
	Name string
	Err  error
}

func (e *NamedContextError) Error() string { return fmt.Sprintf("context %s: %v", e.Name, e.Err) }
func (e *NamedContextError) Unwrap() error { return e.Err }

// UnknownFromError says a `COPY --from=NAME` named neither a stage of the
// Dockerfile nor a named context, so BuildKit took NAME for an image
// (docker.io/library/NAME), as buildx does, and could not pull it.
type UnknownFromError struct {
	// Name is what --from= says; Ref the image BuildKit tried.
	Name, Ref  string
	Dockerfile string
	Line       int
	Err        error
}

func (e *UnknownFromError) Error() string {
	return fmt.Sprintf("COPY --from=%s (%s line %d): %s is neither a stage of the Dockerfile nor a named build context, so BuildKit pulled it as the image %s, which failed: %v",
		e.Name, e.Dockerfile, e.Line, e.Name, e.Ref, e.Err)
}

// Hint names the two ways out; the CLI adds the flag.
func (e *UnknownFromError) Hint() string {
	return fmt.Sprintf("if %s is meant to be a stage, check its name in `FROM ... AS %s`; if it is meant to be an image, write its full reference", e.Name, e.Name)
}

func (e *UnknownFromError) Unwrap() error { return e.Err }

// RemoteContextError says the builder could not fetch a remote (git or
// http) build context; Ref is the git ref it lacks, when that is why.
type RemoteContextError struct {
	URL, Ref string
	Err      error
}

func (e *RemoteContextError) Error() string {
	if e.Ref != "" {
		return fmt.Sprintf("build context %s: the repository has no branch, tag or commit %q (the part after # is REF[:SUBDIR]): %v", e.URL, e.Ref, e.Err)
	}
	return fmt.Sprintf("build context %s: the builder could not fetch it or read its Dockerfile: %v", e.URL, e.Err)
}

func (e *RemoteContextError) Unwrap() error { return e.Err }

// BuildKit's git source says, when the ref is missing (v0.34
// source/git: "repository does not contain ref REF"); reading the
// remote's Dockerfile fails with "failed to read dockerfile". The one
// place that reads these texts.
var (
	missingRefRE   = regexp.MustCompile(`repository does not contain ref (\S+?),? `)
	readDockerfile = "failed to read dockerfile"
)

// withInputError replaces the error of the failed node solve in err by a
// *RemoteContextError or *UnknownFromError when the input is why.
func withInputError(err error, o Options) error {
	var ne *NodeBuildError
	if !errors.As(err, &ne) {
		return err
	}
	msg := ne.Err.Error()
	if o.remote() && (missingRefRE.MatchString(msg) || strings.Contains(msg, readDockerfile)) {
		re := &RemoteContextError{URL: o.ContextDir, Err: errors.New(firstLine(msg))}
		if m := missingRefRE.FindStringSubmatch(msg); m != nil {
			re.Ref = m[1]
		}
		ne.Err = re
		return err
	}
	if fe := unknownFrom(msg, o); fe != nil {
		ne.Err = fe
	}
	return err
}

// unknownFrom is the *UnknownFromError msg is when it says BuildKit could
// not resolve the image of a COPY --from= that names no stage or context.
func unknownFrom(msg string, o Options) *UnknownFromError {
	ref, cause, ok := unresolvedSource(msg)
	if !ok || !o.localContext() {
		return nil
	}
	stages, froms := dockerfileFroms(o.Dockerfile)
	named := map[string]bool{}
	for _, nc := range o.NamedContexts {
		named[nc.Name] = true
	}
	for _, f := range froms {
		if stages[strings.ToLower(f.name)] || named[f.name] || normalizedRef(f.name) != ref {
			continue
		}
		if _, err := strconv.Atoi(f.name); err == nil {
			continue // a stage index
		}
		return &UnknownFromError{Name: f.name, Ref: ref, Dockerfile: o.Dockerfile, Line: f.line, Err: errors.New(cause)}
	}
	return nil
}

type copyFrom struct {
	name string
	line int
}

// dockerfileFroms reads the stage names and the COPY --from= values of a
// Dockerfile with BuildKit's own parser; nothing when it cannot.
func dockerfileFroms(path string) (map[string]bool, []copyFrom) {
	stages := map[string]bool{}
	f, err := os.Open(path)
	if err != nil {
		return stages, nil
	}
	defer f.Close()
	res, err := parser.Parse(io.LimitReader(f, 8<<20))
	if err != nil {
		return stages, nil
	}
	parsed, _, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return stages, nil
	}
	var froms []copyFrom
	for _, s := range parsed {
		if s.Name != "" {
			stages[strings.ToLower(s.Name)] = true
		}
		for _, c := range s.Commands {
			if cp, ok := c.(*instructions.CopyCommand); ok && cp.From != "" {
				line := 0
				if loc := cp.Location(); len(loc) > 0 {
					line = loc[0].Start.Line
				}
				froms = append(froms, copyFrom{name: cp.From, line: line})
			}
		}
	}
	return stages, froms
}
