package pipeline

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/gitmeta"
)

func TestWithGit(t *testing.T) {
	yes := true
	m := &gitmeta.Meta{Tags: []string{"1.2.3", "latest"}, Version: "1.2.3", Labels: map[string]string{gitmeta.LabelVersion: "1.2.3"}}
	file, err := ParseYAML("f", []byte("tags_from_git: true\nplatforms: [linux/amd64]\n"))
	if err != nil || !file.GitTags() {
		t.Fatalf("tags_from_git: %v %+v", err, file)
	}
	c := Merge(file, Config{Image: "reg:5000/app", Tags: []string{"stable", "ghcr.io/o/app:x", "ghcr.io/o/app@sha256:" + strings.Repeat("a", 64), "reg:5000/app:latest"}})
	if !c.GitTags() {
		t.Fatal("Merge dropped tags_from_git")
	}
	p, err := c.WithGit(m)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"reg:5000/app:stable", "ghcr.io/o/app:x", "ghcr.io/o/app@sha256:" + strings.Repeat("a", 64), "reg:5000/app:latest",
		"reg:5000/app:1.2.3", "ghcr.io/o/app:1.2.3", "ghcr.io/o/app:latest"}
	if !slices.Equal(p.Tags, want) {
		t.Errorf("tags\n%q\nwant\n%q", p.Tags, want)
	}
	if p.Labels[gitmeta.LabelVersion] != "1.2.3" || p.Annotations[gitmeta.LabelVersion] != "1.2.3" || p.Git != m {
		t.Errorf("plan %+v", p)
	}
	_, err = Config{TagsFromGit: &yes, Platforms: []string{"linux/amd64"}}.WithGit(m)
	if !errors.Is(err, ErrNoImage) || !errors.Is(err, ErrNoRepository) {
		t.Errorf("no repository: %v", err)
	}
}

func TestOutputs(t *testing.T) {
	s := &Summary{Passed: true, Digest: "sha256:ab", Pushed: "r/app@sha256:ab", Platforms: []string{"linux/amd64", "linux/arm64"},
		TagsWritten: []string{"r/app:1", "r/app:latest"}}
	o := NewOutputs(s, Plan{Labels: map[string]string{"k": "v"}, Git: &gitmeta.Meta{Version: "1"}})
	var b strings.Builder
	if err := WriteGitHubOutput(&b, o); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^digest<<(ghadelimiter_[0-9a-f]{32})\nsha256:ab\n(ghadelimiter_[0-9a-f]{32})\ntags<<(\S+)\nr/app:1\nr/app:latest\n(\S+)\nplatforms<<\S+\nlinux/amd64,linux/arm64\n\S+\nmetadata<<\S+\n\{.*"version":"1","labels":\{"k":"v"\}\}\n\S+\n$`)
	m := re.FindStringSubmatch(b.String())
	if m == nil || m[1] != m[2] || m[3] != m[4] || m[1] == m[3] {
		t.Fatalf("GITHUB_OUTPUT content:\n%s", b.String())
	}
	b.Reset()
	if err := WriteDotenv(&b, o); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "MULTIARCH_DIGEST=sha256:ab\nMULTIARCH_IMAGE=r/app@sha256:ab\nMULTIARCH_TAGS=r/app:1,r/app:latest\nMULTIARCH_PLATFORMS=linux/amd64,linux/arm64\nMULTIARCH_VERSION=1\nMULTIARCH_METADATA={") {
		t.Errorf("dotenv:\n%s", b.String())
	}
	o.Digest = "x\ny"
	if err := WriteDotenv(&strings.Builder{}, o); err == nil {
		t.Error("a multi-line dotenv value was written")
	}
}
