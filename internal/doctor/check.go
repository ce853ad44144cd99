package doctor

// Status is the outcome of one check.
type Status string

const (
	OK   Status = "OK"
	Warn Status = "WARN"
	Fail Status = "FAIL"
)

// Check is one line of the report. ID is stable ("kernel", "binfmt_misc",
// "linux/arm64:flag-F", ...) so scripts can pick checks out of --json.
type Check struct {
	ID      string `json:"id"`
	Status  Status `json:"status"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
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
		if c.Status == Fail {
			r.OK = false
		}
	}
}

func ok(id, msg string) Check { return Check{ID: id, Status: OK, Message: msg} }

func warn(id, msg, fix string) Check { return Check{ID: id, Status: Warn, Message: msg, Fix: fix} }

func fail(id, msg, fix string) Check { return Check{ID: id, Status: Fail, Message: msg, Fix: fix} }
