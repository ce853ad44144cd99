package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// Bounds of the daemon-fault tests (issue 10, item 8): a build whose
// buildkitd is killed fails within lostBound of the kill; every command
// on a stopped buildkitd fails within hungBound (one probe's deadline,
// builder.ProbeTimeout, or less); down stops it within downBound.
const (
	lostBound = 10 * time.Second
	hungBound = 15 * time.Second
	downBound = embedded.StopGrace + 10*time.Second
)

// TestBuilderKilledMidBuildE2E: buildkitd killed with SIGKILL while a RUN
// step runs. The build fails at once with a message naming the builder,
// its pid and what to do, not a raw gRPC EOF, and pushes nothing; the RUN
// container and the overlay mounts it leaves are the embedded builder's
// own (its runc root, its state dir), and `builder up` cleans them, says
// so, and the next build succeeds.
func TestBuilderKilledMidBuildE2E(t *testing.T) {
	requireBuildkitd(t)
	state, sock := embeddedEnv(t)
	reg := testenv.StartRegistry(t)
	t.Cleanup(func() { stopEmbeddedCLI(t, state, sock) })
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, "linux/amd64")...)
	if r := runArgs(t, "builder", "up"); !r.ok() {
		t.Fatalf("up: %v", r.err)
	}
	pid := runningPID(t, state, sock)

	token := fmt.Sprintf("killed-mid-build-%d", time.Now().UnixNano())
	tag := reg.Ref("app", "killed")
	dir := writeContext(t, "FROM "+base+"\nRUN sleep 30; echo "+token+"\n")
	done := make(chan cliResult, 1)
	go func() {
		done <- runCLI(t, cliRun{args: []string{"build", dir, "--platform", "linux/amd64", "-t", tag, "--push", "--progress", "plain"}})
	}()
	runPID := waitProcess(t, token, 60*time.Second)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	var r cliResult
	select {
	case r = <-done:
	case <-time.After(lostBound):
		t.Fatalf("build still runs %v after its buildkitd was killed", lostBound)
	}
	t.Logf("build failed %v after the kill:\n%s", time.Since(killed).Round(time.Millisecond), r.message())
	requireFailureSays(t, "build on a killed buildkitd", r,
		"the builder at unix://"+sock+" stopped answering during the build",
		fmt.Sprintf("buildkitd (pid %d) stopped", pid), "nothing exported",
		"`multiarch builder up` restarts it", filepath.Join(state, "buildkitd.log"))
	if tagExists(t, tag) {
		t.Errorf("%s was pushed by a build whose builder died", tag)
	}

	// What the kill left is the embedded builder's own.
	ids := leftoverContainers(t, state)
	if len(ids) == 0 {
		t.Fatalf("no container left in %s: the RUN step ran elsewhere", filepath.Join(state, "runc"))
	}
	for _, id := range ids {
		if _, err := os.Stat(filepath.Join("/run/runc", id)); err == nil {
			t.Errorf("container %s is in the shared /run/runc", id)
		}
	}
	if len(mountsUnder(t, state)) == 0 {
		t.Errorf("no overlay mount left under %s by the killed RUN step", state)
	}

	r = runCLI(t, cliRun{args: []string{"builder", "up"}, logStdout: true})
	if !r.ok() || !strings.Contains(r.stdout, fmt.Sprintf("cleaned %d leftover container(s)", len(ids))) ||
		!strings.Contains(r.stdout, "from a previous daemon") || !strings.Contains(r.stdout, "builder started") {
		t.Fatalf("up after the kill: %v\n%s", r.err, r.stdout)
	}
	if ids := leftoverContainers(t, state); len(ids) != 0 {
		t.Errorf("containers left after up: %v", ids)
	}
	if ms := mountsUnder(t, state); len(ms) != 0 {
		t.Errorf("mounts left after up: %v", ms)
	}
	if !processGone(runPID, 5*time.Second) {
		t.Errorf("the RUN step's process %d still runs after up", runPID)
	}

	tag = reg.Ref("app", "after")
	r = runArgs(t, "build", writeContext(t, "FROM "+base+"\nRUN echo ok > /ok\n"), "--platform", "linux/amd64", "-t", tag, "--push", "--progress", "quiet")
	if !r.ok() || !tagExists(t, tag) {
		t.Fatalf("build after up: %v\n%s", r.err, r.stderr)
	}
}

