package imagetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/multiarch-dev/multiarch/internal/status"
)

// unameArgs is check 1.
var unameArgs = []string{"uname", "-m"}

// runCell runs the checks of target t in containers of c. It never fails:
// what went wrong is in the cell. opts has its defaults (see Run).
func runCell(ctx context.Context, t Target, c Container, opts Options) Cell {
	start := time.Now()
	cell := newCell(t, opts)
	ctx, cancel := context.WithTimeout(ctx, opts.CellTimeout)
	defer cancel()
	env := cpuEnv(t, opts)

	var out Exit
	cell.Uname, out = runCheck(ctx, c, t, Process{Args: unameArgs, Env: env}, true)
	if cell.Uname.ExitCode != nil {
		cell.Machine = strings.TrimSpace(string(out.Stdout))
	}
	if cell.Uname.Status == status.Pass {
		judgeMachine(&cell.Uname, t, opts.StrictCPU, cell.Machine, out)
	}
	cell.Command = Check{Status: status.Skip, Message: "no command given"}
	if len(opts.Command) > 0 {
		cell.Command, _ = runCheck(ctx, c, t, Process{Args: opts.Command, Env: env}, false)
	}
	return finish(cell, start)
}

// failedCell is the cell of a target that could not run at all.
func failedCell(t Target, opts Options, err error, d time.Duration) Cell {
	cell := newCell(t, opts)
	cell.Error = err.Error()
	cell.Uname = Check{Status: status.Skip, Message: "the cell did not run"}
	cell.Command = cell.Uname
	cell.DurationSeconds = d.Seconds()
	return cell
}

func newCell(t Target, opts Options) Cell {
	return Cell{
		Tag: t.Tag, Platform: t.Platform.String(), Digest: t.Digest,
		Emulated: !t.Native, CPU: cpuModel(t, opts), Node: t.Node,
	}
}

func finish(cell Cell, start time.Time) Cell {
	cell.DurationSeconds = time.Since(start).Seconds()
	cell.Passed = cell.Error == "" && cell.Uname.Status != status.Fail && cell.Command.Status != status.Fail
	return cell
}

// cpuModel is what the CPU column says: native, QEMU's default model, or
// the strict model.
func cpuModel(t Target, opts Options) string {
	switch {
	case t.Native:
		return CPUNative
	case opts.StrictCPU && t.Platform.StrictCPU != "":
		return t.Platform.StrictCPU
	}
	return CPUDefault
}

func cpuEnv(t Target, opts Options) []string {
	if m := cpuModel(t, opts); m != CPUNative && m != CPUDefault {
		return []string{"QEMU_CPU=" + m}
	}
	return nil
}

// runCheck looks the executable up, refuses one of the wrong architecture,
// runs the process and judges its exit. A missing uname skips check 1.
func runCheck(ctx context.Context, c Container, t Target, p Process, optional bool) (Check, Exit) {
	ch := Check{Args: p.Args}
	if err := preflight(ctx, c, t, p.Args[0]); err != nil {
		ch.Status, ch.Message = status.Fail, err.Error()
		if optional && errors.Is(err, errNotInImage) {
			ch.Status, ch.Message = status.Skip, err.Error()
		}
		return ch, Exit{}
	}
	out, err := c.Run(ctx, p)
	if err != nil {
		ch.Status, ch.Message = status.Fail, fmt.Sprintf("could not run: %v", err)
		ch.OutputTail = tailLines(out.Output, TailLines)
		return ch, out
	}
	code := out.Code
	ch.ExitCode, ch.Signal = &code, out.Signal
	ch.Status = status.Pass
	if code != 0 {
		ch.Status, ch.Message = status.Fail, exitMessage(out, p.Env, t)
		ch.OutputTail = tailLines(out.Output, TailLines)
	}
	return ch, out
}

func exitMessage(out Exit, env []string, t Target) string {
	if out.Signal == "" {
		return fmt.Sprintf("exit code %d", out.Code)
	}
	msg := fmt.Sprintf("killed by %s (exit code %d)", out.Signal, out.Code)
	for _, kv := range env {
		if model, ok := strings.CutPrefix(kv, "QEMU_CPU="); ok && out.Signal == "SIGILL" {
			msg += fmt.Sprintf(" under QEMU_CPU=%s: the image holds instructions the oldest %s CPU lacks", model, t.Platform)
		}
	}
	return msg
}

// tailLines returns the last n lines of b.
func tailLines(b []byte, n int) []string {
	s := strings.TrimRight(string(b), "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
