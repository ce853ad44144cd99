package build

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// FrontendUnreachableError says the builder could not fetch the Dockerfile
// frontend image that a `# syntax=` line (or the BUILDKIT_SYNTAX build
// argument) asks for: BuildKit runs that image instead of its built-in
// Dockerfile frontend, so nothing of the Dockerfile was built. Err is
// BuildKit's own failure (a DNS, connection or registry answer, as text).
type FrontendUnreachableError struct {
	// Ref is the frontend image as BuildKit resolved it
	// ("docker.io/docker/dockerfile:1").
	Ref string
	// Syntax is what the user wrote ("docker/dockerfile:1").
	Syntax string
	// BuildArg: the BUILDKIT_SYNTAX build argument named it; else the
	// `# syntax=` line of Dockerfile, at Line (1-based).
	BuildArg   bool
	Dockerfile string
	Line       int
	Err        error
}

func (e *FrontendUnreachableError) Error() string {
	return fmt.Sprintf("%s asks BuildKit to build with the Dockerfile frontend image %s instead of its built-in frontend, and the builder cannot fetch that image: %v",
		e.source(), e.Ref, e.Err)
}

func (e *FrontendUnreachableError) source() string {
	if e.BuildArg {
		return fmt.Sprintf("the BUILDKIT_SYNTAX build argument (%s)", e.Syntax)
	}
	return fmt.Sprintf("the `# syntax=%s` line of %s (line %d)", e.Syntax, e.Dockerfile, e.Line)
}

// Hint says the ways out. The built-in frontend is never used in the
// image's place silently: the Dockerfile may rely on features only the
// image has, so dropping the line is the user's call.
func (e *FrontendUnreachableError) Hint() string {
	drop := "delete the `# syntax=` line to build with the builder's built-in Dockerfile frontend (it lacks only Dockerfile features newer than the builder's BuildKit)"
	if e.BuildArg {
		drop = "drop the BUILDKIT_SYNTAX build argument to use the Dockerfile's own `# syntax=` line or the builder's built-in frontend"
	}
	return fmt.Sprintf("the builder needs %s's registry to start this build; ways out: give the builder a registry mirror of it (a buildkitd you run: a [registry.%q] mirrors entry in its buildkitd.toml); "+
		"or copy the image into a registry the builder reaches and name that copy in the BUILDKIT_SYNTAX build argument; or %s",
		e.Ref, reference.Domain(mustNamed(e.Ref)), drop)
}

func (e *FrontendUnreachableError) Unwrap() error { return e.Err }

// BuildKit resolves the frontend image of a `# syntax=` line through its
// image resolver before anything of the Dockerfile runs; when that fails,
// the solve's error is text (a gRPC status), in this form of BuildKit
// v0.34 (client/llb/sourceresolver/imageresolver.go):
//
//	failed to resolve source metadata for REF: CAUSE
//
// REF normalised ("docker.io/docker/dockerfile:1"). The same words come
// for a FROM image, a COPY --from= image or the SBOM generator the builder
// cannot fetch, so each reader compares REF with its own. unresolvedSource
// is the one place that reads that text.
var resolveMetadataRE = regexp.MustCompile(`failed to resolve source metadata for (\S+): (.*)`)

// unresolvedSource is the REF and first line of CAUSE of msg when it says
// BuildKit could not resolve an image's metadata; ok false otherwise.
func unresolvedSource(msg string) (ref, cause string, ok bool) {
	m := resolveMetadataRE.FindStringSubmatch(msg)
	if m == nil {
		return "", "", false
	}
	return m[1], firstLine(m[2]), true
}

// syntaxArg is the build argument that overrides the `# syntax=` line
// (frontend/dockerfile/builder: build-arg:BUILDKIT_SYNTAX).
const syntaxArg = "BUILDKIT_SYNTAX"

// frontendSyntax is the frontend image the build asks for, as
// FrontendUnreachableError reports it (Ref and Err empty); nil when the
// build uses the built-in frontend. It reads the head of the Dockerfile
// with BuildKit's own directive parser, so both agree on what the line is.
func frontendSyntax(dockerfile string, buildArgs map[string]string) *FrontendUnreachableError {
	if v, ok := buildArgs[syntaxArg]; ok {
		ref, _, _ := strings.Cut(strings.TrimSpace(v), " ")
		return &FrontendUnreachableError{Syntax: ref, BuildArg: true}
	}
	f, err := os.Open(dockerfile)
	if err != nil {
		return nil
	}
	defer f.Close()
	// Directives come before any instruction: the head is enough.
	head, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil
	}
	ref, _, loc, ok := parser.DetectSyntax(head)
	if !ok {
		return nil
	}
	line := 1
	if len(loc) > 0 {
		line = loc[0].Start.Line
	}
	return &FrontendUnreachableError{Syntax: ref, Dockerfile: dockerfile, Line: line}
}

// parseFrontendError returns the *FrontendUnreachableError msg (a solve's
// error text) is, given the frontend the build asked for (syntax, from
// frontendSyntax); nil when msg is about anything else.
func parseFrontendError(msg string, syntax *FrontendUnreachableError) *FrontendUnreachableError {
	if syntax == nil {
		return nil
	}
	ref, cause, ok := unresolvedSource(msg)
	if !ok || ref != normalizedRef(syntax.Syntax) {
		return nil
	}
	e := *syntax
	e.Ref, e.Err = ref, errors.New(cause)
	return &e
}

// withFrontendError replaces the error of the node solve that failed in
// err (a *NodeBuildError) by a *FrontendUnreachableError when the builder
// could not fetch the build's frontend image.
func withFrontendError(err error, o Options) error {
	var ne *NodeBuildError
	if !errors.As(err, &ne) {
		return err
	}
	if fe := parseFrontendError(ne.Err.Error(), frontendSyntax(o.Dockerfile, o.BuildArgs)); fe != nil {
		ne.Err = fe
	}
	return err
}

// normalizedRef is ref as BuildKit names it in its errors
// ("docker/dockerfile:1" → "docker.io/docker/dockerfile:1"); "" when it is
// no reference.
func normalizedRef(ref string) string {
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	return reference.TagNameOnly(n).String()
}

// mustNamed parses a reference already normalised by BuildKit; a bad one
// yields docker.io's, the default BuildKit would have used.
func mustNamed(ref string) reference.Named {
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		n, _ = reference.ParseNormalizedNamed("docker/dockerfile")
	}
	return n
}
