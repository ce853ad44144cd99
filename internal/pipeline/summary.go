package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// WriteJSON writes the summary as indented JSON.
func WriteJSON(w io.Writer, s *Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteTable writes the summary for people: the steps, then the platform
// matrix (before push and after).
func WriteTable(w io.Writer, s *Summary) error {
	fmt.Fprintf(w, "\nci summary: %s\n", verdict(s.Passed))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tSTATUS\tDURATION\tDETAIL")
	for _, st := range s.Steps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", st.Name, st.Status, dur(st), firstLine(st.Message))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writePublished(w, s)
	writeLocal(w, s)
	rows := matrixRows(s)
	if len(rows) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, matrixHeader(s, "PLATFORM\tCPU\tMACHINE\tBEFORE PUSH\tPUSHED"))
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.platform, r.cpu, r.machine, r.before, r.after)
	}
	return tw.Flush()
}

// WriteMarkdown writes the summary as GitHub-flavoured Markdown (for
// $GITHUB_STEP_SUMMARY).
func WriteMarkdown(w io.Writer, s *Summary) error {
	fmt.Fprintf(w, "## multiarch ci: %s\n\n", verdict(s.Passed))
	if len(s.Tags) > 0 {
		fmt.Fprintf(w, "Tags: %s  \nPlatforms: %s\n\n", code(s.Tags), code(s.Platforms))
	}
	if s.Pushed != "" {
		fmt.Fprintf(w, "Pushed by digest: `%s`  \nTags written: %s\n\n", s.Pushed, orNone(s.TagsWritten))
	}
	writeLocalMarkdown(w, s)
	fmt.Fprintln(w, "| step | status | duration | detail |\n|---|---|---|---|")
	for _, st := range s.Steps {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", st.Name, icon(st.Status), dur(st), mdCell(firstLine(st.Message)))
	}
	if rows := matrixRows(s); len(rows) > 0 {
		fmt.Fprintln(w, matrixHeader(s, "\n| platform | CPU | machine | before push | pushed |\n|---|---|---|---|---|"))
		for _, r := range rows {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", r.platform, r.cpu, r.machine, r.before, r.after)
		}
	}
	_, err := fmt.Fprintln(w)
	return err
}

// writePublished says what the registry holds after the run: the index
// pushed by digest, and which tags point at it and which do not.
func writePublished(w io.Writer, s *Summary) {
	if s.Pushed == "" {
		return
	}
	fmt.Fprintf(w, "\npushed by digest: %s\n", s.Pushed)
	fmt.Fprintf(w, "tags written:     %s\n", orNone(s.TagsWritten))
	if missing := NotWritten(s); len(missing) > 0 {
		fmt.Fprintf(w, "tags NOT written: %s\n", strings.Join(missing, ", "))
	}
}

// NotWritten are the tags of s that do not point at the pushed index.
func NotWritten(s *Summary) []string {
	var out []string
	for _, t := range s.Tags {
		if !slices.Contains(s.TagsWritten, t) {
			out = append(out, t)
		}
	}
	return out
}

func orNone(ss []string) string {
	if len(ss) == 0 {
		return "none"
	}
	return strings.Join(ss, ", ")
}

type matrixRow struct{ platform, cpu, machine, before, after string }

// matrixRows joins both matrices by platform (first tag only after push).
func matrixRows(s *Summary) []matrixRow {
	var rows []matrixRow
	index := map[string]int{}
	add := func(r *imagetest.Report, after bool) {
		if r == nil {
			return
		}
		for _, c := range r.Cells {
			i, ok := index[c.Platform]
			if !ok {
				i = len(rows)
				index[c.Platform] = i
				rows = append(rows, matrixRow{platform: c.Platform, cpu: c.CPU, machine: c.Machine, before: "-", after: "-"})
			}
			word := cellWord(c)
			if after {
				if rows[i].after == "-" || !c.Passed {
					rows[i].after = word
				}
			} else {
				rows[i].before = word
			}
			if rows[i].machine == "" {
				rows[i].machine = c.Machine
			}
		}
	}
	add(s.BuildMatrix, false)
	add(s.PushedMatrix, true)
	add(s.ExportedMatrix, true)
	return rows
}

// CheckedNothing reports whether c passed with both checks skipped (no
// uname in the image, no test command: FROM scratch). Such a cell checked
// nothing, so the summary counts it as skipped, not passed.
func CheckedNothing(c imagetest.Cell) bool {
	return c.Passed && c.Error == "" && c.Uname.Status == status.Skip && c.Command.Status == status.Skip
}

func cellWord(c imagetest.Cell) string {
	if CheckedNothing(c) {
		return "skip"
	}
	if c.Passed {
		return "pass"
	}
	for _, ch := range []imagetest.Check{c.Uname, c.Command} {
		if ch.Status == status.Fail && ch.Signal != "" {
			return "FAIL (" + ch.Signal + ")"
		}
	}
	return "FAIL"
}

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func icon(s status.Status) string {
	switch s {
	case status.Pass:
		return "✅ pass"
	case status.Fail:
		return "❌ fail"
	}
	return "➖ skip"
}

func dur(st Step) string {
	if st.Status == status.Skip {
		return "-"
	}
	d := time.Duration(st.DurationSeconds * float64(time.Second))
	return d.Round(10 * time.Millisecond).String()
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func code(ss []string) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, ", ")
}

func mdCell(s string) string {
	return strings.ReplaceAll(s, "|", `\|`)
}
