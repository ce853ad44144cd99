package pipeline

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/status"
)

func TestRunStopsAtTheFirstFailure(t *testing.T) {
	boom := errors.New("boom")
	var ran, seen []string
	step := func(name string, err error) StepFunc {
		return func(context.Context) (string, error) { ran = append(ran, name); return name + " done", err }
	}
	var s Summary
	err := Run(t.Context(), &s, []Task{
		{Name: "a", Skip: "not asked for"},
		{Name: "b", Run: step("b", nil)},
		{Name: "c", Run: step("c", boom)},
		{Name: "d", Run: step("d", nil)},
	}, func(st Step) { seen = append(seen, st.Name+":"+string(st.Status)) })

	var se *StepError
	if !errors.As(err, &se) || se.Step != "c" || !errors.Is(err, boom) || !errors.Is(err, ErrStepFailed) {
		t.Fatalf("want a *StepError for c wrapping boom and ErrStepFailed, got %v", err)
	}
	if s.Passed || strings.Join(ran, ",") != "b,c" {
		t.Errorf("passed %v, ran %v: d must not run", s.Passed, ran)
	}
	if got := strings.Join(seen, " "); got != "a:skip b:pass c:fail d:skip" {
		t.Errorf("steps %s", got)
	}
	if s.Steps[0].Message != "not asked for" || s.Steps[1].Message != "b done" || s.Steps[2].Message != "boom" ||
		!strings.Contains(s.Steps[3].Message, "earlier step failed") {
		t.Errorf("messages %+v", s.Steps)
	}

	s = Summary{}
	if err := Run(t.Context(), &s, []Task{{Name: "a", Run: step("a", nil)}}, nil); err != nil || !s.Passed {
		t.Errorf("all passed: %v %+v", err, s)
	}
}

func cell(platform, cpu, machine string, passed bool, signal string) imagetest.Cell {
	c := imagetest.Cell{Platform: platform, CPU: cpu, Machine: machine, Passed: passed,
		Uname: imagetest.Check{Status: status.Pass}, Command: imagetest.Check{Status: status.Pass}}
	if !passed {
		c.Command = imagetest.Check{Status: status.Fail, Signal: signal}
	}
	return c
}

// unchecked is a cell of an image with no uname and no test command: it
// passes with nothing checked, which the summary must not call "pass".
func unchecked(platform string) imagetest.Cell {
	return imagetest.Cell{Platform: platform, CPU: "default", Passed: true,
		Uname: imagetest.Check{Status: status.Skip}, Command: imagetest.Check{Status: status.Skip}}
}

// TestSummaryMatrix: both matrices join by platform; a platform tested
// only before push shows "-" after; a failed pushed cell shows its signal.
func TestSummaryMatrix(t *testing.T) {
	s := &Summary{
		Passed: false, Tags: []string{"r/x:1"}, Platforms: []string{"linux/amd64", "linux/arm/v6", "linux/s390x"},
		Steps: []Step{{Name: "build", Status: status.Pass, DurationSeconds: 1.234}, {Name: "verify", Status: status.Fail, Message: "a | b\nsecond line"}},
		BuildMatrix: &imagetest.Report{Cells: []imagetest.Cell{
			cell("linux/amd64", "native", "x86_64", true, ""), cell("linux/arm/v6", "arm1176", "armv6l", true, ""),
			unchecked("linux/s390x"),
		}},
		PushedMatrix: &imagetest.Report{Cells: []imagetest.Cell{cell("linux/arm/v6", "arm1176", "armv6l", false, "SIGILL")}},
	}
	var tb, md bytes.Buffer
	if err := WriteTable(&tb, s); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(&md, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ci summary: FAIL", "build", "1.23s", "a | b", "BEFORE PUSH", "FAIL (SIGILL)"} {
		if !strings.Contains(tb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tb.String())
		}
	}
	if strings.Contains(tb.String(), "second line") {
		t.Errorf("table shows only a message's first line:\n%s", tb.String())
	}
	for _, want := range []string{
		"## multiarch ci: FAIL", "Tags: `r/x:1`", "| verify | ❌ fail | 0s | a \\| b |",
		"| linux/amd64 | native | x86_64 | pass | - |", "| linux/arm/v6 | arm1176 | armv6l | pass | FAIL (SIGILL) |",
		"| linux/s390x | default |  | skip | - |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

// The table says what the registry holds after a run: the digest pushed,
// the tags written and, when some are missing, which.
func TestWriteTablePublished(t *testing.T) {
	s := &Summary{Tags: []string{"r/a:1", "r/a:2"}, Pushed: "r/a@sha256:d", TagsWritten: []string{"r/a:1"}}
	var b strings.Builder
	if err := WriteTable(&b, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pushed by digest: r/a@sha256:d", "tags written:     r/a:1\n", "tags NOT written: r/a:2\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	s.TagsWritten = nil
	b.Reset()
	_ = WriteTable(&b, s)
	if !strings.Contains(b.String(), "tags written:     none\n") || !strings.Contains(b.String(), "tags NOT written: r/a:1, r/a:2\n") {
		t.Errorf("nothing tagged:\n%s", b.String())
	}
	b.Reset()
	_ = WriteMarkdown(&b, s)
	if !strings.Contains(b.String(), "Pushed by digest: `r/a@sha256:d`") {
		t.Errorf("markdown:\n%s", b.String())
	}
}
