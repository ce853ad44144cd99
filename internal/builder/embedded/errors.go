package embedded

import "fmt"

// DaemonStartError says the embedded buildkitd did not come up; its log is
// at LogFile.
type DaemonStartError struct {
	LogFile string
	Err     error
}

func (e *DaemonStartError) Error() string {
	return fmt.Sprintf("buildkitd did not start: %v (log: %s)", e.Err, e.LogFile)
}

func (e *DaemonStartError) Unwrap() error { return e.Err }

// HungError says our buildkitd (PID) runs but does not answer on Socket:
// it is stopped (Stopped: SIGSTOP, a debugger) or stuck. Nothing waits
// on it longer than a probe's deadline.
type HungError struct {
	PID     int
	Socket  string
	Stopped bool
	LogFile string
}

func (e *HungError) Error() string {
	s := fmt.Sprintf("buildkitd pid %d is running but does not answer on %s", e.PID, e.Socket)
	if e.Stopped {
		s += " (the process is stopped, as by SIGSTOP)"
	}
	return s
}
