package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// distroReport is the part of `verify --json` the real-distribution tests
// read.
type distroReport struct {
	OK      bool `json:"ok"`
	Entries []struct {
		Platform string `json:"platform"`
		Status   string `json:"status"`
		ELFCount int    `json:"elf_count"`
		Files    []struct {
			Path     string `json:"path"`
			Problems []struct {
				Kind, Severity, Message string
			} `json:"problems"`
		} `json:"files"`
	} `json:"entries"`
	Violations []struct {
		Platform, Path, Kind, Message string
	} `json:"violations"`
}

// TestVerifyCLIRealDistributions: Debian bookworm root filesystems of
// every architecture of the table (scripts/make-rootfs.sh), each pushed as
// a single-layer image of its platform, verify with zero violations. Their
// crypto and compression libraries carry code for newer CPUs chosen at run
// time; those are notes, and the same distributions pushed under the
// wrong platform or a lower level still fail.
func TestVerifyCLIRealDistributions(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes ~450 MB of Debian root filesystems")
	}
	reg := testenv.StartRegistry(t)
	good := reg.Ref("distro/bookworm", "latest")
	testenv.PushRootfsIndex(t, good, testenv.RootfsFixtures...)
	var all []string
	for _, f := range testenv.RootfsFixtures {
		all = append(all, f.Platform)
	}
	reps, r := runJSON[[]distroReport](t, cliRun{args: []string{"verify", "--json", good, "--platform", strings.Join(all, ",")}})
	if !r.ok() || len(*reps) != 1 {
		t.Fatalf("exit %d, err = %v\n%s", r.code, r.err, r.stdout)
	}
	rep := (*reps)[0]
	for _, v := range rep.Violations {
		t.Errorf("false alarm: %s", v.Message)
	}
	if !rep.OK || len(rep.Entries) != len(all) {
		t.Fatalf("ok %v, %d entries, want %d", rep.OK, len(rep.Entries), len(all))
	}
	dispatch := map[string]int{}
	for _, e := range rep.Entries {
		if e.Status != "ok" || e.ELFCount < 100 {
			t.Errorf("%s: status %s, %d ELF files: not a whole distribution", e.Platform, e.Status, e.ELFCount)
		}
		for _, f := range e.Files {
			for _, p := range f.Problems {
				if strings.Contains(p.Message, "may dispatch at run time") {
					dispatch[e.Platform]++
					t.Logf("%s: %s %s", e.Platform, f.Path, p.Message)
				}
			}
		}
	}
	// The libraries that made verify fail these systems before: their
	// level is above the variant and they are notes now.
	for _, p := range []string{"linux/arm/v5", "linux/arm/v7"} {
		if dispatch[p] == 0 {
			t.Errorf("%s: no library noted as dispatching at run time; the fixture no longer exercises the rule", p)
		}
	}
}

// TestVerifyCLIRealDistributionsWrongPlatform: real distributions under
// the wrong platform or variant fail, the level rule naming executables.
func TestVerifyCLIRealDistributionsWrongPlatform(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes Debian root filesystems")
	}
	reg := testenv.StartRegistry(t)
	for _, c := range []struct {
		fixture testenv.RootfsFixture
		kind    string
		want    string // a substring of one violation
	}{
		// Debian's armhf is ARMv7: under arm/v6 its executables are too new.
		{testenv.RootfsFixture{Platform: "linux/arm/v6", DebianArch: "armhf"}, "arm_level", "linux/arm/v6: /usr/bin/bash is ELF 32-bit ARM (ARMv7), newer than linux/arm/v6 allows"},
		{testenv.RootfsFixture{Platform: "linux/arm64", DebianArch: "amd64"}, "machine", "linux/arm64: /usr/bin/bash is ELF x86-64"},
		{testenv.RootfsFixture{Platform: "linux/arm/v7", DebianArch: "armel"}, "interpreter", "linux/arm/v7: /usr/bin/bash asks for loader /lib/ld-linux.so.3"},
	} {
		t.Run(fmt.Sprintf("%s as %s", c.fixture.DebianArch, c.fixture.Platform), func(t *testing.T) {
			ref := reg.Ref("distro/wrong-"+c.fixture.DebianArch, "latest")
			testenv.PushRootfsIndex(t, ref, c.fixture)
			reps, r := runJSON[[]distroReport](t, cliRun{args: []string{"verify", "--json", ref}})
			if !r.failed() || !errors.Is(r.err, ErrChecksFailed) {
				t.Fatalf("exit %d, err = %v", r.code, r.err)
			}
			found := false
			for _, v := range (*reps)[0].Violations {
				found = found || v.Kind == c.kind && strings.Contains(v.Message, c.want)
			}
			if !found {
				t.Errorf("no %s violation %q among %d", c.kind, c.want, len((*reps)[0].Violations))
			}
		})
	}
}

// TestBuildFromDebianWithAptE2E: a Dockerfile FROM a real, configured
// Debian base (the armhf-minbase fixture) that runs apt-get under QEMU builds,
// passes its test on the oldest CPUs (--strict-cpu) and verifies. It
// needs Debian's archive (deb.debian.org) from inside RUN.
func TestBuildFromDebianWithAptE2E(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads from Debian's archive under QEMU")
	}
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	base := reg.Ref("debian", "bookworm")
	testenv.PushRootfsIndex(t, base, testenv.RootfsFixture{Platform: "linux/arm/v7", DebianArch: "armhf-minbase"})
	dir := writeContext(t, "ARG BASE\nFROM $BASE\n"+
		"RUN apt-get update && apt-get install -y --no-install-recommends hello && rm -rf /var/lib/apt/lists/*\n")
	tag := reg.Ref("hello-apt", "latest")
	ps := "linux/arm/v7"
	r := runCLI(t, cliRun{logStdout: true, args: []string{"build", dir, "--platform", ps, "--build-arg", "BASE=" + base,
		"--progress", "plain", "--push", "-t", tag, "--test", "hello", "--strict-cpu"}})
	if !r.ok() {
		t.Fatalf("build: %v\n%s", r.err, r.stderr)
	}
	for _, want := range []string{"PASS: 1 of 1", "cortex-a8", "pushed: " + tag} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("build output lacks %q", want)
		}
	}
	r = runArgs(t, "verify", tag, "--platform", ps)
	if !r.ok() || !strings.Contains(r.stdout, "verified: every platform holds its own architecture") {
		t.Fatalf("verify: exit %d, %v\n%s", r.code, r.err, r.stdout)
	}
}
