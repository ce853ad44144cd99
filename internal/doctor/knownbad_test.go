package doctor

import (
	"context"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/status"
)

// TestKnownBadListParses: the shipped list loads, and every entry cites a
// report (the loader refuses entries without one).
func TestKnownBadListParses(t *testing.T) {
	list, err := knownBadList()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) == 0 {
		t.Fatal("the shipped known-bad list is empty")
	}
	for _, e := range list {
		if len(e.Reports) == 0 {
			t.Errorf("%s: no report", e.ID)
		}
	}
}

func TestKnownBadListRefuses(t *testing.T) {
	entry := func(mut string) string {
		fields := map[string]string{
			"id": `"x"`, "arches": `["aarch64"]`, "affected": `[{"from":"8.1.1","before":"9.2.2"}]`,
			"symptom": `"s"`, "fix": `"f"`, "reports": `["https://gitlab.com/qemu-project/qemu/-/issues/1"]`,
		}
		k, v, _ := strings.Cut(mut, "=")
		if k != "" {
			fields[k] = v
		}
		var parts []string
		for k, v := range fields {
			if v != "" {
				parts = append(parts, `"`+k+`":`+v)
			}
		}
		return `{"entries":[{` + strings.Join(parts, ",") + `}]}`
	}
	if _, err := parseKnownBad([]byte(entry(""))); err != nil {
		t.Fatalf("a well-formed entry is refused: %v", err)
	}
	for _, mut := range []string{
		"reports=",                             // no source
		"reports=[]",                           // no source
		`reports=["http://gitlab.com/x"]`,      // not https
		`reports=["https://example.com/blog"]`, // not an upstream tracker
		"arches=[]",                            // no emulator
		`arches=["vax"]`,                       // not in the platform table
		"affected=[]",                          // no versions
		`affected=[{"from":"9.0","before":"8.0"}]`, // empty range
		`affected=[{"before":"eight"}]`,            // not a version
		`fixed_packages=["nodash"]`,                // not a package version
		`bogus="field"`,                            // unknown field: a typo is not silently ignored
		"symptom=",                                 // nothing to tell the user
	} {
		if _, err := parseKnownBad([]byte(entry(mut))); err == nil {
			t.Errorf("%s: accepted", mut)
		}
	}
}

// TestKnownBadMatches: fake versions inside and outside the cited ranges,
// and this host's real QEMU (Debian 7.2), which no entry covers.
func TestKnownBadMatches(t *testing.T) {
	list, err := knownBadList()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		arch, version string
		want          string // entry id, "" for none
	}{
		{"aarch64", "7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", ""}, // this host
		{"arm", "7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", ""},
		{"s390x", "7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", ""},
		{"aarch64", "8.0.4 (Debian 1:8.0.4+dfsg-1ubuntu3)", ""},
		{"aarch64", "8.1.0", ""},
		{"aarch64", "8.1.1", "qemu-gitlab-1913"},
		{"aarch64", "8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)", "qemu-gitlab-1913"},
		{"aarch64", "8.2.2 (Debian 1:8.2.2+ds-0ubuntu1.6)", "qemu-gitlab-1913"},
		{"aarch64", "8.2.2 (Debian 1:8.2.2+ds-0ubuntu1.7)", ""},  // Ubuntu's backport
		{"aarch64", "8.2.2 (Debian 1:8.2.2+ds-0ubuntu1.12)", ""}, // numeric, not lexical
		{"aarch64", "8.2.10", ""},
		{"aarch64", "9.1.3", "qemu-gitlab-1913"},
		{"aarch64", "9.2.0", "qemu-gitlab-1913"},
		{"aarch64", "9.2.2", ""},
		{"aarch64", "10.0.0", ""},
		{"s390x", "9.2.0", ""}, // another emulator
		{"aarch64", "4.2.1 (Debian 1:4.2-3ubuntu6.18)", "launchpad-1749393"},
		{"arm", "2.11.1", "launchpad-1749393"},
		{"aarch64", "5.0.0", ""},
		{"aarch64", "5.2.0 (Debian 1:5.2+dfsg-11+deb11u2)", "debian-988174"},
		{"aarch64", "6.0", ""},
		{"aarch64", "not a version", ""},
	}
	for _, tt := range tests {
		got := knownBadFor(list, tt.arch, tt.version)
		var ids []string
		for _, e := range got {
			ids = append(ids, e.ID)
		}
		if strings.Join(ids, ",") != tt.want {
			t.Errorf("%s %q: got %v, want %q", tt.arch, tt.version, ids, tt.want)
		}
	}
}

func TestDebianCompare(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"0ubuntu1.7", "0ubuntu1.7", 0},
		{"0ubuntu1.6", "0ubuntu1.7", -1},
		{"0ubuntu1.12", "0ubuntu1.7", 1},
		{"1~bpo1", "1", -1},
		{"1", "1a", -1},
		{"1a", "1+", -1},
		{"007", "7", 0},
		{"99999999999999999999999", "99999999999999999999998", 1},
	} {
		if got := debianCompare(tt.a, tt.b); got != tt.want {
			t.Errorf("debianCompare(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// TestDoctorKnownBadQEMU: a known-bad emulator is a WARN naming the
// report and the fix, a FAIL under Strict; a good one passes.
func TestDoctorKnownBadQEMU(t *testing.T) {
	arm64, err := platform.Parse("linux/arm64")
	if err != nil {
		t.Fatal(err)
	}
	run := func(version string, strict bool) *Check {
		h := healthy()
		h.version = version
		d := &Doctor{host: h, fixer: &fakeFixer{h: h}}
		rep, err := d.Run(context.Background(), Options{Platforms: []platform.Platform{arm64}, Strict: strict})
		if err != nil {
			t.Fatal(err)
		}
		c := find(rep, "linux/arm64:qemu-version")
		if c == nil {
			t.Fatalf("no qemu-version check: %+v", rep.Checks)
		}
		return c
	}
	c := run("9.2.0", false)
	if c.Status != status.Warn || !strings.Contains(c.Message, "https://gitlab.com/qemu-project/qemu/-/issues/1913") ||
		!strings.Contains(c.Message, "ldconfig") || !strings.Contains(c.Fix, "9.2.2") {
		t.Errorf("9.2.0: %+v", c)
	}
	if c := run("9.2.0", true); c.Status != status.Fail {
		t.Errorf("9.2.0 under Strict: %s, want fail", c.Status)
	}
	if c := run("7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", true); c.Status != status.Pass {
		t.Errorf("7.2.22: %+v", c)
	}
}

// FuzzParseKnownBad: the loader of the list never panics, and whatever
// it accepts has a report on every entry.
func FuzzParseKnownBad(f *testing.F) {
	f.Add(knownBadJSON)
	f.Add([]byte(`{"entries":[]}`))
	f.Add([]byte(`{"entries":[{"id":"x","arches":["arm"],"affected":[{"before":"1.0"}],"symptom":"s","fix":"f","reports":["https://bugs.debian.org/1"],"fixed_packages":["1:1.0-1~"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := parseKnownBad(data)
		if err != nil {
			return
		}
		for _, e := range list {
			if len(e.Reports) == 0 {
				t.Fatalf("accepted an entry without a report: %+v", e)
			}
			for _, a := range e.Arches {
				e.matches(a, qemuVersion{Upstream: [3]int{9, 2, 0}, Package: "1:9.2.0-1"})
			}
		}
	})
}
