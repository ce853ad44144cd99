package app

import "errors"

// ErrChecksFailed is what a verb whose job is to report (verify, test,
// doctor) returns when its report holds a failure: the report is complete
// and the caller renders it; the exit code is 1.
var ErrChecksFailed = errors.New("checks failed")
