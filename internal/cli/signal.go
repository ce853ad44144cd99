package cli

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// NotifyContext is parent cancelled by the first SIGINT or SIGTERM, with
// a *SignalError as its cause so that the exit code can name the signal
// (130, 143). After that first signal the handler is gone: a second one
// kills at once, as it would without it. stop releases the handler.
func NotifyContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Stop(ch)
			cancel(&SignalError{Signal: s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		select {
		case <-done:
		default:
			close(done)
		}
		cancel(context.Canceled)
	}
}
