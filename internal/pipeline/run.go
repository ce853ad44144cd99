package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// Step is one step of a run, as the summary shows it.
type Step struct {
	Name string `json:"name"`
	// Status is Skip when the step was not asked for or not reached
	// after a failure.
	Status          status.Status `json:"status"`
	DurationSeconds float64       `json:"duration_seconds"`
	// Message says what the step did, why it was skipped, or why it
	// failed and what to do.
	Message string `json:"message,omitempty"`
}

// Summary is the whole run. Its JSON form is `ci --json`'s output.
type Summary struct {
	Passed    bool     `json:"passed"`
	Tags      []string `json:"tags"`
	Platforms []string `json:"platforms"`
	Digest    string   `json:"digest,omitempty"`
	// Pushed is REPOSITORY@DIGEST of the index pushed by digest, before
	// any tag: it stays in the registry, untagged, when a later step fails.
	Pushed string `json:"pushed,omitempty"`
	// TagsWritten are the tags that point at the pushed index: all of Tags
	// after a passing run, none when verify or a test failed, those that
	// moved when writing the tags failed part-way.
	TagsWritten     []string `json:"tags_written"`
	DurationSeconds float64  `json:"duration_seconds"`
	Steps           []Step   `json:"steps"`
	// BuildMatrix is the test before push; PushedMatrix the test of the
	// pushed images, pulled by digest.
	BuildMatrix  *imagetest.Report `json:"build_matrix,omitempty"`
	PushedMatrix *imagetest.Report `json:"pushed_matrix,omitempty"`
	// PR mode (see prmode.go): PRMode says nothing was pushed (Published
	// is NotPushed); Layout is the OCI layout directory the index was
	// exported to, LayoutKept false when it was a temp one, removed.
	PRMode     bool   `json:"pr_mode,omitempty"`
	Published  string `json:"published,omitempty"`
	Layout     string `json:"layout,omitempty"`
	LayoutKept bool   `json:"layout_kept,omitempty"`
	// ExportedMatrix is PR mode's test after export, of the images read
	// from the layout (in place of PushedMatrix).
	ExportedMatrix *imagetest.Report `json:"exported_matrix,omitempty"`
}

// StepFunc does one step; its message goes into the summary.
type StepFunc func(ctx context.Context) (message string, err error)

// Task is a named step; a nil Run is skipped with Skip as its message.
type Task struct {
	Name string
	Run  StepFunc
	Skip string
}

// ErrStepFailed is wrapped by Run's error.
var ErrStepFailed = errors.New("ci step failed")

// StepError says which step stopped the pipeline.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string   { return fmt.Sprintf("%s: %v", e.Step, e.Err) }
func (e *StepError) Unwrap() []error { return []error{ErrStepFailed, e.Err} }

// Run runs the tasks in order into s. The first failure stops the run:
// the tasks after it are recorded as skipped, and the error is a
// *StepError. onStep, when set, sees each step as it ends.
func Run(ctx context.Context, s *Summary, tasks []Task, onStep func(Step)) error {
	start := time.Now()
	defer func() { s.DurationSeconds = time.Since(start).Seconds() }()
	var failed error
	for _, t := range tasks {
		st := Step{Name: t.Name, Status: status.Skip, Message: t.Skip}
		switch {
		case failed != nil:
			st.Message = "not run: an earlier step failed"
		case t.Run != nil:
			t0 := time.Now()
			msg, err := t.Run(ctx)
			st.DurationSeconds = time.Since(t0).Seconds()
			st.Status, st.Message = status.Pass, msg
			if err != nil {
				st.Status, st.Message = status.Fail, err.Error()
				failed = &StepError{Step: t.Name, Err: err}
			}
		}
		s.Steps = append(s.Steps, st)
		if onStep != nil {
			onStep(st)
		}
	}
	s.Passed = failed == nil
	return failed
}
