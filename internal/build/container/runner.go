package container

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	gateway "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/multiarch-dev/multiarch/internal/probe"
)

// RunEach runs ps one after the other. Where the node has a runner (see
// probe.Runner) and every process has the same environment, one fresh
// container runs them all as one container process, the runner as PID 1
// and each process its child (off PID 1, as beside a holder); otherwise
// each is a Run.
func (g *gatewayContainer) RunEach(ctx context.Context, ps []Process) []Outcome {
	if g.holder == nil || g.holder.runner == "" || !sameEnv(ps) {
		out := make([]Outcome, len(ps))
		for i, p := range ps {
			out[i].Result, out[i].Err = g.Run(ctx, p)
		}
		return out
	}
	return g.runInRunner(ctx, ps)
}

func sameEnv(ps []Process) bool {
	for _, p := range ps {
		if !slices.Equal(p.Env, ps[0].Env) {
			return false
		}
	}
	return true
}

// runInRunner runs ps as children of the runner and reads how each ended
// from its report. A process the report does not say ended (the context
// ended, the runner failed, the report is garbled) gets an error, never a
// zero exit.
func (g *gatewayContainer) runInRunner(ctx context.Context, ps []Process) []Outcome {
	out := make([]Outcome, len(ps))
	var cmds []probe.RunnerCommand
	var idx []int // ps index of each command
	for i, p := range ps {
		path, err := g.runnerPath(ctx, p)
		if err != nil {
			out[i].Err = err
			continue
		}
		cmds, idx = append(cmds, probe.RunnerCommand{Path: path, Args: p.Args}), append(idx, i)
	}
	if len(cmds) == 0 {
		return out
	}
	token, err := runnerToken()
	if err != nil {
		for _, i := range idx {
			out[i].Err = err
		}
		return out
	}
	caps := make([]*capture, len(cmds)+1)
	for j, i := range idx {
		caps[j] = newCapture(ps[i].OutputLimit)
	}
	caps[len(cmds)] = newCapture(1) // written after the last record: dropped
	stdout := probe.NewRunnerStream(token, true, func(j int, b []byte) { caps[j].stdout().Write(b) })
	stderr := probe.NewRunnerStream(token, false, func(j int, b []byte) { caps[j].stderr().Write(b) })
	start := time.Now()
	runErr := g.runRunner(ctx, probe.RunnerArgs(g.holder.runner, token, cmds), ps[idx[0]].Env, stdout, stderr)
	stdout.Close()
	stderr.Close()
	recs, recErr := probe.RunnerRecords(stdout, stderr, len(cmds))
	for j, i := range idx {
		out[i] = Outcome{Result: caps[j].result(time.Since(start))}
		switch {
		case j < len(recs):
			out[i].Err = recordError(recs[j], cmds[j])
		case ctx.Err() != nil:
			out[i].Err = context.Cause(ctx)
		case recErr != nil:
			out[i].Err = recErr
		case runErr != nil:
			out[i].Err = fmt.Errorf("the runner failed before %q ended: %w", cmds[j].Args[0], runErr)
		default:
			out[i].Err = fmt.Errorf("the runner ended without saying how %q ended", cmds[j].Args[0])
		}
	}
	return out
}

// runnerPath is the path the runner executes for p.
func (g *gatewayContainer) runnerPath(ctx context.Context, p Process) (string, error) {
	if len(p.Args) == 0 {
		return "", errors.New("no command to run")
	}
	if p.Path != "" {
		return p.Path, nil
	}
	path, err := g.LookPath(ctx, p.Args[0])
	if err != nil {
		return "", fmt.Errorf("start %q: %w", p.Args[0], err)
	}
	return path, nil
}

// runnerToken is a random token no process prints by chance.
func runnerToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("runner token: %w", err)
	}
	return "multiarch-" + hex.EncodeToString(b), nil // within probe.MaxRunnerToken
}

// recordError is the error Run would return for a process that ended as
// rec says: nil for exit 0, an *ExitError (a signal as the runtime
// reports it, 128+N), or why it could not be executed.
func recordError(rec probe.RunnerRecord, c probe.RunnerCommand) error {
	switch {
	case rec.ExecErrno != 0:
		return fmt.Errorf("start %q: exec %s: %w", c.Args[0], c.Path, rec.ExecErrno)
	case rec.Status.Signaled():
		return exitError(128 + int(rec.Status.Signal()))
	}
	if e := exitError(rec.Status.ExitStatus()); e != nil {
		return e
	}
	return nil
}

// runRunner runs the runner with args as the PID 1 of a fresh container
// of the root file system, with the image's environment (env added),
// working directory and user, and waits for it.
func (g *gatewayContainer) runRunner(ctx context.Context, args, env []string, stdout, stderr *probe.RunnerStream) error {
	ctr, err := g.gc.NewContainer(ctx, g.containerRequest())
	if err != nil {
		return fmt.Errorf("new container: %w", err)
	}
	defer ctr.Release(context.WithoutCancel(ctx))
	proc, err := ctr.Start(ctx, gateway.StartRequest{
		Args:   args,
		Env:    mergeEnv(g.env, env),
		Cwd:    orDefault(g.dir, "/"),
		User:   g.user,
		Stdout: stdout,
		Stderr: stderr,
	})
	if err != nil {
		return fmt.Errorf("start the runner: %w", err)
	}
	return proc.Wait()
}
