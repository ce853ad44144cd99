package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// buildHints are the next steps for the typed errors of build, test,
// doctor and the builder commands: which builder command or flag gets a
// builder, a node or a push going. Which builder failed (a named one, the
// one at $BUILDKIT_HOST, the embedded one) comes from *app.BuilderError.
func buildHints(err error) []string {
	var (
		out     []string
		unknown *builder.UnknownBuilderError
		dup     *builder.DuplicateBuilderError
		check   *app.NodeCheckError
		be      *app.BuilderError
	)
	if errors.As(err, &unknown) {
		out = append(out, fmt.Sprintf("see `multiarch builder ls`, or create it with `multiarch builder create %s --node ENDPOINT`", unknown.Name))
	}
	if errors.As(err, &dup) {
		out = append(out, fmt.Sprintf("remove it first (`multiarch builder rm %s`) or choose another name", dup.Name))
	}
	named := errors.As(err, &be) && be.Source == app.SourceNamed
	switch {
	case errors.As(err, &check):
		return append(out, createHints(err)...)
	case named && app.NodeFailed(err):
		return append(out, nodesHints(be.Name, err)...)
	}
	return append(out, buildErrorHints(err, be)...)
}

// buildErrorHints says what to do about a build's typed errors; be, when
// not nil, is the builder it ran on.
func buildErrorHints(err error, be *app.BuilderError) []string {
	var (
		unreachable *builder.UnreachableError
		tlsErr      *builder.NodeTLSError
		unsupported *builder.UnsupportedPlatformError
		refused     *build.PushRefusedError
		regDown     *build.RegistryUnreachableError
		invalid     *app.InvalidBuildError
		output      *build.OutputPathError
		frontend    *build.FrontendUnreachableError
	)
	if h := daemonHints(err, be); h != nil {
		return h
	}
	if h := secretHints(err); h != nil {
		return h
	}
	switch {
	case errors.As(err, &output):
		return nil // its own advice says which path to give
	case errors.As(err, &frontend):
		domain, repo, _ := strings.Cut(frontend.Ref, "/") // Ref is normalised: DOMAIN/PATH
		return append(mirrorHint(be, domain), fmt.Sprintf("to name a copy of the frontend: --build-arg BUILDKIT_SYNTAX=REGISTRY/%s (after copying %s there)", repo, frontend.Ref))
	case errors.As(err, &tlsErr):
		return append(tlsHints(tlsErr), fmt.Sprintf("$%s carries no TLS options: create a named builder with them (`multiarch builder create NAME --node %s --tls-ca FILE [--tls-cert FILE --tls-key FILE]`) and build with --builder NAME",
			builder.EnvBuildkitHost, tlsErr.Address))
	case errors.As(err, &unreachable):
		if be != nil && be.Source == app.SourceBuildkitHost {
			return []string{fmt.Sprintf("start buildkitd at %s=%s, or unset %s to use the embedded builder", builder.EnvBuildkitHost, be.Address, builder.EnvBuildkitHost)}
		}
		return []string{fmt.Sprintf("start the embedded builder with `multiarch builder up`, or point %s at a running buildkitd", builder.EnvBuildkitHost)}
	case errors.As(err, &unsupported):
		names := make([]string, len(unsupported.Platforms))
		for i, p := range unsupported.Platforms {
			names[i] = p.String()
		}
		return []string{fmt.Sprintf("install the emulator: `multiarch binfmt install %s`, then retry (if the builder still refuses, restart it: `multiarch builder down && multiarch builder up`)", strings.Join(names, " "))}
	case errors.As(err, &refused) && hasRegistryHint(err):
		return nil // the registry error already says how to log in
	case errors.As(err, &refused):
		return []string{"log in to the registry (`multiarch login` or `docker login`) with an account that may push there"}
	case errors.As(err, &regDown):
		return []string{"check the registry address in -t and that the registry is running"}
	case errors.As(err, &invalid) && errors.Is(err, fs.ErrNotExist) && !errors.As(err, new(*build.NamedContextError)):
		return []string{"point -f at the Dockerfile, or give the build context that holds it"}
	}
	return nil
}

