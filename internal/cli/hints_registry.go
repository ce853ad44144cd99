package cli

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/probe"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// registryHints are the flag- and command-shaped next steps of every
// *registry.Error in err's tree, keyed on its typed fields (Kind, Host,
// TLS, MissingLayout): internal/registry words only what needs no flag.
func registryHints(err error) []string {
	out := append(eachHint(err, registryHint), eachHint(err, platformNeededHint)...)
	var local *app.LocalImageError
	if errors.As(err, &local) {
		out = append(out, "push it first (`multiarch build --push`, or `multiarch index create` from a pushed image), then test the registry reference")
	}
	var stalled *build.PushStalledError
	if errors.As(err, &stalled) {
		out = append(out, fmt.Sprintf("if the link is slow rather than the registry stuck, allow each push step more than %s with --registry-timeout (or $%s)",
			stalled.Deadline, envRegistryTimeout))
	}
	return out
}

// platformNeededHint is the flag that names a source's platform when
// index create will not guess its variant.
func platformNeededHint(e *registry.PlatformNeededError) string {
	example := "linux/arm/v6"
	if e.Stated != "" && e.Stated != "linux/arm" {
		example = e.Stated
	}
	return fmt.Sprintf("pass --platform %s=%s (the platform its binaries are built for; for arm the oldest of v5, v6, v7 they run on)",
		e.Source, example)
}

func registryHint(re *registry.Error) string {
	host := re.Host
	switch {
	case re.Kind == registry.ErrInsecure && errors.Is(re, http.ErrSchemeMismatch):
		// The registry answered HTTPS in plain HTTP.
		return fmt.Sprintf("pass --insecure-registry %s (only loopback registries are allowed plain HTTP automatically)", host)
	case re.Kind == registry.ErrInsecure && host != "":
		return fmt.Sprintf("check the address and the registry's TLS set-up, or pass --insecure-registry %s if it really serves plain HTTP", host)
	case re.Kind == registry.ErrUnauthorized && host != "":
		return fmt.Sprintf("log in with `multiarch login %s` (or `docker login %s`) as a user allowed to access this repository", host, host)
	case re.Kind == registry.ErrUnreachable && re.TLS:
		return fmt.Sprintf("install the registry's CA certificate, or pass --insecure-registry %s if it serves plain HTTP", host)
	case re.Kind == registry.ErrUnreachable && host != "" && !registry.IsLoopback(host):
		return fmt.Sprintf("if %s serves plain HTTP, pass --insecure-registry %s", host, host)
	case re.Kind == registry.ErrTimeout:
		return fmt.Sprintf("if the registry is slow rather than stuck, allow it more than %s with --registry-timeout (or $%s)", re.Timeout, envRegistryTimeout)
	case re.Kind == registry.ErrUnavailable && re.RetryAfter > 0:
		return fmt.Sprintf("to wait as long as the registry asks, pass --registry-timeout %s or more (or set $%s)", re.RetryAfter, envRegistryTimeout)
	case re.Kind == registry.ErrNotFound && re.MissingLayout != "":
		return "`multiarch build --output type=oci,dest=PATH` writes one"
	}
	return ""
}

// probeHints are the `multiarch binfmt` commands that fix the functional
// probe failures of err's tree, keyed on the *probe.Error's Kind: no
// handler, a handler without the F flag, a handler of the wrong emulator.
func probeHints(err error) []string { return eachHint(err, probeHint) }

// eachHint is what hint words for every T in err's tree (walk order), its
// empty words left out: the advice of an error type that can occur more
// than once in a tree, one per occurrence.
func eachHint[T error](err error, hint func(T) string) []string {
	var out []string
	walk(err, func(e error) {
		if t, ok := e.(T); ok {
			if h := hint(t); h != "" {
				out = append(out, h)
			}
		}
	})
	return out
}

func probeHint(pe *probe.Error) string {
	p := pe.Platform
	install := "multiarch binfmt install " + p.String()
	switch {
	case pe.Native:
		return "" // no handler serves a native platform
	case pe.Kind == probe.NoHandler:
		return install
	case pe.Kind == probe.InterpreterUnreachable:
		return fmt.Sprintf("multiarch binfmt reregister --flags F (or %s --flags CF)", install)
	case pe.Kind == probe.WrongMachine:
		return fmt.Sprintf("the %s handler runs the wrong emulator: multiarch binfmt uninstall %s && %s",
			p.BinfmtName(), p.BinfmtName(), install)
	}
	return ""
}
