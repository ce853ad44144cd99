package binfmt

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// fakeArgv0 passes the trial for the QEMU targets in keeps and fails it
// for the others, recording what it was asked.
type fakeArgv0 struct {
	keeps map[string]bool
	tried []string
}

func (f *fakeArgv0) try(ctx context.Context, r Registration, p platform.Platform) error {
	f.tried = append(f.tried, fmt.Sprintf("%s %s %s", p.QEMUArch, r.Flags.Effective(), r.Interpreter))
	if f.keeps[p.QEMUArch] {
		return nil
	}
	return errors.New("the probe saw argv[0] \"/probe\"")
}

func TestInstallAddsPOnlyWhereTheTrialPasses(t *testing.T) {
	m, _ := newFake(t, true)
	try := &fakeArgv0{keeps: map[string]bool{"aarch64": true}}
	dir := testenv.FakeQEMUDir(t, "aarch64", "s390x")
	plan, err := m.Install(context.Background(), InstallOptions{Platforms: testenv.Platforms(t, "linux/arm64", "linux/s390x"),
		QEMUDir: dir, Argv0: try.try})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"aarch64 POCF " + dir + "/qemu-aarch64-static", "s390x POCF " + dir + "/qemu-s390x-static"}
	if fmt.Sprint(try.tried) != fmt.Sprint(want) {
		t.Errorf("tried %q, want %q", try.tried, want)
	}
	for _, c := range []struct{ name, flags, warning string }{{"qemu-aarch64", "POCF", ""}, {"qemu-s390x", "OCF", "busybox-style multi-call binaries"}} {
		e, err := m.Get(context.Background(), c.name)
		if err != nil || e.Flags.String() != c.flags {
			t.Errorf("%s: %+v, %v; want flags %s", c.name, e, err, c.flags)
		}
		ch := plan.Changes[0]
		if c.name == "qemu-s390x" {
			ch = plan.Changes[1]
		}
		if c.warning == "" && ch.Warning != "" || !strings.Contains(ch.Warning, c.warning) || c.warning != "" && !strings.Contains(ch.Warning, "argv[0] \"/probe\"") {
			t.Errorf("%s: warning %q, want one containing %q and the trial's error", c.name, ch.Warning, c.warning)
		}
	}
}

func TestInstallGivenFlagsAreNotTried(t *testing.T) {
	m, _ := newFake(t, true)
	try := &fakeArgv0{keeps: map[string]bool{"aarch64": true}}
	_, err := m.Install(context.Background(), InstallOptions{Platforms: testenv.Platforms(t, "linux/arm64"),
		QEMUDir: testenv.FakeQEMUDir(t, "aarch64"), Flags: DefaultFlags, Argv0: try.try})
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := m.Get(context.Background(), "qemu-aarch64"); len(try.tried) != 0 || e.Flags.String() != "OCF" {
		t.Errorf("tried %q, flags %s; want no trial and OCF", try.tried, e.Flags)
	}
}

func TestReregisterAddsPWhereSafe(t *testing.T) {
	m, _ := newFake(t, true)
	dir := testenv.FakeQEMUDir(t, "aarch64", "s390x")
	for _, arch := range []string{"aarch64", "s390x"} {
		p, _ := platform.ByQEMUArch(arch)
		r := Registration{Name: p.BinfmtName(), Magic: p.Magic, Mask: p.Mask, Interpreter: dir + "/qemu-" + arch + "-static", Flags: DefaultFlags}
		if err := m.Register(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	try := &fakeArgv0{keeps: map[string]bool{"aarch64": true}}
	plan, err := m.Reregister(context.Background(), ReregisterOptions{Argv0: try.try})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(plan); fmt.Sprint(got) != "[qemu-aarch64 replace qemu-s390x unchanged]" {
		t.Errorf("actions %q", got)
	}
	if e, _ := m.Get(context.Background(), "qemu-aarch64"); e.Flags.String() != "POCF" {
		t.Errorf("qemu-aarch64 flags %s, want POCF", e.Flags)
	}
	if e, _ := m.Get(context.Background(), "qemu-s390x"); e.Flags.String() != "OCF" || !strings.Contains(plan.Changes[1].Warning, "flag P") {
		t.Errorf("qemu-s390x flags %s, warning %q; want OCF and a warning", e.Flags, plan.Changes[1].Warning)
	}
	// Once P is there, no trial again.
	try.tried = nil
	if _, err := m.Reregister(context.Background(), ReregisterOptions{Argv0: try.try, Platforms: testenv.Platforms(t, "linux/arm64")}); err != nil || len(try.tried) != 0 {
		t.Errorf("second run: tried %q, %v", try.tried, err)
	}
}

func TestTrialRemovesItsEntry(t *testing.T) {
	m, _ := newFake(t, true)
	p := testenv.Platforms(t, "linux/riscv64")[0]
	r := Registration{Name: TrialName(p.QEMUArch), Magic: p.Magic, Mask: p.Mask, Interpreter: "/usr/bin/qemu-riscv64-static", Flags: DefaultFlags}
	boom := errors.New("boom")
	ctx, cancel := context.WithCancel(context.Background())
	err := m.Trial(ctx, r, func(ctx context.Context) error {
		if _, err := m.Get(ctx, r.Name); err != nil {
			t.Errorf("during the trial: %v", err)
		}
		cancel() // the entry goes even when the caller gives up
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want fn's", err)
	}
	if _, err := m.Get(context.Background(), r.Name); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the trial: %v, want ErrNotFound", err)
	}
}
