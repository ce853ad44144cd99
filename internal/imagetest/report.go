package imagetest

import (
	"errors"
	"fmt"
	"slices"

	"github.com/multiarch-dev/multiarch/internal/status"
)

// Check is the result of one check of a cell. Its JSON form is part of
// the stable report (see the package documentation).
type Check struct {
	Status   status.Status `json:"status"`
	Args     []string      `json:"args,omitempty"`
	Expected []string      `json:"expected,omitempty"`
	// ExitCode is nil when the process did not run.
	ExitCode   *int     `json:"exit_code"`
	Signal     string   `json:"signal,omitempty"`
	Message    string   `json:"message,omitempty"`
	OutputTail []string `json:"output_tail,omitempty"`
}

// Cell is the result of one platform entry of one tag.
type Cell struct {
	Tag      string `json:"tag"`
	Platform string `json:"platform"`
	Digest   string `json:"digest,omitempty"`
	// Node is the builder node the cell ran on.
	Node            string  `json:"node,omitempty"`
	Emulated        bool    `json:"emulated"`
	CPU             string  `json:"cpu"`
	Machine         string  `json:"machine"`
	Passed          bool    `json:"passed"`
	DurationSeconds float64 `json:"duration_seconds"`
	// Error says why the cell could not run at all (the image could not be
	// pulled, the builder failed); its checks are then skipped.
	Error   string `json:"error,omitempty"`
	Uname   Check  `json:"uname"`
	Command Check  `json:"command"`
}

// CPU column values besides QEMU model names.
const (
	CPUNative  = "native"  // no emulation
	CPUDefault = "default" // QEMU's default CPU model (the newest it has)
)

// Report is the whole matrix, cells in the order of the targets.
type Report struct {
	References      []string `json:"references"`
	Command         []string `json:"command,omitempty"`
	StrictCPU       bool     `json:"strict_cpu"`
	Passed          bool     `json:"passed"`
	Total           int      `json:"total"`
	Failed          int      `json:"failed"`
	DurationSeconds float64  `json:"duration_seconds"`
	Cells           []Cell   `json:"cells"`
}

// CellError says one cell failed.
type CellError struct {
	Tag, Platform string
	// Check is "uname", "command" or "" (the cell did not run).
	Check   string
	Message string
}

func (e *CellError) Error() string {
	if e.Check == "" {
		return fmt.Sprintf("%s %s: %s", e.Platform, e.Tag, e.Message)
	}
	return fmt.Sprintf("%s %s: %s check: %s", e.Platform, e.Tag, e.Check, e.Message)
}

// Err joins a *CellError per failed check (nil when every cell passed).
func (r *Report) Err() error {
	var errs []error
	for _, c := range r.Cells {
		errs = append(errs, c.errs()...)
	}
	return errors.Join(errs...)
}

func (c Cell) errs() []error {
	if c.Error != "" {
		return []error{&CellError{Tag: c.Tag, Platform: c.Platform, Message: c.Error}}
	}
	var errs []error
	for _, ch := range []struct {
		name string
		c    Check
	}{{"uname", c.Uname}, {"command", c.Command}} {
		if ch.c.Status == status.Fail {
			errs = append(errs, &CellError{Tag: c.Tag, Platform: c.Platform, Check: ch.name, Message: ch.c.Message})
		}
	}
	return errs
}

func (r *Report) tally() {
	r.Total, r.Failed = len(r.Cells), 0
	for _, c := range r.Cells {
		if !c.Passed {
			r.Failed++
		}
	}
	r.Passed = r.Failed == 0
}

// Merge joins reports of disjoint cells (the nodes of one `build --test`)
// into one: cells in the order given, the longest duration (the reports
// ran at once), totals recounted.
func Merge(reports ...*Report) *Report {
	out := &Report{}
	for _, r := range reports {
		if r == nil {
			continue
		}
		for _, ref := range r.References {
			if !slices.Contains(out.References, ref) {
				out.References = append(out.References, ref)
			}
		}
		out.Command, out.StrictCPU = r.Command, r.StrictCPU
		out.Cells = append(out.Cells, r.Cells...)
		out.DurationSeconds = max(out.DurationSeconds, r.DurationSeconds)
	}
	out.tally()
	return out
}
