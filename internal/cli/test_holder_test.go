package cli

import (
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// suicideSource dies of SIGTERM, as a program dies of a fatal signal.
const suicideSource = `package main

import (
	"os"
	"syscall"
	"time"
)

var platform string

func main() {
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	time.Sleep(time.Minute)
}
`

// TestSignalWithoutSleepE2E: in an image with no sleep (one static
// binary FROM scratch), a process that dies of a signal under QEMU is
// reported as killed by that signal at once. Were it the container's
// PID 1, QEMU would wait forever for the signal it sends itself; the
// native holder is PID 1 instead.
func TestSignalWithoutSleepE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ref := reg.Ref("suicide", "1")
	var es []testenv.Entry
	for _, p := range testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/s390x") {
		es = append(es, testenv.GoEntry(p, testenv.GoBuild(t, p, suicideSource)))
	}
	testenv.PushScratchIndex(t, ref, es...)

	start := time.Now()
	r, res := runTestJSON(t, "--strict-cpu", "--cell-timeout", "30s", ref, "--", testenv.AppPath)
	if !res.failed() || r.Failed != 3 {
		t.Fatalf("want 3 failed cells and exit 1, got exit %d, %v %s %+v", res.code, res.err, res.stderr, r)
	}
	for _, c := range r.Cells {
		if c.Command.Signal != "SIGTERM" || c.Error != "" || c.Uname.Status != status.Skip {
			t.Errorf("%s: want the command killed by SIGTERM and uname skipped (no uname): %+v", c.Platform, c)
		}
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the matrix took %v: a signal under QEMU hung until the cell timeout", d)
	}
}

// TestHolderImageOwnsDotMultiarchE2E: an image with its own /.multiarch
// (a file on amd64, a directory on arm64) is tested as it is: the native
// holder, mounted there, would hide the directory and cannot be mounted
// over the file, so such an image is held by its sleep.
func TestHolderImageOwnsDotMultiarchE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ref := reg.Ref("dotmultiarch", "1")
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	file, dir := testenv.BusyboxEntry(t, ps[0]), testenv.BusyboxEntry(t, ps[1])
	file.Files = append(file.Files, testenv.File{Path: "/.multiarch", Body: []byte("mine"), Mode: 0o644})
	dir.Files = append(dir.Files, testenv.File{Path: "/.multiarch", Dir: true}, testenv.File{Path: "/.multiarch/mine", Body: []byte("mine"), Mode: 0o644})
	testenv.PushScratchIndex(t, ref, file, dir)

	r, res := runTestJSON(t, "--cell-timeout", "30s", ref, "--",
		"sh", "-c", `test "$(cat /.multiarch/mine 2>/dev/null || cat /.multiarch)" = mine`)
	if !res.ok() || r.Failed != 0 || len(r.Cells) != 2 {
		t.Fatalf("want both cells to pass, seeing the image's own /.multiarch: %v %s %+v", res.err, res.stderr, r)
	}
}
