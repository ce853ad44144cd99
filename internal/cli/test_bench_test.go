package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// runTestBench runs `multiarch test --json args...` in-process and returns
// the report and the command's whole wall time.
func runTestBench(b *testing.B, args ...string) (*imagetest.Report, time.Duration) {
	b.Helper()
	root := NewRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(append([]string{"test", "--json"}, args...))
	start := time.Now()
	err := root.ExecuteContext(b.Context())
	d := time.Since(start)
	var r imagetest.Report
	if err != nil || json.Unmarshal(out.Bytes(), &r) != nil || !r.Passed {
		b.Fatalf("test %v: %v\n%s\n%s", args, err, out.String(), errb.String())
	}
	return &r, d
}

// startBenchBuilder starts an embedded builder in temp dirs and points
// BUILDKIT_HOST at it.
func startBenchBuilder(b *testing.B) {
	b.Helper()
	testenv.RequireRoot(b)
	bin := os.Getenv(build.EnvBuildkitd)
	if bin == "" {
		bin = filepath.Join(testenv.RepoRoot(b), "bin", "buildkitd")
	}
	_, err := os.Stat(bin)
	testenv.Require(b, err == nil, "buildkitd binary "+bin+" missing: make build")
	sockDir, err := os.MkdirTemp("", "mabt")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(sockDir) })
	e, err := build.NewEmbedded(build.WithStateDir(b.TempDir()), build.WithSocket(filepath.Join(sockDir, "bk.sock")), build.WithBinary(bin))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Down(context.Background()) })
	if _, _, err := e.Up(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Setenv(build.EnvBuildkitHost, e.Address())
}

// BenchmarkTestMatrix compares the wall time of the 7-platform test matrix
// (uname and a command, --strict-cpu) with its slowest cell run alone.
// Target: matrix <= 1.5 x slowest cell (start-up, the registry inspect and
// the builder connection, is reported apart). Images are pulled once
// before timing, as in CI after the first run.
func BenchmarkTestMatrix(b *testing.B) {
	testenv.LockHostBinfmt(b)
	startBenchBuilder(b)
	reg := testenv.StartRegistry(b)
	ref := reg.Ref("busybox", "bench")
	testenv.PushBusyboxIndex(b, ref, testenv.Platforms(b, sevenPlatforms...)...)
	cmd := []string{"--strict-cpu", "--parallel", "7", ref, "--", "sh", "-c", "echo hi"}
	runTestBench(b, cmd...) // warm: pulls every entry

	var slowest, matrix, startup time.Duration
	var slowestPlatform string
	for b.Loop() {
		slowest, matrix, startup = 0, 0, 0
		for _, p := range sevenPlatforms {
			r, _ := runTestBench(b, append([]string{"--platform", p}, cmd...)...)
			if d := seconds(r.Cells[0].DurationSeconds); d > slowest {
				slowest, slowestPlatform = d, p
			}
		}
		r, wall := runTestBench(b, cmd...)
		matrix = seconds(r.DurationSeconds)
		startup = wall - matrix
	}
	ratio := matrix.Seconds() / slowest.Seconds()
	b.ReportMetric(matrix.Seconds(), "matrix_s")
	b.ReportMetric(slowest.Seconds(), "slowest_cell_s")
	b.ReportMetric(startup.Seconds(), "startup_s")
	b.ReportMetric(ratio, "matrix/slowest")
	verdict := "met"
	if ratio > 1.5 {
		verdict = "MISSED"
	}
	b.Logf("7-platform matrix %v, slowest cell alone %v (%s), start-up %v: ratio %.2f (target <= 1.5: %s)",
		matrix, slowest, slowestPlatform, startup, ratio, verdict)
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
