package app

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestParseInstallTargets(t *testing.T) {
	all, ps, err := parseInstallTargets([]string{"ALL", "linux/arm64,arm/v7"})
	if err != nil || !all || len(ps) != 2 || ps[0].String() != "linux/arm64" || ps[1].String() != "linux/arm/v7" {
		t.Errorf("all and a list: %v %v %v", all, ps, err)
	}
	if _, _, err := parseInstallTargets(nil); err == nil || !strings.Contains(err.Error(), "or all") {
		t.Errorf("nothing named: %v", err)
	}
	if _, _, err := parseInstallTargets([]string{"linux/sparc99"}); err == nil {
		t.Error("an unknown platform was accepted")
	}
}

func TestSplitTargets(t *testing.T) {
	got := splitTargets([]string{"qemu-arm, arm64", "", "s390x,"})
	if !slices.Equal(got, []string{"qemu-arm", "arm64", "s390x"}) {
		t.Errorf("got %q", got)
	}
}

// TestBinfmtDryRunWritesNothing plans on the fixture tree without
// mounting or writing, and reports the directory the plan is for.
func TestBinfmtDryRunWritesNothing(t *testing.T) {
	dir := testenv.FixtureBinfmtDir(t)
	rep, err := BinfmtUninstall(context.Background(), BinfmtUninstallOptions{BinfmtOptions: BinfmtOptions{Dir: dir}, Targets: []string{"all"}, DryRun: true})
	if err != nil || !rep.DryRun || rep.Dir != dir || len(rep.Plan.Changes) == 0 {
		t.Fatalf("dry run: %+v %v", rep, err)
	}
	if _, err := BinfmtUninstall(context.Background(), BinfmtUninstallOptions{BinfmtOptions: BinfmtOptions{Dir: dir}}); err == nil {
		t.Error("uninstall of nothing accepted")
	}
}
