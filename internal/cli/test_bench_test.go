package cli

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// runTestBench runs `multiarch test --json args...` in-process and returns
// the report and the command's whole wall time.
func runTestBench(b *testing.B, args ...string) (*imagetest.Report, time.Duration) {
	b.Helper()
	start := time.Now()
	r, res := runTestJSON(b, args...)
	d := time.Since(start)
	if !res.ok() || !r.Passed {
		b.Fatalf("test %v: exit %d, %v\n%s\n%s", args, res.code, res.err, res.stdout, res.stderr)
	}
	return r, d
}

// BenchmarkTestMatrix compares the wall time of the 7-platform test matrix
// (uname and `sh -c 'echo hi'`, --strict-cpu, every cell at once) with its
// slowest cell run alone. Target: matrix <= 1.5 x slowest cell (start-up,
// the registry inspect and the builder connection, is reported apart).
// Images are pulled once before timing, as in CI after the first run.
// Each iteration measures both; the iteration with the median ratio is
// reported.
//
// Such cells are CPU-bound (runc, QEMU, buildkitd), so the matrix cannot
// finish before the CPU it burns divided by the cores: the benchmark also
// reports that bound (machine-wide CPU time read from /proc/stat over the
// whole matrix command, against that command's wall time) and the fewest
// cores on which the target could be met with the CPU a cell costs in the
// matrix. The CPU a cell costs the builder is read apart, from the
// builder's own accounting: user+system time of buildkitd and of the
// children it reaped (runc, the containers' processes, QEMU) over the
// matrix, per cell, so other load on the machine does not count.
func BenchmarkTestMatrix(b *testing.B) {
	benchMatrix(b, true, "sh", "-c", "echo hi")
}

// BenchmarkTestMatrixWaiting is the same matrix for a test command that
// spends its time waiting rather than computing (a second of sleep, as a
// test that waits on a service would): cells overlap.
func BenchmarkTestMatrixWaiting(b *testing.B) {
	benchMatrix(b, false, "sh", "-c", "sleep 1; echo hi")
}

func benchMatrix(b *testing.B, cpuBound bool, command ...string) {
	testenv.LockHostBinfmt(b)
	addr, state := startCLINodeState(b)
	b.Setenv(builder.EnvBuildkitHost, addr)
	pid := daemonPID(b, state)
	reg := testenv.StartRegistry(b)
	ref := reg.Ref("busybox", "bench")
	testenv.PushBusyboxIndex(b, ref, testenv.Platforms(b, sevenPlatforms...)...)
	cmd := append([]string{"--strict-cpu", "--parallel", "7", ref, "--"}, command...)
	runTestBench(b, cmd...) // warm: pulls every entry

	var runs []matrixRun
	for b.Loop() {
		runs = append(runs, runMatrixBench(b, cmd, pid))
	}
	slices.SortFunc(runs, func(x, y matrixRun) int { return cmp.Compare(x.ratio(), y.ratio()) })
	runs[len(runs)/2].report(b, cpuBound)
}

// matrixRun is what one benchmark iteration measured.
type matrixRun struct {
	// matrix is the report's duration, wall the whole command's.
	matrix, startup, wall time.Duration
	// cpu is the machine's CPU time over the whole matrix command;
	// daemonCPU the builder's (buildkitd and its reaped children).
	cpu, daemonCPU time.Duration
	// alone and inMatrix are the slowest cell, run alone and in the matrix.
	alone, inMatrix time.Duration
	alonePlatform   string
}

func (m matrixRun) ratio() float64 { return m.matrix.Seconds() / m.alone.Seconds() }

func runMatrixBench(b *testing.B, cmd []string, pid int) matrixRun {
	var m matrixRun
	for _, p := range sevenPlatforms {
		r, _ := runTestBench(b, append([]string{"--platform", p}, cmd...)...)
		if d := seconds(r.Cells[0].DurationSeconds); d > m.alone {
			m.alone, m.alonePlatform = d, p
		}
	}
	cpu0, d0 := machineCPU(b), daemonCPU(b, pid)
	r, wall := runTestBench(b, cmd...)
	m.cpu, m.daemonCPU = machineCPU(b)-cpu0, daemonCPU(b, pid)-d0
	m.matrix, m.wall = seconds(r.DurationSeconds), wall
	m.startup = wall - m.matrix
	for _, c := range r.Cells {
		m.inMatrix = max(m.inMatrix, seconds(c.DurationSeconds))
	}
	return m
}

