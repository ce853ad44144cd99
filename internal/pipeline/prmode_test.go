package pipeline

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestPRModeResolve(t *testing.T) {
	file, err := ParseYAML("multiarch.yaml", []byte("platforms: [linux/amd64]\npush: false\noci_dir: out/layout\n"))
	if err != nil {
		t.Fatal(err)
	}
	// No tags and half the credentials: neither matters when nothing is pushed.
	p, err := Merge(file, Config{Username: "u"}).Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if !p.NoPush || p.OCIDir != "out/layout" || p.Login() || len(p.Tags) != 0 {
		t.Errorf("plan %+v", p)
	}
	// A later layer turns PR mode off; the layout directory then is refused.
	yes := true
	_, err = Merge(file, Config{Push: &yes}).Resolve()
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Source != "oci_dir" || !errors.Is(err, ErrOCIDirPushes) {
		t.Errorf("want oci_dir refused when pushing, got %v", err)
	}
	// Pushing still needs tags.
	if _, err := Merge(Config{Platforms: []string{"linux/amd64"}}).Resolve(); !errors.Is(err, ErrNoTags) {
		t.Errorf("want ErrNoTags, got %v", err)
	}
}

func TestPRModeSummary(t *testing.T) {
	s := &Summary{Passed: true, PRMode: true, Published: NotPushed, Layout: "/tmp/l", LayoutKept: true, Digest: "sha256:abc",
		Steps: []Step{{Name: "tag", Status: "skip"}}}
	var b bytes.Buffer
	if err := WriteTable(&b, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"not pushed (PR mode): nothing was logged in to, pushed or tagged", "OCI layout:       /tmp/l (index sha256:abc)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "pushed by digest") {
		t.Errorf("PR mode table says something was pushed:\n%s", b.String())
	}
	b.Reset()
	s.Layout, s.LayoutKept, s.Passed = "", false, false
	if err := WriteMarkdown(&b, s); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "**not pushed (PR mode)**") || !strings.Contains(b.String(), "none written (the run stopped before the export)") {
		t.Errorf("markdown:\n%s", b.String())
	}
	if got := matrixHeader(s, "BEFORE PUSH\tPUSHED"); got != "BEFORE EXPORT\tEXPORTED" {
		t.Errorf("header %q", got)
	}
}
