package imagetest

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/status"
)

// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub test reporters):
// one <testsuite> per tag, one <testcase> per cell named after its
// platform, a <failure> per failed check with the output tail as text, an
// <error> for a cell that could not run.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML.
func WriteJUnit(w io.Writer, r *Report) error {
	doc := junitSuites{Name: "multiarch test", Time: secs(r.DurationSeconds)}
	for _, ref := range r.References {
		s := junitSuite{Name: ref}
		var total float64
		for _, c := range r.Cells {
			if c.Tag != ref {
				continue
			}
			tc := junitCell(c)
			s.Tests++
			total += c.DurationSeconds
			switch {
			case tc.Error != nil:
				s.Errors++
			case tc.Failure != nil:
				s.Failures++
			}
			s.Cases = append(s.Cases, tc)
		}
		s.Time = secs(total)
		doc.Tests, doc.Failures, doc.Errors = doc.Tests+s.Tests, doc.Failures+s.Failures, doc.Errors+s.Errors
		doc.Suites = append(doc.Suites, s)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func junitCell(c Cell) junitCase {
	tc := junitCase{
		Name: c.Platform, Classname: "multiarch.test." + c.Tag, Time: secs(c.DurationSeconds),
		SystemOut: fmt.Sprintf("machine=%s cpu=%s digest=%s", c.Machine, c.CPU, c.Digest),
	}
	if c.Node != "" {
		tc.SystemOut += " node=" + c.Node
	}
	if c.Error != "" {
		tc.Error = &junitFailure{Message: c.Error, Type: "error"}
		return tc
	}
	// One <failure> per testcase: that is all most readers show.
	var types, msgs, text []string
	for _, ch := range []struct {
		name string
		c    Check
	}{{"uname", c.Uname}, {"command", c.Command}} {
		if ch.c.Status != status.Fail {
			continue
		}
		types = append(types, ch.name)
		msgs = append(msgs, ch.name+": "+ch.c.Message)
		text = append(text, "$ "+strings.Join(ch.c.Args, " "), strings.Join(ch.c.OutputTail, "\n"))
	}
	if len(types) > 0 {
		tc.Failure = &junitFailure{Message: strings.Join(msgs, "; "), Type: strings.Join(types, ","), Text: strings.Join(text, "\n")}
	}
	return tc
}

func secs(s float64) string { return fmt.Sprintf("%.3f", s) }
