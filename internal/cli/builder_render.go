package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
)

// renderUp says the embedded builder runs, and notes on errw when
// $BUILDKIT_HOST makes build use another one.
func renderUp(w, errw io.Writer, rep *app.UpReport) {
	verb := "already running"
	if rep.Started {
		verb = "started"
	}
	renderCleaned(w, rep.Cleaned)
	fmt.Fprintf(w, "builder %s at %s (pid %d, log %s)\n", verb, rep.Status.Address, rep.Status.PID, rep.LogFile)
	if rep.BuildkitHost != "" {
		fmt.Fprintf(errw, "note: %s=%s, so `multiarch build` uses that builder, not this one\n", builder.EnvBuildkitHost, rep.BuildkitHost)
	}
}

// renderDown says whether down stopped the embedded builder (when done)
// and what it cleaned.
func renderDown(w io.Writer, rep *app.DownReport, done bool) {
	switch {
	case rep.Stopped:
		fmt.Fprintln(w, "builder stopped")
	case done:
		fmt.Fprintln(w, "builder was not running")
	}
	renderCleaned(w, rep.Cleaned)
}

// renderCleaned says what a killed daemon had left and was cleaned.
func renderCleaned(w io.Writer, c embedded.Cleaned) {
	if c.Any() {
		fmt.Fprintf(w, "cleaned %s from a previous daemon\n", c)
	}
}

// renderStatus prints the state of a builder of one node; one that does
// not answer is ErrChecksFailed, after the report.
func renderStatus(w io.Writer, kind string, st *builder.NodeStatus) error {
	fmt.Fprintf(w, "builder:    %s\n", kind)
	fmt.Fprintf(w, "address:    %s\n", st.Address)
	state := "not reachable"
	if st.Reachable {
		state = "running"
	}
	if st.PID > 0 {
		state += fmt.Sprintf(" (pid %d)", st.PID)
	}
	fmt.Fprintf(w, "state:      %s\n", state)
	if st.Version != "" {
		fmt.Fprintf(w, "buildkit:   %s\n", st.Version)
	}
	for _, wk := range st.Workers {
		fmt.Fprintf(w, "worker %s: %s\n", shortID(wk.ID), strings.Join(wk.Platforms, ", "))
	}
	if st.StateDir != "" {
		fmt.Fprintf(w, "state dir:  %s\n", st.StateDir)
		fmt.Fprintf(w, "log:        %s\n", st.LogFile)
	}
	if !st.Reachable {
		fmt.Fprintln(w, startAdvice(kind, st.Address))
		return ErrChecksFailed
	}
	return nil
}

// startAdvice says how to get a builder that does not answer running.
func startAdvice(kind, address string) string {
	if kind == "embedded" {
		return "start it with `multiarch builder up`"
	}
	return fmt.Sprintf("start buildkitd at %s, or unset %s to use the embedded builder", address, builder.EnvBuildkitHost)
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// renderNamedStatus prints every node of a named builder; any node that
// does not answer makes it ErrChecksFailed, after the report and what to
// do about it.
func renderNamedStatus(w io.Writer, rep *app.StatusReport) error {
	fmt.Fprintf(w, "builder:    %s (%d node(s))\n", rep.Name, len(rep.Nodes))
	var errs []error
	for i, p := range rep.Nodes {
		n := p.Node
		fmt.Fprintf(w, "\nnode %d:     %s\n", i, n.Endpoint)
		if p.Err != nil {
			errs = append(errs, p.Err)
			fmt.Fprintf(w, "state:      %s\nname:       %s\n", nodeState(p.Err), n.DisplayName(i))
			continue
		}
		fmt.Fprintf(w, "state:      running\nname:       %s\nbuildkit:   %s\n", n.DisplayName(i), p.Status.Version)
		native := strings.Join(builder.NativePlatforms(n, p.Status), ", ")
		if len(n.Platforms) > 0 {
			native += " (declared)"
		}
		fmt.Fprintf(w, "native:     %s\n", native)
		for _, wk := range p.Status.Workers {
			fmt.Fprintf(w, "worker %s: %s\n", shortID(wk.ID), strings.Join(wk.Platforms, ", "))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	err := errors.Join(errs...)
	var (
		tlsErr      *builder.NodeTLSError
		unreachable *builder.UnreachableError
	)
	if errors.As(err, &tlsErr) {
		fmt.Fprintf(w, "\n%s\nto change a node's TLS options: `multiarch builder rm %s` and `create` again\n", tlsAdvice(tlsErr), rep.Name)
	}
	if errors.As(err, &unreachable) {
		fmt.Fprintln(w, "\nstart the unreachable nodes' buildkitd (or fix their endpoint: `multiarch builder rm` and `create` again)")
	}
	return ErrChecksFailed
}

// nodeState is the state line of a node whose probe failed with err.
func nodeState(err error) string {
	var (
		tlsErr      *builder.NodeTLSError
		unreachable *builder.UnreachableError
	)
	switch {
	case errors.As(err, &tlsErr):
		return "TLS failed: " + tlsProblem(tlsErr)
	case errors.As(err, &unreachable):
		return fmt.Sprintf("not reachable: %v", err)
	}
	return fmt.Sprintf("error: %v", err)
}
