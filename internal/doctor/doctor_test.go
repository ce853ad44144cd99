package doctor

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/probe"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// fakeHost is a host whose state each case sets; its probe behaves as the
// kernel would for that state (no handler → ENOEXEC, no F → ENOENT).
type fakeHost struct {
	release   string
	mounted   bool
	enabled   bool
	handlers  map[string]*handler // by QEMU arch
	emulators map[string]bool
	badCPU    bool
	// wrongEmulator makes every probe report x86_64, as a handler running
	// the wrong emulator would.
	wrongEmulator bool
	// oldEmulator: the emulators do not honour P (QEMU before 6): with P
	// the argv[0] probe sees its path, and the fixer's trial fails.
	oldEmulator bool
	// version is what the emulators' --version says; "" is 7.2.22.
	version string
}

func healthy() *fakeHost {
	h := &fakeHost{release: "6.1.0-18-amd64", mounted: true, enabled: true, handlers: map[string]*handler{}, emulators: map[string]bool{}}
	for _, a := range []string{"aarch64", "arm", "s390x"} {
		h.handlers[a] = &handler{Name: "qemu-" + a, Enabled: true, Flags: "POCF", Interpreter: "/usr/bin/qemu-" + a + "-static", Resolved: "/usr/bin/qemu-" + a + "-static", InterpreterExists: true, Static: true}
		h.emulators[a] = true
	}
	return h
}

func (h *fakeHost) KernelRelease(context.Context) (string, error) { return h.release, nil }
func (h *fakeHost) BinfmtMounted(context.Context) (bool, error)   { return h.mounted, nil }
func (h *fakeHost) BinfmtEnabled(context.Context) (bool, error)   { return h.enabled, nil }
func (h *fakeHost) Handler(_ context.Context, p platform.Platform) (*handler, error) {
	return h.handlers[p.QEMUArch], nil
}
func (h *fakeHost) Emulator(_ context.Context, p platform.Platform) string {
	if h.emulators[p.QEMUArch] {
		return "/usr/bin/" + p.EmulatorBinary()
	}
	return ""
}
func (h *fakeHost) QEMUVersion(context.Context, string) (string, error) {
	if h.version != "" {
		return h.version, nil
	}
	return "7.2.22", nil
}
func (h *fakeHost) Probe(_ context.Context, p platform.Platform, cpu string) (string, error) {
	hd := h.handlers[p.QEMUArch]
	switch {
	case hd == nil || !hd.Enabled:
		return "", &probe.Error{Kind: probe.NoHandler, Platform: p, Err: syscall.ENOEXEC}
	case !strings.Contains(hd.Flags, "F"):
		return "", &probe.Error{Kind: probe.InterpreterUnreachable, Platform: p, Err: syscall.ENOENT}
	case h.wrongEmulator:
		return "x86_64", &probe.Error{Kind: probe.WrongMachine, Platform: p, Machine: "x86_64"}
	case cpu != "" && h.badCPU:
		return "", &probe.Error{Kind: probe.Exit, Platform: p, CPU: cpu, Status: 1, Stderr: "qemu: unable to find CPU model"}
	}
	return p.UnameEmulated[0], nil
}

func (h *fakeHost) Argv0(_ context.Context, p platform.Platform) (probe.Argv0Result, error) {
	hd := h.handlers[p.QEMUArch]
	if strings.Contains(hd.Flags, "P") && !h.oldEmulator {
		return probe.Argv0Result{Platform: p, Argv0: probe.Argv0Marker, Preserved: true}, nil
	}
	return probe.Argv0Result{Platform: p, Argv0: "/probe"}, nil
}

// fixedFlags are the flags the real install and reregister give an entry
// on h: P only where the emulator honours it.
func (h *fakeHost) fixedFlags() string {
	if h.oldEmulator {
		return "CF"
	}
	return "PCF"
}

// fakeFixer changes the fake host the way the real fix would.
type fakeFixer struct {
	h     *fakeHost
	calls []string
}

