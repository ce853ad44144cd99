package imagetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Run runs a cell per target, opts.Parallel at a time, each in containers
// opened by open, and returns the report with cells in target order. A
// cell whose containers cannot be opened fails with the reason; Run itself
// only fails when ctx ends.
func Run(ctx context.Context, targets []Target, open Opener, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	start := time.Now()
	cells := make([]Cell, len(targets))
	sem := make(chan struct{}, opts.Parallel)
	var wg sync.WaitGroup
	for i, t := range targets {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			cells[i] = runOpened(ctx, t, open, opts)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	r := &Report{References: references(targets), Command: opts.Command, StrictCPU: opts.StrictCPU, Cells: cells}
	r.DurationSeconds = time.Since(start).Seconds()
	r.tally()
	return r, nil
}

// runOpened runs the cell of t; the cell's deadline covers everything it
// waits on: opening (the builder's pull of the image) and the checks.
func runOpened(ctx context.Context, t Target, open Opener, opts Options) Cell {
	start := time.Now()
	ctx, cancel := context.WithTimeoutCause(ctx, opts.CellTimeout, &CellTimeoutError{After: opts.CellTimeout})
	defer cancel()
	opts.Logger.Debug("cell start", "tag", t.Tag, "platform", t.Platform.String())
	var cell Cell
	ran := false
	err := open(ctx, t, func(ctx context.Context, c Container) error {
		cell, ran = runCell(ctx, t, c, opts), true
		return nil
	})
	if !ran || err != nil {
		if err == nil {
			err = context.Cause(ctx)
		}
		cell = failedCell(t, opts, err, time.Since(start))
	} else {
		// Opening (the pull) is part of the cell's time.
		cell.DurationSeconds = time.Since(start).Seconds()
	}
	opts.Logger.Debug("cell done", "tag", t.Tag, "platform", t.Platform.String(), "passed", cell.Passed)
	return cell
}

func references(ts []Target) []string {
	var out []string
	for _, t := range ts {
		if !slices.Contains(out, t.Tag) {
			out = append(out, t.Tag)
		}
	}
	return out
}

// CellTimeoutError is the cause of a cell's context when its deadline
// (Options.CellTimeout) passes; it is a context.DeadlineExceeded.
type CellTimeoutError struct {
	After time.Duration
}

func (e *CellTimeoutError) Error() string { return fmt.Sprintf("timed out after %v", e.After) }

func (e *CellTimeoutError) Unwrap() error { return context.DeadlineExceeded }