func (m matrixRun) report(b *testing.B, cpuBound bool) {
	cores := runtime.NumCPU()
	bound := m.cpu / time.Duration(cores)
	cellCPU := m.cpu / time.Duration(len(sevenPlatforms))
	b.ReportMetric(m.matrix.Seconds(), "matrix_s")
	b.ReportMetric(m.alone.Seconds(), "slowest_cell_s")
	b.ReportMetric(m.inMatrix.Seconds(), "slowest_in_matrix_s")
	b.ReportMetric(m.startup.Seconds(), "startup_s")
	b.ReportMetric(m.cpu.Seconds(), "cpu_s")
	b.ReportMetric(bound.Seconds(), "cpu_bound_s")
	b.ReportMetric(float64(cores), "cores")
	b.ReportMetric(float64(m.daemonCPU.Milliseconds())/float64(len(sevenPlatforms)), "builder_cpu_ms/cell")
	// The matrix's own bound: its slowest cell alone, or the machine's
	// CPU over the matrix spread over every core.
	own := max(m.alone, bound)
	b.ReportMetric(own.Seconds(), "own_bound_s")
	b.ReportMetric(m.matrix.Seconds()/own.Seconds(), "matrix/own_bound")
	b.ReportMetric(m.ratio(), "matrix/slowest")
	b.ReportMetric(m.wall.Seconds()/bound.Seconds(), "wall/cpu_bound")
	if cpuBound {
		b.ReportMetric(float64(coresForTarget(cellCPU, m.alone, len(sevenPlatforms))), "cores_for_target")
	}
	verdict := "met"
	if m.ratio() > 1.5 {
		verdict = "MISSED"
	}
	b.Logf("7-platform matrix %v (slowest cell in it %v), slowest cell alone %v (%s), start-up %v: ratio %.2f (target <= 1.5: %s)",
		m.matrix, m.inMatrix, m.alone, m.alonePlatform, m.startup, m.ratio(), verdict)
	b.Logf("machine CPU over the matrix command %v (%v per cell) on %d cores: its wall time %v cannot beat %v (wall/bound %.2f)",
		m.cpu, cellCPU, cores, m.wall, bound, m.wall.Seconds()/bound.Seconds())
	b.Logf("builder CPU %v (%v per cell); matrix %v vs max(slowest cell alone, machine CPU / cores) %v: %.2f (target <= 1.25)",
		m.daemonCPU, m.daemonCPU/time.Duration(len(sevenPlatforms)), m.matrix, own, m.matrix.Seconds()/own.Seconds())
}

// coresForTarget is the fewest cores on which n cells of cellCPU each can
// finish within 1.5x the slowest cell alone, when nothing but CPU limits
// them: n*cellCPU/cores <= 1.5*alone. cellCPU is what a cell costs in the
// matrix (its share of the command's CPU, start-up included).
func coresForTarget(cellCPU, alone time.Duration, n int) int {
	if alone <= 0 {
		return 0
	}
	need := float64(n) * cellCPU.Seconds() / (1.5 * alone.Seconds())
	return int(math.Ceil(need))
}

// machineCPU is the CPU time the whole machine has spent busy (all
// processes, user and system, every core) since boot, from /proc/stat.
func machineCPU(b *testing.B) time.Duration {
	b.Helper()
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Fatal(err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	if len(f) < 9 || f[0] != "cpu" {
		b.Fatalf("/proc/stat: unexpected first line %q", line)
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			b.Fatalf("/proc/stat: %v", err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// daemonPID reads the embedded builder's pid file in its state dir.
func daemonPID(b *testing.B, stateDir string) int {
	b.Helper()
	raw, err := os.ReadFile(filepath.Join(stateDir, "buildkitd.pid"))
	if err != nil {
		b.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		b.Fatalf("buildkitd.pid: %v", err)
	}
	return pid
}

// daemonCPU is the CPU time process pid has spent, user and system, its
// own and that of the children it waited for (utime, stime, cutime and
// cstime of /proc/PID/stat).
func daemonCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the command name in parentheses, from field 3 (state).
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(f) < 15 {
		b.Fatalf("/proc/%d/stat: %q", pid, raw)
	}
	var ticks int64
	for _, i := range []int{11, 12, 13, 14} { // fields 14-17
		n, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil {
			b.Fatalf("/proc/%d/stat: %v", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks
}

// clockTicks is USER_HZ, the unit of /proc/stat: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
