package app

import (
	"context"
	"errors"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func TestBinfmtLsWorksProbe(t *testing.T) {
	dir := testenv.FixtureBinfmtDir(t)
	probed := map[string]bool{}
	works := func(_ context.Context, p platform.Platform) (bool, error) {
		probed[p.String()] = true
		if p.Arch == "s390x" {
			return false, errors.New("exec format error")
		}
		return true, nil
	}
	doc, err := BinfmtList(context.Background(), BinfmtListOptions{BinfmtOptions: BinfmtOptions{Dir: dir}, Works: works})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range doc.Entries {
		switch e.Name {
		case "qemu-arm":
			if e.Works == nil || !*e.Works {
				t.Errorf("qemu-arm works = %v", e.Works)
			}
		case "qemu-s390x":
			if e.Works == nil || *e.Works || e.WorksError == "" {
				t.Errorf("qemu-s390x works = %v %q", e.Works, e.WorksError)
			}
		case "qemu-ppc64le", "jar", "qemu-sparc64": // disabled or unknown: not probed
			if e.Works != nil {
				t.Errorf("%s was probed", e.Name)
			}
		}
	}
	if probed["linux/ppc64le"] {
		t.Error("a disabled entry was probed")
	}
}
