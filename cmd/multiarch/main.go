// Command multiarch builds, tests, verifies and publishes multi-architecture
// container images. All behaviour lives in internal/; this file only sets up
// signals and runs cli.Main.
package main

import (
	"context"
	"os"

	"github.com/multiarch-dev/multiarch/internal/cli"
)

func main() {
	// After the first signal, a second one kills at once, as it would
	// without this handler; the first one's exit code is 128+N.
	ctx, stop := cli.NotifyContext(context.Background())
	code := cli.Main(ctx, os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr})
	stop()
	os.Exit(code)
}
