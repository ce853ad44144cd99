package status

// Status is the outcome of one check or step. See the package
// documentation for what each value means where.
type Status string

// The outcomes, in their JSON spelling.
const (
	Pass Status = "pass"
	Warn Status = "warn"
	Fail Status = "fail"
	Skip Status = "skip"
)

// rank orders outcomes by how bad they are: a skipped check is no better
// or worse than a passed one for the verdict of a group.
func (s Status) rank() int {
	switch s {
	case Warn:
		return 1
	case Fail:
		return 2
	}
	return 0
}

// Worse returns the worse of a and b (a when they are as bad): a group of
// checks is as bad as its worst one.
func Worse(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	return a
}