func (f *fakeFixer) Mount(context.Context) (string, error) {
	f.calls = append(f.calls, "mount")
	f.h.mounted = true
	return "mounted", nil
}
func (f *fakeFixer) EnableBinfmt(context.Context) (string, error) {
	f.calls = append(f.calls, "enable-binfmt")
	f.h.enabled = true
	return "enabled", nil
}
func (f *fakeFixer) Install(_ context.Context, p platform.Platform) (string, error) {
	f.calls = append(f.calls, "install "+p.QEMUArch)
	f.h.handlers[p.QEMUArch] = &handler{Name: p.BinfmtName(), Enabled: true, Flags: f.h.fixedFlags(), Interpreter: "/usr/bin/" + p.EmulatorBinary(), InterpreterExists: true, Static: true}
	return "installed " + p.BinfmtName(), nil
}
func (f *fakeFixer) Reregister(_ context.Context, p platform.Platform) (string, error) {
	f.calls = append(f.calls, "reregister "+p.QEMUArch)
	hd := f.h.handlers[p.QEMUArch]
	if !strings.ContainsFunc(f.h.fixedFlags(), func(r rune) bool { return !strings.ContainsRune(hd.Flags, r) }) {
		return "", nil // nothing to add: the real describe says nothing
	}
	hd.Flags += f.h.fixedFlags()
	return "re-registered " + p.BinfmtName(), nil
}
func (f *fakeFixer) Enable(_ context.Context, p platform.Platform) (string, error) {
	f.calls = append(f.calls, "enable "+p.QEMUArch)
	f.h.handlers[p.QEMUArch].Enabled = true
	return "enabled " + p.BinfmtName(), nil
}

// remedyOf is c's remedy, the zero Remedy for none.
func remedyOf(c *Check) Remedy {
	if c.Remedy == nil {
		return Remedy{}
	}
	return *c.Remedy
}

func find(rep *Report, id string) *Check {
	for i := range rep.Checks {
		if rep.Checks[i].ID == id {
			return &rep.Checks[i]
		}
	}
	return nil
}

