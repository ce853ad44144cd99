package app

import (
	"errors"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/builder"
)

// ErrChecksFailed is wrapped by the errors of verbs whose job is to report
// (doctor, verify, test, build's test before push) when what they report
// holds a failure: the report says what failed; the error only ends the
// command with exit 1.
var ErrChecksFailed = errors.New("checks failed")

// BuilderError wraps a failure of the builder a verb resolved (see
// ResolveBuilder) with where that builder came from, so that the CLI's
// advice can name the right way out: the named builder's nodes, the
// $BUILDKIT_HOST address, or the embedded builder.
type BuilderError struct {
	// Source is where the builder came from.
	Source Source
	// Name is the named builder's name (Source SourceNamed).
	Name string
	// Address is the builder's address (SourceBuildkitHost, SourceEmbedded).
	Address string
	// LogFile is the embedded builder's buildkitd log (SourceEmbedded).
	LogFile string
	// PID is the embedded builder's buildkitd that a build lost its
	// connection to (a *builder.ConnectionLostError), and Gone says it
	// no longer runs.
	PID  int
	Gone bool
	Err  error
}

// Error is the underlying error; a node of a named builder that failed
// TLS or does not answer is prefixed with the builder's name, since the
// node's own error names only the node; a lost embedded buildkitd is
// named by its pid.
func (e *BuilderError) Error() string {
	switch {
	case e.Source == SourceNamed && NodeFailed(e.Err):
		return fmt.Sprintf("builder %s: %v", e.Name, e.Err)
	case e.PID > 0 && e.Gone:
		return fmt.Sprintf("%v; the embedded builder's buildkitd (pid %d) stopped", e.Err, e.PID)
	case e.PID > 0:
		return fmt.Sprintf("%v; the embedded builder's buildkitd (pid %d) still runs", e.Err, e.PID)
	}
	return e.Err.Error()
}

func (e *BuilderError) Unwrap() error { return e.Err }

// InvalidBuildError says a build's options failed the checks made before
// any builder is contacted: the context or Dockerfile is missing, a tag or
// platform is malformed.
type InvalidBuildError struct{ Err error }

func (e *InvalidBuildError) Error() string { return e.Err.Error() }
func (e *InvalidBuildError) Unwrap() error { return e.Err }

// NodeCheckError says a node of a builder being created failed the check
// made before it is stored (it does not answer, or TLS with it fails).
type NodeCheckError struct {
	// Name is the builder being created.
	Name string
	Err  error
}

func (e *NodeCheckError) Error() string { return e.Err.Error() }
func (e *NodeCheckError) Unwrap() error { return e.Err }

// NodeFailed says err holds a node that failed TLS or does not answer:
// the node, not the build, needs attention.
func NodeFailed(err error) bool {
	var (
		tlsErr      *builder.NodeTLSError
		unreachable *builder.UnreachableError
	)
	return errors.As(err, &tlsErr) || errors.As(err, &unreachable)
}
