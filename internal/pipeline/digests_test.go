package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

func digestOf(c byte) string { return "sha256:" + strings.Repeat(string(c), 64) }

func writeShard(t *testing.T, dir, repo, p string, c byte) {
	t.Helper()
	pl, err := platform.Parse(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := WriteDigestFile(dir, DigestFile{Version: 1, Repository: repo, Digest: digestOf(c), Platform: p, MediaType: "m", Size: 1}, pl); err != nil {
		t.Fatal(err)
	}
}

func TestDigestFilesRoundTripAndOrder(t *testing.T) {
	dir := t.TempDir()
	writeShard(t, dir, "reg:5000/app", "linux/arm64", 'b')
	writeShard(t, dir, "reg:5000/app", "linux/amd64", 'a')
	if err := os.WriteFile(filepath.Join(dir, "README"), []byte("ignored"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "linux_arm64.json")); err != nil {
		t.Fatalf("file name: %v", err)
	}
	shards, err := ReadDigestDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := platform.ParseList("linux/arm64,linux/amd64")
	got, err := CheckShards(shards, "reg:5000/app:1", want)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Platform != "linux/arm64" || got[1].Ref() != "reg:5000/app@"+digestOf('a') {
		t.Errorf("shards %+v", got)
	}
}

func TestDigestFilesRefused(t *testing.T) {
	bad := map[string]struct{ content, want string }{
		"not json":      {`{"version":1,`, "not the JSON of a digest file"},
		"trailing data": {`{"version":1,"repository":"r.io/a","digest":"` + digestOf('a') + `","platform":"linux/amd64"} {"version":1}`, "more after its object"},
		"unknown field": {`{"version":1,"repository":"r.io/a","digest":"` + digestOf('a') + `","platform":"linux/amd64","arch":"x"}`, `unknown field "arch"`},
		"bad digest":    {`{"version":1,"repository":"r.io/a","digest":"sha256:abc","platform":"linux/amd64"}`, `digest "sha256:abc" is not sha256:`},
		"tagged repo":   {`{"version":1,"repository":"r.io/a:1","digest":"` + digestOf('a') + `","platform":"linux/amd64"}`, `repository "r.io/a:1" is not REGISTRY/REPOSITORY`},
		"no platform":   {`{"version":1,"repository":"r.io/a","digest":"` + digestOf('a') + `"}`, "no platform"},
		"bad platform":  {`{"version":1,"repository":"r.io/a","digest":"` + digestOf('a') + `","platform":"linux/vax"}`, "vax"},
		"no size":       {`{"version":1,"repository":"r.io/a","digest":"` + digestOf('a') + `","platform":"linux/amd64","media_type":"application/vnd.oci.image.manifest.v1+json"}`, "no media_type or size"},
		"version":       {`{"version":2,"repository":"r.io/a","digest":"` + digestOf('a') + `","platform":"linux/amd64"}`, "version 2"},
	}
	for name, c := range bad {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "x.json"), []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadDigestDir(dir)
			var de *DigestFileError
			if !errors.As(err, &de) || !errors.Is(err, ErrBadDigestFile) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "x.json") {
				t.Errorf("want a *DigestFileError naming x.json and %q, got %v", c.want, err)
			}
		})
	}
	if _, err := ReadDigestDir(t.TempDir()); !errors.Is(err, ErrNoDigestFiles) {
		t.Errorf("empty dir: %v", err)
	}
}

func TestCheckShardsRefuses(t *testing.T) {
	both, _ := platform.ParseList("linux/amd64,linux/arm64")
	cases := map[string]struct {
		files    func(dir string)
		expected []platform.Platform
		want     []string
	}{
		"duplicate platform": {func(dir string) {
			writeShard(t, dir, "r.io/a", "linux/amd64", 'a')
			writeShard(t, filepath.Join(dir, "sub"), "r.io/a", "linux/amd64", 'b')
			mustRename(t, filepath.Join(dir, "sub", "linux_amd64.json"), filepath.Join(dir, "again.json"))
		}, nil, []string{"linux/amd64 is in 2 files (again.json, linux_amd64.json)"}},
		"same image twice": {func(dir string) {
			writeShard(t, dir, "r.io/a", "linux/amd64", 'a')
			writeShard(t, dir, "r.io/a", "linux/arm64", 'a')
		}, nil, []string{"image " + digestOf('a') + " is in 2 files"}},
		"missing": {func(dir string) { writeShard(t, dir, "r.io/a", "linux/amd64", 'a') }, both,
			[]string{"missing: linux/arm64", "expected: linux/amd64, linux/arm64"}},
		"unexpected": {func(dir string) {
			writeShard(t, dir, "r.io/a", "linux/amd64", 'a')
			writeShard(t, dir, "r.io/a", "linux/arm64", 'b')
			writeShard(t, dir, "r.io/a", "linux/s390x", 'c')
		}, both, []string{"not expected: linux/s390x"}},
		"other repository": {func(dir string) { writeShard(t, dir, "r.io/b", "linux/amd64", 'a') }, nil,
			[]string{"linux_amd64.json names r.io/b, not r.io/a"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c.files(dir)
			shards, err := ReadDigestDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			_, err = CheckShards(shards, "r.io/a:1", c.expected)
			var se *ShardSetError
			if !errors.As(err, &se) {
				t.Fatalf("want a *ShardSetError, got %v", err)
			}
			for _, w := range append(c.want, "nothing was merged or tagged") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}

func mustRename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}
