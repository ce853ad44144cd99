package build

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
)

// PushStalledError says BuildKit's push to Registry made no progress for
// Deadline (a blob or manifest PUT that the registry never answers: the
// daemon's pusher has no deadline of its own), so the solve was cancelled.
// Nothing was tagged: every push goes by digest, tags come after.
type PushStalledError struct {
	// Registry is the HOST[:PORT] pushed to.
	Registry string
	// Phase is what BuildKit reported last: "pushing layers", "pushing
	// manifest for REPO@DIGEST".
	Phase    string
	Deadline time.Duration
}

func (e *PushStalledError) Error() string {
	return fmt.Sprintf("the registry %s stopped answering while BuildKit pushed to it (%s: no progress for %v); the build was cancelled and nothing was tagged",
		e.Registry, e.Phase, e.Deadline)
}

// Hint says what to do next, flag-free.
func (e *PushStalledError) Hint() string {
	return "check that the registry (and any proxy in front of it) answers, then retry; what was already uploaded is not uploaded again. " +
		"BuildKit reports no progress within one upload, so a single layer that takes longer than the deadline on a slow link needs a longer registry deadline"
}

// pushWatch is the inactivity watchdog of one node's solve while BuildKit
// pushes. It sees every status of the solve; while one of BuildKit's
// "pushing …" steps runs (started, not completed) and no status at all
// arrives for deadline, it cancels the solve with a *PushStalledError.
// Outside pushing it never fires: a long silent RUN step is not a hang.
type pushWatch struct {
	deadline time.Duration
	registry string

	mu       sync.Mutex
	last     time.Time
	pushing  map[string]bool // status IDs of running "pushing …" steps
	phase    string
	exported bool // an exporter step started
}

func newPushWatch(deadline time.Duration, registry string) *pushWatch {
	return &pushWatch{deadline: deadline, registry: registry, last: time.Now(), pushing: map[string]bool{}}
}

// seen records one status message of the solve.
func (w *pushWatch) seen(s *client.SolveStatus) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last = time.Now()
	for _, v := range s.Vertexes {
		if v.Started != nil && strings.HasPrefix(v.Name, "exporting ") {
			w.exported = true
		}
	}
	for _, st := range s.Statuses {
		if !strings.HasPrefix(st.ID, "pushing ") {
			continue
		}
		if st.Completed != nil {
			delete(w.pushing, st.ID)
			continue
		}
		w.pushing[st.ID] = true
		w.phase = st.ID
	}
}

// exportStarted reports whether the solve got as far as its exporter.
func (w *pushWatch) exportStarted() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.exported
}

// stalled returns the error to cancel with when a push has made no
// progress for the deadline at now, else nil.
func (w *pushWatch) stalled(now time.Time) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pushing) == 0 || now.Sub(w.last) < w.deadline {
		return nil
	}
	return &PushStalledError{Registry: w.registry, Phase: w.phase, Deadline: w.deadline}
}

// run checks w until ctx ends, a tenth of the deadline apart, and cancels
// the solve (cancel) the first time it stalled.
func (w *pushWatch) run(ctx context.Context, cancel context.CancelCauseFunc) {
	tick := time.NewTicker(max(w.deadline/10, 50*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if err := w.stalled(now); err != nil {
				cancel(err)
				return
			}
		}
	}
}
