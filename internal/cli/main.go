package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
)

// Streams are the standard streams a command line runs with.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// Main runs one command line (args without the program name) and returns
// the process exit code. It is the binary's whole life after signal set-up,
// and what the in-process CLI tests run: a failure is printed once, here,
// as "multiarch: " + Message(err).
func Main(ctx context.Context, args []string, s Streams) int {
	err := Execute(ctx, args, s)
	if err != nil {
		fmt.Fprintln(s.Err, "multiarch:", Message(err))
	}
	return ExitCode(err)
}

// Execute runs one command line and returns its error, unrendered. When
// ctx was cancelled (a signal), the error says so: the command's own error
// is then only "context canceled".
func Execute(ctx context.Context, args []string, s Streams) error {
	root := NewRootCmd()
	root.SetArgs(pluginArgs(args))
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	ran := markRun(root)
	err := root.ExecuteContext(ctx)
	if err != nil && !*ran {
		err = usage(err) // cobra refused the command line: no command ran
	}
	if err != nil && ctx.Err() != nil {
		err = interrupted(ctx, err)
	}
	return err
}

// Message is what the user reads for err: its text, then each next step
// (see hints) that the text does not already say, one per line.
func Message(err error) string {
	msg := err.Error()
	for _, h := range hints(err) {
		if !strings.Contains(msg, h) {
			msg += "\n" + h
		}
	}
	return msg
}

// hinter is an error that knows the user's next step. Libraries word it
// without CLI flags; flag-shaped advice comes from flagHints.
type hinter interface{ Hint() string }

// hints are the next steps of every error in err's tree, outermost first,
// each once: the libraries' own (Hint), then the CLI's flag-shaped ones.
func hints(err error) []string {
	var out []string
	add := func(h string) {
		if h != "" && !contains(out, h) {
			out = append(out, h)
		}
	}
	walk(err, func(e error) {
		if h, ok := e.(hinter); ok {
			add(h.Hint())
		}
	})
	for _, h := range flagHints(err) {
		add(h)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// walk visits err and everything it wraps, depth first.
func walk(err error, visit func(error)) {
	if err == nil {
		return
	}
	visit(err)
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		walk(u.Unwrap(), visit)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			walk(e, visit)
		}
	}
}

// flagHints maps typed conditions whose fix is a CLI flag or command to
// that advice. Libraries never name flags; this is the one place that does.
func flagHints(err error) []string {
	var out []string
	out = append(out, buildHints(err)...)
	out = append(out, contextHints(err)...)
	out = append(out, builderOptionHints(err)...)
	out = append(out, registryHints(err)...)
	out = append(out, probeHints(err)...)
	out = append(out, ciHints(err)...)
	out = append(out, binfmtHints(err)...)
	out = append(out, attestHints(err)...)
	return out
}
