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
	err := cli.NewRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "multiarch:", err)
	}
	os.Exit(cli.ExitCode(err))
}
