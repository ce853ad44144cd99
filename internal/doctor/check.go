package doctor

import (
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/status"
)

// Check is one line of the report. Kind says what it checks and Platform
// (for a platform's own checks and the builder's routes) what it is
// about: code branches on those two. ID is derived from them and stable
// ("kernel", "binfmt_misc", "linux/arm64:flag-F", "builder:node-0",
// "builder:linux/arm64", ...) so scripts can pick checks out of --json.
type Check struct {
	ID       string        `json:"id"`
	Kind     Kind          `json:"kind"`
	Platform string        `json:"platform,omitempty"`
	Node     string        `json:"node,omitempty"`
	Status   status.Status `json:"status"`
	Message  string        `json:"message"`
	// Fix is the fix as plain text when it names no command of this
	// tool; Remedy is the fix as a typed action when it does (the CLI
	// words it and fills Fix before printing).
	Fix    string  `json:"fix,omitempty"`
	Remedy *Remedy `json:"-"`
}

// Subject is what the check is about, the text report's group: "builder"
// for the builder's checks, else the platform, else the kind itself
// ("kernel", "binfmt_misc", ...).
func (c Check) Subject() string {
	switch {
	case c.Kind.Builder():
		return "builder"
	case c.Platform != "":
		return c.Platform
	}
	return string(c.Kind)
}

// Name is the check within its subject: the kind of a platform's check,
// the node or the platform of a builder check, the kind itself for a
// subject of one check.
func (c Check) Name() string {
	switch {
	case c.Kind == KindNode:
		return c.Node
	case c.Kind == KindRoute && c.Platform != "":
		return c.Platform
	case c.Kind.Builder():
		return builderNames[c.Kind]
	}
	return string(c.Kind)
}

// id is Subject:Name, or Subject alone when the two are one.
func (c Check) id() string {
	if s, n := c.Subject(), c.Name(); s != n {
		return s + ":" + n
	}
	return c.Subject()
}

// Report is the whole answer. OK is false when any check failed; warnings
// do not make a host unready.
type Report struct {
	OK     bool    `json:"ok"`
	Checks []Check `json:"checks"`
	// Fixed lists what Fix applied, in order, for the text report.
	Fixed []string `json:"fixed,omitempty"`
}

func (r *Report) add(c Check) {
	r.Checks = append(r.Checks, c)
}

func (r *Report) finish() {
	r.OK = true
	for _, c := range r.Checks {
		if c.Status == status.Fail {
			r.OK = false
		}
	}
}

// about starts a check of kind k about platform p ("" for none).
func about(k Kind, p string) Check { return Check{Kind: k, Platform: p} }

// aboutNode starts the check of the builder's i-th node.
func aboutNode(i int) Check { return Check{Kind: KindNode, Node: fmt.Sprintf("node-%d", i)} }

func ok(c Check, msg string) Check { return c.with(status.Pass, msg, "") }

func warn(c Check, msg, fix string) Check { return c.with(status.Warn, msg, fix) }

func fail(c Check, msg, fix string) Check { return c.with(status.Fail, msg, fix) }

func (c Check) with(st status.Status, msg, fix string) Check {
	c.Status, c.Message, c.Fix = st, msg, fix
	c.ID = c.id()
	return c
}
