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

// runCell runs the checks of target t in containers of c, both in one
// RunEach (one container process where the builder can). It never fails:
// what went wrong is in the cell. opts has its defaults (see Run).
func runCell(ctx context.Context, t Target, c Container, opts Options) Cell {
	start := time.Now()
	cell := newCell(t, opts)
	env := cpuEnv(t, opts)

	cell.Command = Check{Status: status.Skip, Message: "no command given"}
	checks := []*Check{&cell.Uname}
	if len(opts.Command) > 0 {
		checks = append(checks, &cell.Command)
	}
	var ps []Process
	var run []int // index in checks of each process
	for i, args := range [][]string{unameArgs, opts.Command}[:len(checks)] {
		p := Process{Args: args, Env: env}
		var ok bool
		if *checks[i], p.Path, ok = prepareCheck(ctx, c, t, args, i == 0); ok {
			ps, run = append(ps, p), append(run, i)
		}
	}
	var outs []Outcome
	if len(ps) > 0 {
		outs = c.RunEach(ctx, ps)
	}
	for j, i := range run {
		o := Outcome{Err: errors.New("the container reported no outcome")}
		if j < len(outs) {
			o = outs[j]
		}
		*checks[i] = judge(*checks[i], t, ps[j].Env, o)
		if i == 0 && cell.Uname.ExitCode != nil {
			cell.Machine = strings.TrimSpace(string(o.Exit.Stdout))
			if cell.Uname.Status == status.Pass {
				judgeMachine(&cell.Uname, t, opts.StrictCPU, cell.Machine, o.Exit)
			}
		}
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

// prepareCheck looks the executable up and refuses one of the wrong
// architecture; ok says the check is to run (path is where it is). A
// missing uname (optional) skips check 1.
func prepareCheck(ctx context.Context, c Container, t Target, args []string, optional bool) (ch Check, path string, ok bool) {
	ch = Check{Args: args}
	path, err := preflight(ctx, c, t, args[0])
	if err != nil {
		ch.Status, ch.Message = status.Fail, err.Error()
		if optional && errors.Is(err, errNotInImage) {
			ch.Status, ch.Message = status.Skip, err.Error()
		}
		return ch, "", false
	}
	return ch, path, true
}

// judge says what the outcome of the process of ch means.
func judge(ch Check, t Target, env []string, o Outcome) Check {
	out := o.Exit
	if o.Err != nil {
		ch.Status, ch.Message = status.Fail, fmt.Sprintf("could not run: %v", o.Err)
		ch.OutputTail = tailLines(out.Output, TailLines)
		return ch
	}
	code := out.Code
	ch.ExitCode, ch.Signal = &code, out.Signal
	ch.Status = status.Pass
	if code != 0 {
		ch.Status, ch.Message = status.Fail, exitMessage(out, env, t)
		ch.OutputTail = tailLines(out.Output, TailLines)
	}
	return ch
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
