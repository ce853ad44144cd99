package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/build/container"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/verify"
)

// The exit codes of every command, so that CI can tell "your image is
// wrong" from "fix the pipeline" from "the network was down, retry".
const (
	// ExitOK: the command did what it was asked and every check passed.
	ExitOK = 0
	// ExitFailed: the image or the host failed a check (verify found a
	// violation, a test cell failed, doctor found a failure, a build step
	// or build --test failed), and every error no rule below classifies.
	ExitFailed = 1
	// ExitUsage: the command line or the configuration is wrong (unknown
	// flag or command, bad argument, platform or reference, invalid
	// multiarch.yaml, missing or refused credentials): fix it, do not
	// retry as is.
	ExitUsage = 2
	// ExitInfra: the registry, the builder or the network could not be
	// reached, stopped answering in time, or delivered content that does
	// not hash to its digest (content is addressed by digest, so that is
	// the delivery failing, not the image); the same command may pass on
	// a retry.
	ExitInfra = 3
)

// exitRule maps the errors match says yes to to code.
type exitRule struct {
	code  int
	class string
	match func(error) bool
}

// exitRules is the whole classification, first match wins: interruption
// (handled before the table), then the image-side conditions that wrap a
// usage kind (an image that names an unknown platform is the image's
// fault, not the command line's), usage and configuration, infrastructure,
// failed checks. Infrastructure comes before failed checks: a check that
// could not reach what it checks proves nothing about the image.
var exitRules = []exitRule{
	{ExitFailed, "the image names a platform multiarch does not know", anyOf(
		as[*imagetest.UnknownPlatformError], as[*verify.UnknownPlatformError])},
	{ExitUsage, "usage or configuration", anyOf(
		as[*UsageError],
		is(platform.ErrUnknown),
		is(registry.ErrBadReference), is(registry.ErrInsecure), is(registry.ErrUnauthorized), is(registry.ErrNotFound),
		as[*registry.HelperMissingError], as[*registry.PlatformNeededError], as[*registry.DuplicatePlatformError],
		is(build.ErrInvalidOptions), as[*app.InvalidBuildError], as[*build.OutputPathError], as[*build.PushRefusedError],
		as[*app.LocalImageError], as[*app.CredentialsError],
		as[*pipeline.ConfigError], is(pipeline.ErrNoPlatforms), is(pipeline.ErrNoTags), is(pipeline.ErrNoImage),
		is(pipeline.ErrHalfLogin), is(pipeline.ErrBadReference),
		is(pipeline.ErrBadDigestFile), is(pipeline.ErrShardPlatforms), is(pipeline.ErrNoDigestFiles),
		as[*builder.UnknownBuilderError], as[*builder.DuplicateBuilderError], is(builder.ErrInvalidBuilder),
		as[*builder.TLSFileError], as[*builder.NodeTLSError],
		as[*build.SecretInputError], as[*build.MissingSecretError], as[*build.NamedContextError],
		as[*build.RemoteContextError], as[*build.UnknownFromError], is(build.ErrUnsupportedInput),
		as[*embedded.ConfigFileError], as[*builder.NodeNotFoundError],
		as[*build.EntitlementError], as[*build.CacheBackendError])},
	{ExitInfra, "registry, builder or network unreachable or timed out", anyOf(
		is(registry.ErrUnreachable), is(registry.ErrTimeout), is(registry.ErrUnavailable), is(registry.ErrTruncated),
		is(registry.ErrDigestMismatch), is(verify.ErrDigestMismatch), is(io.ErrUnexpectedEOF),
		as[*build.RegistryUnreachableError], as[*build.PushStalledError], as[*build.FrontendUnreachableError], as[*build.SBOMGeneratorError],
		as[*container.PullInterruptedError],
		as[*builder.UnreachableError], as[*builder.ConnectionLostError],
		as[*embedded.HungError], as[*embedded.DaemonStartError],
		is(context.DeadlineExceeded), is(syscall.ECONNREFUSED), is(syscall.ECONNRESET), netTimeout)},
	{ExitFailed, "the image or the host failed a check", anyOf(is(app.ErrChecksFailed), is(pipeline.ErrStepFailed))},
}

// ExitCode maps a command error to the process exit code: 0 for success,
// 128+N when signal N interrupted the command, else the first rule of
// exitRules that matches, else 1. Unclassified errors are 1, not 3: 3
// tells CI a retry may pass, and an error nobody classified (a Dockerfile
// step that failed, a bug) is not known to be transient; a retry loop on
// it would only hide it.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var sig *SignalError
	if errors.As(err, &sig) {
		return sig.ExitCode()
	}
	for _, r := range exitRules {
		if r.match(err) {
			return r.code
		}
	}
	return ExitFailed
}

func is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

func as[T error](err error) bool {
	var t T
	return errors.As(err, &t)
}

func anyOf(ms ...func(error) bool) func(error) bool {
	return func(err error) bool {
		for _, m := range ms {
			if m(err) {
				return true
			}
		}
		return false
	}
}

// netTimeout matches a network operation that timed out.
func netTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// UsageError is a command line that cobra or a command refused before
// anything ran: an unknown command or flag, a flag value that does not
// parse, the wrong number of arguments. Exit code 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usage marks err (nil stays nil) as a mistake on the command line.
func usage(err error) error {
	if err == nil {
		return nil
	}
	var u *UsageError
	if errors.As(err, &u) {
		return err
	}
	return &UsageError{Err: err}
}

// SignalError is the cause of a context cancelled by a signal (see
// NotifyContext): its text is what os/signal's own cause says, and it
// keeps the signal for the exit code.
type SignalError struct{ Signal os.Signal }

func (e *SignalError) Error() string { return e.Signal.String() + " signal received" }

// Is makes a SignalError match context.Canceled, as os/signal's own cause
// does: code that tells a cancelled wait from a failed one (the registry's
// classification, BuildKit's) sees a cancellation, not a network failure.
func (e *SignalError) Is(target error) bool { return target == context.Canceled }

// ExitCode is 128+N for signal N, as a shell reports a process the
// signal killed: 130 for SIGINT, 143 for SIGTERM.
func (e *SignalError) ExitCode() int {
	if s, ok := e.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return ExitFailed
}

// interrupted wraps err, the error of a command whose ctx ended, with
// why ctx ended (a *SignalError when a signal did).
func interrupted(ctx context.Context, err error) error {
	return fmt.Errorf("interrupted (%w): %w", context.Cause(ctx), err)
}

// markRun wraps the RunE of every command under root so that the returned
// flag says whether one ran: an error with none run is cobra refusing the
// command line (unknown command or flag, a flag value that does not
// parse, the wrong number of arguments) or a hook refusing the
// environment's fallback of a flag, and so a usage error.
func markRun(root *cobra.Command) *bool {
	ran := new(bool)
	var walkCmds func(*cobra.Command)
	walkCmds = func(c *cobra.Command) {
		if run := c.RunE; run != nil {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				*ran = true
				return run(cmd, args)
			}
		}
		for _, sub := range c.Commands() {
			walkCmds(sub)
		}
	}
	walkCmds(root)
	return ran
}