// TestBuilderStoppedE2E: a SIGSTOPped buildkitd accepts connections and
// never answers. status and build fail within hungBound, saying that pid
// N runs but does not answer and what to do; down stops it.
func TestBuilderStoppedE2E(t *testing.T) {
	requireBuildkitd(t)
	state, sock := embeddedEnv(t)
	if r := runArgs(t, "builder", "up"); !r.ok() {
		t.Fatalf("up: %v", r.err)
	}
	pid := runningPID(t, state, sock)
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGCONT)
		runCLI(t, cliRun{ctx: context.Background(), args: []string{"builder", "down"}})
	})
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	waitStopped(t, pid)
	wants := []string{fmt.Sprintf("buildkitd pid %d is running but does not answer on %s", pid, sock),
		"`multiarch builder down` then `multiarch builder up`", fmt.Sprintf("kill -CONT %d", pid)}
	for _, args := range [][]string{
		{"builder", "status"},
		{"build", scratchContext(t, "hung\n"), "--platform", "linux/amd64", "--progress", "quiet"},
		{"builder", "up"},
	} {
		start := time.Now()
		r := runCLI(t, cliRun{args: args, timeout: 2 * hungBound})
		if d := time.Since(start); d > hungBound {
			t.Errorf("%s took %v on a stopped buildkitd, bound %v", args[1], d, hungBound)
		}
		requireFailureSays(t, strings.Join(args[:2], " "), r, wants...)
		t.Logf("%s", r.stderr)
	}

	start := time.Now()
	r := runCLI(t, cliRun{args: []string{"builder", "down"}, timeout: downBound})
	if !r.ok() || !strings.Contains(r.stdout, "builder stopped") {
		t.Fatalf("down of a stopped buildkitd: %v\n%s", r.err, r.stdout)
	}
	t.Logf("down of a stopped buildkitd in %v", time.Since(start).Round(time.Millisecond))
	if !processGone(pid, 5*time.Second) {
		t.Errorf("buildkitd (pid %d) still runs after down", pid)
	}
}

// waitProcess waits up to d for a process whose command line holds token
// and returns its pid.
func waitProcess(t *testing.T, token string, d time.Duration) int {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
		for _, p := range paths {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(token)) && pid != os.Getpid() {
				return pid
			}
		}
	}
	t.Fatalf("no process with %q within %v", token, d)
	return 0
}

// leftoverContainers are the container state dirs in the embedded
// builder's runc root.
func leftoverContainers(t *testing.T, state string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(state, "runc"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range entries {
		ids = append(ids, e.Name())
	}
	return ids
}

// mountsUnder are the mount points below dir in /proc/self/mountinfo.
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			out = append(out, f[4])
		}
	}
	return out
}

// waitStopped waits until pid is in the stopped state: SIGSTOP is acted
// on only once every thread of a running process has stopped.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if i := bytes.LastIndexByte(stat, ')'); err == nil && i > 0 && i+2 < len(stat) && stat[i+2] == 'T' {
			return
		}
	}
	t.Fatalf("pid %d did not stop", pid)
}

// TestBuilderStoppedMidBuildE2E: buildkitd SIGSTOPped while a RUN step
// runs. The build's gRPC stream stays open and would wait forever; the
// build ends once the daemon has stayed stopped for the grace period,
// saying the pid does not answer and what to do, and pushes nothing.
func TestBuilderStoppedMidBuildE2E(t *testing.T) {
	requireBuildkitd(t)
	state, sock := embeddedEnv(t)
	reg := testenv.StartRegistry(t)
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, "linux/amd64")...)
	if r := runArgs(t, "builder", "up"); !r.ok() {
		t.Fatalf("up: %v", r.err)
	}
	pid := runningPID(t, state, sock)
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGCONT)
		runCLI(t, cliRun{ctx: context.Background(), args: []string{"builder", "down"}})
	})
	token := fmt.Sprintf("stopped-mid-build-%d", time.Now().UnixNano())
	tag := reg.Ref("app", "stopped")
	dir := writeContext(t, "FROM "+base+"\nRUN sleep 30; echo "+token+"\n")
	done := make(chan cliResult, 1)
	go func() {
		done <- runCLI(t, cliRun{args: []string{"build", dir, "--platform", "linux/amd64", "-t", tag, "--push", "--progress", "plain"}})
	}()
	waitProcess(t, token, 60*time.Second)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	const bound = 20 * time.Second // the 5 s grace, polling and the build's unwinding
	var r cliResult
	select {
	case r = <-done:
	case <-time.After(bound):
		t.Fatalf("build still waits %v after its buildkitd was stopped", bound)
	}
	t.Logf("build failed %v after the stop:\n%s", time.Since(stopped).Round(time.Millisecond), r.message())
	requireFailureSays(t, "build on a stopped buildkitd", r,
		fmt.Sprintf("buildkitd pid %d is running but does not answer on %s", pid, sock), "stopped",
		"multiarch builder down")
	if tagExists(t, tag) {
		t.Errorf("%s was pushed by a build whose builder was stopped", tag)
	}
	if r := runArgs(t, "builder", "down"); !r.ok() || !processGone(pid, 15*time.Second) {
		t.Fatalf("down on the stopped daemon: %v; pid %d gone: %v", r.err, pid, processGone(pid, 0))
	}
}
