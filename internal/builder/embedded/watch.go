package embedded

import (
	"context"
	"time"
)

// stopPoll is how often WatchStopped looks at the daemon's state.
const stopPoll = 500 * time.Millisecond

// WatchStopped watches buildkitd pid while ctx lives: once the process
// has stayed stopped (SIGSTOP, a debugger) for grace, it calls cancel
// with a *HungError. A gRPC call to a stopped daemon waits forever (its
// connection stays open and keepalive pings are refused by buildkitd's
// 5-minute policy), so a build or test running on it needs this to end.
// A process that resumes within grace is left alone.
func (e *Builder) WatchStopped(ctx context.Context, pid int, grace time.Duration, cancel context.CancelCauseFunc) {
	t := time.NewTicker(stopPoll)
	defer t.Stop()
	var since time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if !isStopped(pid) {
				since = time.Time{}
				continue
			}
			if since.IsZero() {
				since = now
			}
			if now.Sub(since) >= grace {
				cancel(e.hung(pid))
				return
			}
		}
	}
}
