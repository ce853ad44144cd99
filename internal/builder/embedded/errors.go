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
