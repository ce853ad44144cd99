package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestCrossCompileHintE2E: on a real builder, an emulated linux/s390x
// build of a busybox image whose RUN step only waits (`sleep 3`) gets no
// cross-compile hint, however much of the build it is; one whose RUN step
// runs a compiler does. The compiler is a stand-in `cc` (a shell loop that
// keeps the emulated CPU busy; busybox has no real compiler): the rule
// judges RUN steps by their command (see build.runCompiles for why).
func TestCrossCompileHintE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, "linux/s390x")...)

	build := func(dockerfile string, files map[string]string) string {
		dir := t.TempDir()
		files["Dockerfile"] = "ARG BASE\nFROM ${BASE}\n" + dockerfile
		for n, c := range files {
			if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		r := runArgs(t, "build", dir, "--platform", "linux/s390x", "--build-arg", "BASE="+base, "--progress", "plain")
		if !r.ok() {
			t.Fatalf("build: %v\nstderr:\n%s", r.err, r.stderr)
		}
		t.Logf("stdout:\n%s", r.stdout)
		return r.stdout
	}

	out := build("RUN sleep 3\n", map[string]string{})
	if !strings.Contains(out, "RUN steps under emulation: ") {
		t.Errorf("no emulated RUN time reported:\n%s", out)
	}
	if strings.Contains(out, "hint: ") || strings.Contains(out, "running a compiler") {
		t.Errorf("`RUN sleep 3` got a cross-compile hint:\n%s", out)
	}

	cc := "#!/bin/sh\ni=0\nwhile [ $i -lt 50000 ]; do i=$((i+1)); done\n"
	out = build("COPY cc /usr/local/bin/cc\nRUN cc -o /hello hello.c\n", map[string]string{"cc": cc})
	if !strings.Contains(out, "running a compiler") || !strings.Contains(out, "hint: most of this build compiled under emulation") {
		t.Errorf("a compiling emulated RUN got no cross-compile hint:\n%s", out)
	}
}
