package cli

import (
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// A Go binary built for a newer CPU than its entry (GOARM=7 in arm/v6,
// GOAMD64=v3 in amd64) fails `multiarch verify`, naming the file and the
// setting; the same program built at the entries' levels verifies.
func TestVerifyCLIGoLevels(t *testing.T) {
	reg := testenv.StartInProcessRegistry(t)
	ps := testenv.Platforms(t, "linux/arm/v6", "linux/amd64")
	v6, amd := ps[0], ps[1]
	bad := reg.Ref("golevel/bad", "latest")
	testenv.PushIndex(t, bad, testenv.ScratchIndex(t,
		testenv.GoEntry(v6, testenv.GoBinaryEnv(t, v6, "GOARM=7")),
		testenv.GoEntry(amd, testenv.GoBinaryEnv(t, amd, "GOAMD64=v3"))))
	good := reg.Ref("golevel/good", "latest")
	testenv.PushIndex(t, good, testenv.ScratchIndex(t,
		testenv.GoEntry(v6, testenv.GoBinaryEnv(t, v6, "GOARM=6")),
		testenv.GoEntry(amd, testenv.GoBinaryEnv(t, amd, "GOAMD64=v1"))))

	r := runArgs(t, "verify", bad)
	if !r.failed() || strings.Contains(r.stdout, "verified: every") {
		t.Fatalf("verify %s: exit %d, want failure\n%s", bad, r.code, r.stdout)
	}
	for _, want := range []string{
		"linux/arm/v6: " + testenv.AppPath + " is a Go binary built with GOARM=7, which needs ARMv7",
		"linux/amd64: " + testenv.AppPath + " is a Go binary built with GOAMD64=v3, which needs x86-64-v3",
	} {
		if !strings.Contains(r.stdout+r.message(), want) {
			t.Errorf("verify %s: output lacks %q\n%s%s", bad, want, r.stdout, r.message())
		}
	}
	type report struct {
		OK         bool `json:"ok"`
		Violations []struct{ Path, Kind string }
	}
	doc, r := runJSON[[]report](t, cliRun{args: []string{"verify", "--json", bad}})
	if !r.failed() || len(*doc) != 1 || (*doc)[0].OK || len((*doc)[0].Violations) != 2 {
		t.Fatalf("verify --json %s: exit %d\n%s", bad, r.code, r.stdout)
	}
	for _, v := range (*doc)[0].Violations {
		if v.Kind != "go_level" || v.Path != testenv.AppPath {
			t.Errorf("violation %+v, want go_level on %s", v, testenv.AppPath)
		}
	}

	r = runArgs(t, "verify", good)
	if !r.ok() || !strings.Contains(r.stdout, "verified: every platform holds its own architecture") {
		t.Errorf("verify %s: exit %d, want verified\n%s%s", good, r.code, r.stdout, r.message())
	}
	if testing.Verbose() {
		t.Logf("verify %s:\n%s", good, r.stdout)
	}
}