// daemonHints say what to do about a builder's daemon that stopped
// answering: the embedded one hung (stopped or stuck), or any one that
// went away in the middle of a build.
func daemonHints(err error, be *app.BuilderError) []string {
	var (
		hung *embedded.HungError
		lost *builder.ConnectionLostError
	)
	switch {
	case errors.As(err, &hung):
		h := "`multiarch builder down` then `multiarch builder up` restarts it"
		if hung.Stopped {
			h += fmt.Sprintf(" (or `kill -CONT %d` lets it go on)", hung.PID)
		}
		return []string{h + "; its log: " + hung.LogFile}
	case !errors.As(err, &lost):
		return nil
	case be != nil && be.Source == app.SourceEmbedded:
		return []string{"`multiarch builder up` restarts it and cleans the containers and mounts it left; then build again (its log: " + be.LogFile + ")"}
	case be != nil && be.Source == app.SourceNamed:
		return []string{fmt.Sprintf("restart that node's buildkitd (`multiarch builder status %s` shows which nodes answer), then build again", be.Name)}
	}
	return []string{fmt.Sprintf("see why the buildkitd at %s stopped (its log), restart it, then build again", lost.Address)}
}

// hasRegistryHint reports whether err carries internal/registry's own
// advice or advice the CLI words for it (registryHint).
func hasRegistryHint(err error) bool {
	var re *registry.Error
	return errors.As(err, &re) && (re.Hint() != "" || registryHint(re) != "")
}

// nodesHints say what to do about nodes of builder name that failed TLS
// or do not answer: one that failed TLS is to be recreated with other TLS
// options, not started; one that does not answer is to be started.
func nodesHints(name string, err error) []string {
	var (
		tlsErr      *builder.NodeTLSError
		unreachable *builder.UnreachableError
		out         []string
	)
	next := fmt.Sprintf("`multiarch builder status %s` shows every node's state", name)
	if errors.As(err, &tlsErr) {
		out = append(out, tlsHints(tlsErr)...)
		next += fmt.Sprintf("; to change a node's TLS options, `multiarch builder rm %s` and create it again", name)
	}
	if errors.As(err, &unreachable) {
		next += "; start the node's buildkitd, or recreate the builder without it"
	}
	return append(out, next)
}

// createHints say what to do about the nodes that failed the check of
// builder create: one that answered but failed TLS gets what to check in
// its TLS files, one that did not answer to be started.
func createHints(err error) []string {
	var (
		tlsErr      *builder.NodeTLSError
		unreachable *builder.UnreachableError
		out         []string
	)
	if errors.As(err, &tlsErr) {
		out = append(append(out, tlsHints(tlsErr)...), "fix the node's --tls-* options, or pass --no-check to store the builder anyway")
	}
	if errors.As(err, &unreachable) {
		out = append(out, "start its buildkitd, check the endpoint, or pass --no-check to store the builder anyway")
	}
	return out
}

// builderOptionHints name the builder create options that make an invalid
// builder valid: a node to give, TLS files that go together or load.
func builderOptionHints(err error) []string {
	var (
		out     []string
		fileErr *builder.TLSFileError
	)
	if errors.Is(err, builder.ErrNoNode) {
		out = append(out, "give --node ENDPOINT")
	}
	if errors.Is(err, builder.ErrHalfKeyPair) {
		out = append(out, "give --tls-cert and --tls-key together")
	}
	switch {
	case errors.As(err, &fileErr) && fileErr.CA != "":
		out = append(out, "check the node's --tls-ca")
	case errors.As(err, &fileErr):
		out = append(out, "check the node's --tls-cert and --tls-key")
	}
	return out
}