func TestDoctorChecks(t *testing.T) {
	tests := []struct {
		name      string
		platforms string // comma separated
		mutate    func(h *fakeHost)
		wantOK    bool
		id        string
		status    status.Status
		fix       string // substring of the check's plain Fix
		remedy    Remedy // the check's typed remedy, when its fix is a command of this tool
	}{
		{name: "healthy", platforms: "arm64,arm/v6,s390x", wantOK: true, id: "linux/arm/v6:strict-cpu", status: status.Pass},
		{name: "old kernel", platforms: "arm64", mutate: func(h *fakeHost) { h.release = "4.4.0-210-generic" }, id: "kernel", status: status.Fail, fix: "upgrade the kernel"},
		{name: "kernel 4.8 is enough", platforms: "arm64", mutate: func(h *fakeHost) { h.release = "4.8.0" }, wantOK: true, id: "kernel", status: status.Pass},
		{name: "not mounted", platforms: "arm64", mutate: func(h *fakeHost) { h.mounted = false }, id: "binfmt_misc", status: status.Fail, fix: "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc"},
		{name: "disabled globally", platforms: "arm64", mutate: func(h *fakeHost) { h.enabled = false }, id: "binfmt_misc", status: status.Fail, fix: "/proc/sys/fs/binfmt_misc/status"},
		{name: "no handler, emulator present", platforms: "arm64", mutate: func(h *fakeHost) { delete(h.handlers, "aarch64") }, id: "linux/arm64:handler", status: status.Fail, remedy: Remedy{Action: RemedyInstall, Platform: "linux/arm64"}},
		{name: "no handler, no emulator", platforms: "riscv64", id: "linux/riscv64:handler", status: status.Fail, remedy: Remedy{Action: RemedyAptInstall, Platform: "linux/riscv64"}},
		{name: "entry disabled", platforms: "arm64", mutate: func(h *fakeHost) { h.handlers["aarch64"].Enabled = false }, id: "linux/arm64:enabled", status: status.Fail, fix: "echo 1"},
		{name: "debian PF flags: no F is not the case, no C warns", platforms: "arm64", mutate: func(h *fakeHost) { h.handlers["aarch64"].Flags = "PF" }, wantOK: true, id: "linux/arm64:flag-C", status: status.Warn, remedy: Remedy{Action: RemedyReregisterCF}},
		{name: "no F fails and the probe proves it", platforms: "arm64", mutate: func(h *fakeHost) { h.handlers["aarch64"].Flags = "P" }, id: "linux/arm64:probe", status: status.Fail, remedy: Remedy{Action: RemedyReregisterCF}},
		{name: "no F flag check", platforms: "arm64", mutate: func(h *fakeHost) { h.handlers["aarch64"].Flags = "OC" }, id: "linux/arm64:flag-F", status: status.Fail, remedy: Remedy{Action: RemedyReregisterCF}},
		{name: "interpreter missing", platforms: "arm64", mutate: func(h *fakeHost) { h.handlers["aarch64"].InterpreterExists = false }, id: "linux/arm64:interpreter", status: status.Fail, remedy: Remedy{Action: RemedyAptInstallForce, Platform: "linux/arm64"}},
		{name: "dynamic interpreter", platforms: "arm64", mutate: func(h *fakeHost) { h.handlers["aarch64"].Static = false }, id: "linux/arm64:interpreter", status: status.Fail, remedy: Remedy{Action: RemedyAptInstallForce, Platform: "linux/arm64"}},
		{name: "wrong emulator", platforms: "arm64", mutate: func(h *fakeHost) { h.wrongEmulator = true }, id: "linux/arm64:probe", status: status.Fail, remedy: Remedy{Action: RemedyBinfmtLs, Arch: "aarch64"}},
		{name: "no P warns naming busybox", platforms: "arm64", mutate: func(h *fakeHost) { h.handlers["aarch64"].Flags = "OCF" }, wantOK: true, id: "linux/arm64:argv0", status: status.Warn, remedy: Remedy{Action: RemedyReregisterArgv0, Platform: "linux/arm64"}},
		{name: "P not honoured shifts arguments", platforms: "arm64", mutate: func(h *fakeHost) { h.oldEmulator = true }, id: "linux/arm64:argv0", status: status.Fail, remedy: Remedy{Action: RemedyInstallForce, Platform: "linux/arm64"}},
		{name: "argv0 kept", platforms: "s390x", wantOK: true, id: "linux/s390x:argv0", status: status.Pass},
		{name: "strict cpu unknown warns", platforms: "arm/v6", mutate: func(h *fakeHost) { h.badCPU = true }, wantOK: true, id: "linux/arm/v6:strict-cpu", status: status.Warn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := healthy()
			if tt.mutate != nil {
				tt.mutate(h)
			}
			d := &Doctor{host: h}
			rep, err := d.Run(context.Background(), Options{Platforms: testenv.Platforms(t, strings.Split(tt.platforms, ",")...)})
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK != tt.wantOK {
				t.Errorf("OK = %v, want %v; checks: %+v", rep.OK, tt.wantOK, rep.Checks)
			}
			c := find(rep, tt.id)
			if c == nil {
				t.Fatalf("no check %q in %+v", tt.id, rep.Checks)
			}
			if c.Status != tt.status || !strings.Contains(c.Fix, tt.fix) {
				t.Errorf("check %s = %s %q fix %q; want %s, fix containing %q", c.ID, c.Status, c.Message, c.Fix, tt.status, tt.fix)
			}
			if got := remedyOf(c); got != tt.remedy {
				t.Errorf("check %s remedy = %+v, want %+v", c.ID, got, tt.remedy)
			}
		})
	}
}

