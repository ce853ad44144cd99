// Command multiarch builds, tests, verifies and publishes multi-architecture
// container images. All behaviour lives in internal/; this file only runs the
// root command and maps its error to an exit code.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/multiarch-dev/multiarch/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal, a second one kills at once, as it would
	// without this handler.
	go func() { <-ctx.Done(); stop() }()
	err := cli.NewRootCmd().ExecuteContext(ctx)
	if err != nil && ctx.Err() != nil {
		// Say why the command stopped: its own error is only "context canceled".
		err = fmt.Errorf("interrupted (%v): %w", context.Cause(ctx), err)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "multiarch:", err)
	}
	os.Exit(cli.ExitCode(err))
}
