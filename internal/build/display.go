package build

import (
	"context"
	"fmt"
	"io"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/util/progress/progressui"
)

// Display draws build progress: BuildKit's own progressui, the display
// buildx users know. The caller picks where it draws; the library never
// writes anywhere else.
type Display struct {
	d progressui.Display
}

// NewDisplay returns a display on out in mode (auto, plain, tty, quiet,
// rawjson; "" is auto). auto draws the interactive display when out is a
// terminal and plain text otherwise; tty fails when out is not a terminal.
func NewDisplay(out io.Writer, mode string) (*Display, error) {
	m := progressui.DisplayMode(mode)
	switch mode {
	case "", "auto", "plain", "tty", "quiet", "rawjson":
	case "json":
		m = progressui.RawJSONMode
	default:
		return nil, fmt.Errorf("progress mode %q: want one of auto, plain, tty, quiet, json (or rawjson)", mode)
	}
	d, err := progressui.NewDisplay(out, m, progressui.WithPhase("Building"))
	if err != nil {
		return nil, fmt.Errorf("progress %s: %w", mode, err)
	}
	return &Display{d: d}, nil
}

// run consumes ch until it is closed; a nil display only drains it.
func (d *Display) run(ctx context.Context, ch chan *client.SolveStatus) error {
	if d == nil {
		for range ch {
		}
		return nil
	}
	_, err := d.d.UpdateFrom(ctx, ch)
	return err
}