func TestDoctorFix(t *testing.T) {
	tests := []struct {
		name      string
		platforms string // comma separated
		mutate    func(h *fakeHost)
		calls     string
	}{
		{name: "mount then install", platforms: "arm64", mutate: func(h *fakeHost) { h.mounted = false; delete(h.handlers, "aarch64") }, calls: "mount,install aarch64"},
		{name: "reregister once per handler", platforms: "arm/v5,arm/v6,arm/v7", mutate: func(h *fakeHost) { h.handlers["arm"].Flags = "P" }, calls: "reregister arm"},
		{name: "missing C only", platforms: "s390x", mutate: func(h *fakeHost) { h.handlers["s390x"].Flags = "F" }, calls: "reregister s390x"},
		{name: "add P", platforms: "arm64,s390x", mutate: func(h *fakeHost) { h.handlers["aarch64"].Flags = "OCF" }, calls: "reregister aarch64"},
		{name: "enable entry", platforms: "arm64", mutate: func(h *fakeHost) { h.handlers["aarch64"].Enabled = false }, calls: "enable aarch64"},
		{name: "nothing to do", platforms: "arm64", calls: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := healthy()
			if tt.mutate != nil {
				tt.mutate(h)
			}
			f := &fakeFixer{h: h}
			d := &Doctor{host: h, fixer: f}
			rep, err := d.Run(context.Background(), Options{Platforms: testenv.Platforms(t, strings.Split(tt.platforms, ",")...), Fix: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(f.calls, ","); got != tt.calls {
				t.Errorf("fixes = %q, want %q", got, tt.calls)
			}
			if !rep.OK {
				t.Errorf("after --fix the host is not OK: %+v", rep.Checks)
			}
			for _, c := range rep.Checks {
				if c.Status != status.Pass {
					t.Errorf("after --fix: %s %s %s", c.ID, c.Status, c.Message)
				}
			}
		})
	}
}

func TestDoctorFixCannotInstallWithoutEmulator(t *testing.T) {
	h := healthy()
	f := &fakeFixer{h: h}
	rep, err := (&Doctor{host: h, fixer: f}).Run(context.Background(), Options{Platforms: testenv.Platforms(t, "riscv64"), Fix: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || len(f.calls) != 0 {
		t.Fatalf("want a failing report and no fix attempted, got OK=%v calls=%v", rep.OK, f.calls)
	}
}

// healthyReportJSON is the --json report of a healthy host checked for
// linux/arm64.
func healthyReportJSON(t *testing.T) []byte {
	t.Helper()
	rep, err := (&Doctor{host: healthy()}).Run(context.Background(), Options{Platforms: testenv.Platforms(t, "arm64")})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReportJSONShape(t *testing.T) {
	b := healthyReportJSON(t)
	var m struct {
		OK     *bool            `json:"ok"`
		Checks []map[string]any `json:"checks"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.OK == nil || !*m.OK || len(m.Checks) == 0 {
		t.Fatalf("bad shape: %s", b)
	}
	for _, c := range m.Checks {
		for _, k := range []string{"id", "status", "message"} {
			if _, ok := c[k]; !ok {
				t.Errorf("check without %q: %v", k, c)
			}
		}
	}
}

func TestParseKernel(t *testing.T) {
	tests := []struct {
		in           string
		major, minor int
		bad          bool
	}{
		{in: "6.18.44-fc-v657", major: 6, minor: 18},
		{in: "4.8.0", major: 4, minor: 8},
		{in: "5.15.0-1051-azure", major: 5, minor: 15},
		{in: "4.19+", major: 4, minor: 19},
		{in: "garbage", bad: true},
		{in: "x.1", bad: true},
		{in: "5.x", bad: true},
	}
	for _, tt := range tests {
		major, minor, err := parseKernel(tt.in)
		if (err != nil) != tt.bad || !tt.bad && (major != tt.major || minor != tt.minor) {
			t.Errorf("parseKernel(%q) = %d, %d, %v", tt.in, major, minor, err)
		}
	}
}

func TestDoctorNoEmulatorAtAll(t *testing.T) {
	h := healthy()
	h.handlers = map[string]*handler{}
	h.emulators = map[string]bool{}
	rep, err := (&Doctor{host: h}).Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := find(rep, "emulators")
	if rep.OK || c == nil || c.Status != status.Fail || remedyOf(c) != (Remedy{Action: RemedyAptInstallAll}) {
		t.Fatalf("want FAIL emulators with the install command, got OK=%v %+v", rep.OK, rep.Checks)
	}
}

// The host's own platform needs no handler: one OK check, not a FAIL
// advising a registration that binfmt install refuses.
func TestDoctorNativePlatform(t *testing.T) {
	host := platform.Host()
	rep, err := (&Doctor{host: healthy()}).Run(context.Background(), Options{Platforms: []platform.Platform{host}})
	if err != nil {
		t.Fatal(err)
	}
	c := find(rep, host.String()+":native")
	if !rep.OK || c == nil || c.Status != status.Pass || find(rep, host.String()+":handler") != nil {
		t.Errorf("native %s: OK %v, checks %+v", host, rep.OK, rep.Checks)
	}
}

// Platforms that all run natively need no emulation: binfmt_misc, even
// unmounted, is not checked (ci's doctor step on a host without it).
func TestDoctorNativeOnlyNeedsNoBinfmt(t *testing.T) {
	h := healthy()
	h.mounted = false
	host := platform.Host()
	rep, err := (&Doctor{host: h}).Run(context.Background(), Options{Platforms: []platform.Platform{host}})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK || find(rep, "binfmt_misc") != nil || find(rep, host.String()+":native") == nil {
		t.Errorf("native %s without binfmt_misc: OK %v, checks %+v", host, rep.OK, rep.Checks)
	}
}

func TestDoctorArgv0Message(t *testing.T) {
	h := healthy()
	h.handlers["s390x"].Flags = "OCF"
	rep, err := (&Doctor{host: h}).Run(context.Background(), Options{Platforms: testenv.Platforms(t, "s390x")})
	if err != nil {
		t.Fatal(err)
	}
	c := find(rep, "linux/s390x:argv0")
	for _, want := range []string{"lacks the P (preserve-argv0) flag", `"/probe"`, "busybox-style multi-call binaries", "sh -c 'cat FILE'"} {
		if c == nil || !strings.Contains(c.Message, want) {
			t.Errorf("argv0 check %+v: message lacks %q", c, want)
		}
	}
}

// TestDoctorStrict: under Strict a warning (here argv[0] lost) fails the
// host; without it the host is ready with the warning.
func TestDoctorStrict(t *testing.T) {
	for _, strict := range []bool{false, true} {
		h := healthy()
		h.handlers["aarch64"].Flags = "OCF"
		rep, err := (&Doctor{host: h}).Run(context.Background(), Options{Platforms: testenv.Platforms(t, "arm64"), Strict: strict})
		if err != nil {
			t.Fatal(err)
		}
		want := status.Warn
		if strict {
			want = status.Fail
		}
		if c := find(rep, "linux/arm64:argv0"); c == nil || c.Status != want || rep.OK == strict {
			t.Errorf("strict %v: check %+v, OK %v; want %s", strict, c, rep.OK, want)
		}
	}
}

// TestDoctorFixOldEmulatorKeepsWarning: when the trial shows the emulator
// does not honour P, reregister adds nothing, the warning stays, and the
// fix is not retried.
func TestDoctorFixOldEmulatorKeepsWarning(t *testing.T) {
	h := healthy()
	h.oldEmulator = true
	h.handlers["aarch64"].Flags = "OCF"
	f := &fakeFixer{h: h}
	rep, err := (&Doctor{host: h, fixer: f}).Run(context.Background(), Options{Platforms: testenv.Platforms(t, "arm64"), Fix: true})
	if err != nil {
		t.Fatal(err)
	}
	if c := find(rep, "linux/arm64:argv0"); c == nil || c.Status != status.Warn || strings.Join(f.calls, ",") != "reregister aarch64" {
		t.Errorf("check %+v, calls %q; want a warning and one reregister", c, f.calls)
	}
}
