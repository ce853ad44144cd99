package imagetest

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/multiarch-dev/multiarch/internal/status"
)

// WriteTable renders the report for people: one row per cell, then the
// failures with the tail of their output, then a summary line. A NODE
// column says where each cell ran when the cells ran on more than one
// builder node.
func WriteTable(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	nodes := manyNodes(r.Cells)
	head := "PLATFORM\tTAG\tMACHINE\tCPU\tUNAME\tCOMMAND\tDURATION"
	if nodes {
		head += "\tNODE"
	}
	fmt.Fprintln(tw, head)
	for _, c := range r.Cells {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s", c.Platform, c.Tag, orDash(c.Machine), c.CPU,
			checkWord(c, c.Uname), checkWord(c, c.Command), seconds(c.DurationSeconds))
		if nodes {
			fmt.Fprintf(tw, "\t%s", orDash(c.Node))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range r.Cells {
		writeFailure(w, c)
	}
	verdict := "PASS"
	if !r.Passed {
		verdict = "FAIL"
	}
	_, err := fmt.Fprintf(w, "\n%s: %d of %d cells passed in %s\n", verdict, r.Total-r.Failed, r.Total, seconds(r.DurationSeconds))
	return err
}

// manyNodes reports whether the cells ran on more than one node.
func manyNodes(cells []Cell) bool {
	for _, c := range cells {
		if c.Node != cells[0].Node {
			return true
		}
	}
	return false
}

func checkWord(c Cell, ch Check) string {
	if c.Error != "" {
		return "error"
	}
	if ch.Status == status.Fail && ch.Signal != "" {
		return "FAIL (" + ch.Signal + ")"
	}
	if ch.Status == status.Fail {
		return "FAIL"
	}
	return string(ch.Status)
}

func writeFailure(w io.Writer, c Cell) {
	if c.Passed {
		return
	}
	fmt.Fprintf(w, "\n--- FAIL %s %s (cpu %s", c.Platform, c.Tag, c.CPU)
	if c.Node != "" {
		fmt.Fprintf(w, ", node %s", c.Node)
	}
	fmt.Fprintln(w, ")")
	if c.Error != "" {
		fmt.Fprintf(w, "    %s\n", c.Error)
		return
	}
	for _, ch := range []Check{c.Uname, c.Command} {
		if ch.Status != status.Fail {
			continue
		}
		fmt.Fprintf(w, "    %s: %s\n", strings.Join(ch.Args, " "), ch.Message)
		for _, l := range ch.OutputTail {
			fmt.Fprintf(w, "    | %s\n", l)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func seconds(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(10 * time.Millisecond).String()
}
