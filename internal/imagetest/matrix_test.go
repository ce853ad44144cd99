package imagetest

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func targets(t *testing.T, tag string, native string, names ...string) []Target {
	t.Helper()
	var out []Target
	for _, p := range testenv.Platforms(t, names...) {
		out = append(out, Target{Tag: tag, Platform: p, Digest: "sha256:" + strings.Repeat("a", 64), Native: p.String() == native})
	}
	return out
}

func TestStrictCPUSIGILL(t *testing.T) {
	ts := targets(t, "reg/app:1", "linux/amd64", "linux/amd64", "linux/arm/v6", "linux/arm/v7")
	o := &fakeOpener{byPlat: map[string]*fakeContainer{
		"linux/amd64":  busybox(ts[0].Platform, "x86_64", ""),
		"linux/arm/v6": busybox(ts[1].Platform, "armv7l", "arm1176"),
		"linux/arm/v7": busybox(ts[2].Platform, "armv7l", ""),
	}}
	r, err := Run(t.Context(), ts, o.open, Options{})
	if err != nil || !r.Passed {
		t.Fatalf("default CPU: %v %+v", err, r)
	}
	r, err = Run(t.Context(), ts, o.open, Options{StrictCPU: true, Command: []string{"sh", "-c", "echo hi"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Passed || r.Failed != 1 {
		t.Fatalf("strict: want exactly one failure, got %+v", r)
	}
	v6 := r.Cells[1]
	if v6.CPU != "arm1176" || v6.Uname.Signal != "SIGILL" || v6.Uname.ExitCode == nil || *v6.Uname.ExitCode != 132 || !strings.Contains(v6.Uname.Message, "arm1176") {
		t.Errorf("arm/v6 cell: %+v", v6)
	}
	if r.Cells[0].CPU != CPUNative || r.Cells[2].CPU != "cortex-a8" {
		t.Errorf("cpu column: %q %q", r.Cells[0].CPU, r.Cells[2].CPU)
	}
	var ce *CellError
	if err := r.Err(); !errors.As(err, &ce) || ce.Platform != "linux/arm/v6" || ce.Check != "uname" {
		t.Errorf("Err: %v", err)
	}
}

func TestStrictUnameMustShowTheVariant(t *testing.T) {
	ts := targets(t, "reg/app:1", "", "linux/arm/v6")
	// A CPU model that runs the code but reports v7: the strict rule wants armv6*.
	o := &fakeOpener{byPlat: map[string]*fakeContainer{"linux/arm/v6": busybox(ts[0].Platform, "armv7l", "")}}
	r, _ := Run(t.Context(), ts, o.open, Options{StrictCPU: true})
	if r.Passed || r.Cells[0].Uname.Expected[0] != "armv6*" {
		t.Fatalf("%+v", r.Cells[0])
	}
}

func TestWrongArchBinaryFailsBeforeItRuns(t *testing.T) {
	ts := targets(t, "reg/app:1", "linux/amd64", "linux/amd64", "linux/arm64")
	amd64 := ts[0].Platform
	ran := 0
	mk := func() *fakeContainer {
		return &fakeContainer{
			files: map[string][]byte{"/app/server": elfHeader(amd64)},
			run:   func(Process) (Exit, error) { ran++; return Exit{Stdout: []byte("hello\n")}, nil },
		}
	}
	o := &fakeOpener{byPlat: map[string]*fakeContainer{"linux/amd64": mk(), "linux/arm64": mk()}}
	r, _ := Run(t.Context(), ts, o.open, Options{Command: []string{"/app/server"}, Parallel: 1})
	if !r.Cells[0].Passed || r.Cells[0].Uname.Status != status.Skip {
		t.Errorf("amd64 cell: %+v", r.Cells[0])
	}
	c := r.Cells[1]
	if c.Passed || c.Command.Status != status.Fail || !strings.Contains(c.Command.Message, "is ELF x86-64, not for linux/arm64") || !strings.Contains(c.Command.Message, "exec format error") {
		t.Errorf("arm64 cell: %+v", c)
	}
	if ran != 1 {
		t.Errorf("ran %d processes, want 1 (the amd64 one)", ran)
	}
}

func TestFailingCommandTailAndReports(t *testing.T) {
	ts := targets(t, "reg/app:1", "linux/amd64", "linux/amd64", "linux/s390x")
	ts = append(ts, targets(t, "reg/app:latest", "linux/amd64", "linux/amd64")...)
	s390x := busybox(ts[1].Platform, "s390x", "")
	s390x.run = func(p Process) (Exit, error) {
		if p.Args[0] == "uname" {
			return Exit{Stdout: []byte("s390x\n")}, nil
		}
		return busybox(ts[1].Platform, "", "").run(Process{Args: []string{"fail"}})
	}
	o := &fakeOpener{byPlat: map[string]*fakeContainer{"linux/amd64": busybox(ts[0].Platform, "x86_64", ""), "linux/s390x": s390x}}
	r, _ := Run(t.Context(), ts, o.open, Options{Command: []string{"sh", "-c", "test"}})
	if r.Failed != 1 || r.Cells[1].Passed || len(r.Cells[1].Command.OutputTail) != TailLines || r.Cells[1].Command.OutputTail[TailLines-1] != "line 29" {
		t.Fatalf("%+v", r.Cells[1])
	}

	var table bytes.Buffer
	if err := WriteTable(&table, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"PLATFORM", "linux/s390x", "FAIL", "| line 29", "exit code 3", "FAIL: 2 of 3 cells passed"} {
		if !strings.Contains(table.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, table.String())
		}
	}

	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	cells := back["cells"].([]any)
	c1 := cells[1].(map[string]any)
	cmd := c1["command"].(map[string]any)
	if back["passed"] != false || back["total"] != 3.0 || c1["platform"] != "linux/s390x" || cmd["status"] != "fail" || cmd["exit_code"] != 3.0 || c1["cpu"] != CPUDefault {
		t.Errorf("json: %s", js.String())
	}
	if u := cells[0].(map[string]any)["uname"].(map[string]any); u["exit_code"] != 0.0 || u["status"] != "pass" {
		t.Errorf("json uname: %v", u)
	}

	var ju bytes.Buffer
	if err := WriteJUnit(&ju, r); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(ju.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, ju.String())
	}
	if doc.Tests != 3 || doc.Failures != 1 || len(doc.Suites) != 2 || doc.Suites[0].Name != "reg/app:1" || len(doc.Suites[0].Cases) != 2 {
		t.Fatalf("junit: %+v", doc)
	}
	f := doc.Suites[0].Cases[1].Failure
	if f == nil || f.Type != "command" || !strings.Contains(f.Text, "line 29") {
		t.Errorf("junit failure: %+v", f)
	}
}

func TestParallelIsBoundedAndOpenErrorsFailTheCell(t *testing.T) {
	names := []string{"linux/amd64", "linux/arm64", "linux/arm/v6", "linux/arm/v7", "linux/ppc64le", "linux/s390x", "linux/386"}
	ts := targets(t, "reg/app:1", "linux/amd64", names...)
	o := &fakeOpener{byPlat: map[string]*fakeContainer{}, delay: 50 * time.Millisecond}
	for _, tg := range ts[:6] {
		m := tg.Platform.UnameEmulated[0]
		o.byPlat[tg.Platform.String()] = busybox(tg.Platform, m, "")
	}
	start := time.Now()
	r, err := Run(t.Context(), ts, o.open, Options{Parallel: 3})
	if err != nil {
		t.Fatal(err)
	}
	if o.peak != 3 {
		t.Errorf("peak parallel cells %d, want 3", o.peak)
	}
	if d := time.Since(start); d > 400*time.Millisecond {
		t.Errorf("7 cells of 50ms, 3 at a time, took %v", d)
	}
	last := r.Cells[6]
	if last.Passed || !strings.Contains(last.Error, "manifest unknown") || r.Failed != 1 {
		t.Errorf("cell that could not open: %+v", last)
	}
}

func TestTargets(t *testing.T) {
	entries := []Entry{{"linux/amd64", "sha256:1"}, {"linux/arm/v6", "sha256:2"}}
	native := func(p platform.Platform) bool { return p.Arch == "amd64" }
	ts, err := Targets("r:1", entries, nil, native)
	if err != nil || len(ts) != 2 || !ts[0].Native || ts[1].Native || ts[1].Digest != "sha256:2" {
		t.Fatalf("%+v %v", ts, err)
	}
	ts, err = Targets("r:1", entries, testenv.Platforms(t, "armel"), native)
	if err != nil || len(ts) != 1 || ts[0].Platform.String() != "linux/arm/v6" {
		t.Fatalf("filter: %+v %v", ts, err)
	}
	_, err = Targets("r:1", entries, testenv.Platforms(t, "s390x"), native)
	var mp *MissingPlatformError
	if !errors.As(err, &mp) || mp.Platform != "linux/s390x" || !strings.Contains(err.Error(), "linux/amd64, linux/arm/v6") {
		t.Fatalf("missing: %v", err)
	}
}

// TestNodeInReports: the node of each cell is in the JSON, in JUnit's
// system-out, and in a NODE column only when the cells ran on more than
// one node.
func TestNodeInReports(t *testing.T) {
	ts := targets(t, "reg/app:1", "linux/amd64", "linux/amd64", "linux/arm64")
	ts[0].Node, ts[1].Node = "unix:///gen.sock", "unix:///gen.sock"
	o := &fakeOpener{byPlat: map[string]*fakeContainer{"linux/amd64": busybox(ts[0].Platform, "x86_64", ""), "linux/arm64": busybox(ts[1].Platform, "aarch64", "")}}
	table := func() string {
		r, _ := Run(t.Context(), ts, o.open, Options{})
		var b bytes.Buffer
		if err := WriteTable(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	if s := table(); strings.Contains(s, "NODE") {
		t.Errorf("one node: no NODE column:\n%s", s)
	}
	ts[1].Node, ts[1].Native = "tcp://arm:1234", true
	if s := table(); !strings.Contains(s, "NODE") || !strings.Contains(s, "tcp://arm:1234") || !strings.Contains(s, "unix:///gen.sock") {
		t.Errorf("two nodes: NODE column:\n%s", s)
	}
	r, _ := Run(t.Context(), ts, o.open, Options{})
	var js, ju bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Cells []map[string]any `json:"cells"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Cells[1]["node"] != "tcp://arm:1234" || back.Cells[1]["emulated"] != false {
		t.Errorf("json %v: %s", err, js.String())
	}
	if err := WriteJUnit(&ju, r); err != nil || !strings.Contains(ju.String(), "node=tcp://arm:1234") {
		t.Errorf("junit %v: %s", err, ju.String())
	}
	ts[0].Node, ts[1].Node = "", ""
	r, _ = Run(t.Context(), ts, o.open, Options{})
	js.Reset()
	if err := WriteJSON(&js, r); err != nil || strings.Contains(js.String(), `"node"`) {
		t.Errorf("unknown node must be omitted: %v %s", err, js.String())
	}
}

func TestCheckELF(t *testing.T) {
	arm64 := Target{Platform: testenv.Platforms(t, "linux/arm64")[0]}
	for name, tt := range map[string]struct {
		head []byte
		want string // "" passes
	}{
		"script":           {[]byte("#!/bin/sh\necho hi\n"), ""},
		"own machine":      {elfHeader(arm64.Platform), ""},
		"other machine":    {elfHeader(testenv.Platforms(t, "linux/amd64")[0]), "is ELF x86-64, not for linux/arm64: exec format error"},
		"big-endian s390x": {elfHeader(testenv.Platforms(t, "linux/s390x")[0]), "is ELF 64-bit IBM S/390, not for linux/arm64"},
		"damaged header":   {[]byte("\x7fELF\x09\x01"), "exec format error"},
	} {
		err := checkELF("/bin/x", tt.head, arm64)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%s: got %v, want %q", name, err, tt.want)
		}
	}
}
