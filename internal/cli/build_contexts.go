package cli

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/multiarch-dev/multiarch/internal/build"
)

// contextFlags are build's inputs beyond CONTEXT and -f: buildx's named
// contexts.
type contextFlags struct {
	buildContexts []string
}

func addContextFlags(fl *pflag.FlagSet, f *contextFlags) {
	fl.StringArrayVar(&f.buildContexts, "build-context", nil,
		"named context `NAME=VALUE` for FROM/COPY --from=NAME: a DIR, docker-image://REF, oci-layout://DIR[:TAG|@DIGEST] or a git/http(s) URL; repeatable")
}

// apply parses --build-context and lends standard input to a "-" context
// or -f -, all before any builder is contacted.
func (f *contextFlags) apply(cmd *cobra.Command, o *build.Options) error {
	for _, v := range f.buildContexts {
		nc, err := build.ParseNamedContext(v)
		if err != nil {
			return fmt.Errorf("--build-context %s: %w", v, err)
		}
		o.NamedContexts = append(o.NamedContexts, nc)
	}
	if o.ContextDir == build.StdinName || o.Dockerfile == build.StdinName {
		o.Stdin = cmd.InOrStdin()
	}
	return nil
}
