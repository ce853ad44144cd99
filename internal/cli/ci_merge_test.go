package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// writeDigestJSON writes a digest file by hand, as a forged or broken
// artifact would be.
func writeDigestJSON(t *testing.T, dir, file string, d pipeline.DigestFile) {
	t.Helper()
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func fakeDigest(c string) string { return "sha256:" + strings.Repeat(c, 64) }

// TestCIMergeRefusesInput: a bad, duplicate, missing or foreign digest
// file is refused before anything is contacted (the registry named,
// 127.0.0.1:1, answers nothing, so contacting it would be another error),
// and --digest-dir needs --push-by-digest.
func TestCIMergeRefusesInput(t *testing.T) {
	ciEnv(t)
	repo := "127.0.0.1:1/app"
	shard := func(p, c string) pipeline.DigestFile {
		return pipeline.DigestFile{Version: 1, Repository: repo, Digest: fakeDigest(c), Platform: p, MediaType: "application/vnd.oci.image.manifest.v1+json", Size: 500}
	}
	cases := map[string]struct {
		files map[string]pipeline.DigestFile
		raw   string // written as bad.json when set
		args  []string
		want  []string
	}{
		"bad digest file": {raw: `{"version":1,"repository":"` + repo + `","digest":"sha256:1234","platform":"linux/arm64"}`,
			want: []string{"digest file", "bad.json", `digest "sha256:1234" is not sha256: and 64 lowercase hex digits`, `{"version":1,"repository":"REGISTRY/REPOSITORY"`}},
		"duplicate platform": {files: map[string]pipeline.DigestFile{"linux_arm64.json": shard("linux/arm64", "a"), "arm64-again.json": shard("linux/arm64", "b")},
			want: []string{"linux/arm64 is in 2 files (arm64-again.json, linux_arm64.json)", "nothing was merged or tagged"}},
		"missing platform": {files: map[string]pipeline.DigestFile{"linux_amd64.json": shard("linux/amd64", "a")},
			args: []string{"--platform", "linux/amd64,linux/arm64"},
			want: []string{"missing: linux/arm64", "(expected: linux/amd64, linux/arm64)"}},
		"unexpected platform": {files: map[string]pipeline.DigestFile{"linux_amd64.json": shard("linux/amd64", "a"), "linux_s390x.json": shard("linux/s390x", "b")},
			args: []string{"--platform", "linux/amd64"},
			want: []string{"not expected: linux/s390x"}},
		"other repository": {files: map[string]pipeline.DigestFile{"linux_amd64.json": {Version: 1, Repository: "127.0.0.1:1/other", Digest: fakeDigest("a"), Platform: "linux/amd64", MediaType: "application/vnd.oci.image.manifest.v1+json", Size: 500}},
			want: []string{"linux_amd64.json names 127.0.0.1:1/other, not 127.0.0.1:1/app"}},
		"empty directory": {want: []string{"no digest file in"}},
	}
	for n, c := range cases {
		t.Run(n, func(t *testing.T) {
			dir := t.TempDir()
			for f, d := range c.files {
				writeDigestJSON(t, dir, f, d)
			}
			if c.raw != "" {
				if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte(c.raw), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r := runArgs(t, append([]string{"ci", "merge", "--digest-dir", dir, "-t", repo + ":1"}, c.args...)...)
			var dfe *pipeline.DigestFileError
			var sse *pipeline.ShardSetError
			if r.ok() || !(errors.As(r.err, &dfe) || errors.As(r.err, &sse) || errors.Is(r.err, pipeline.ErrNoDigestFiles)) {
				t.Fatalf("want the digest files refused, got exit %d: %v", r.code, r.err)
			}
			requireFailureSays(t, "merge", r, c.want...)
			if strings.Contains(r.stdout, "ci summary") {
				t.Errorf("a step ran:\n%s", r.stdout)
			}
		})
	}
	t.Run("digest dir without push by digest", func(t *testing.T) {
		r := runArgs(t, "ci", helloContext(t, ""), "--platform", "linux/amd64", "-t", repo+":1", "--digest-dir", t.TempDir())
		if r.ok() || !errors.Is(r.err, errDigestDirAlone) {
			t.Fatalf("exit %d: %v", r.code, r.err)
		}
	})
}

// runner runs `ci --push-by-digest` for one platform on the buildkitd at
// addr, as one CI runner would, its digest file going into dir.
func runner(t *testing.T, addr, dir, p, image, base string) *pipeline.Summary {
	t.Helper()
	t.Setenv(builder.EnvBuildkitHost, addr)
	s, r := ciJSON(t, filepath.Join(testenv.RepoRoot(t), "examples", "hello"), "--platform", p, "--image", image,
		"--base", base, "--test", "test -s /built-on", "--push-by-digest", "--digest-dir", dir)
	if !r.ok() || !s.Passed {
		t.Fatalf("runner %s: %v\n%s", p, r.err, r.stderr)
	}
	return s
}

func readDigestFile(t *testing.T, path string) pipeline.DigestFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d pipeline.DigestFile
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// repoTags lists the tags of repo in the registry (none: an empty list).
func repoTags(t *testing.T, repo string) []string {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(r, remote.WithContext(t.Context()))
	if err != nil && !strings.Contains(err.Error(), "NAME_UNKNOWN") {
		t.Fatalf("tags of %s: %v", repo, err)
	}
	return tags
}

func mergeJSON(t *testing.T, args ...string) (*pipeline.Summary, cliResult) {
	t.Helper()
	return runJSON[pipeline.Summary](t, cliRun{args: append([]string{"ci", "merge", "--json"}, args...), logStdout: true})
}

// TestCIFanOutE2E: two buildkitd daemons stand for two native runners;
// each runs `ci --push-by-digest --digest-dir` for its platform, then
// `ci merge` builds the index, verifies and tests it, and only then tags.
func TestCIFanOutE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	amdAddr, armAddr := startCLINode(t), startCLINode(t)
	dockerConfigDir(t, "")
	ciEnv(t)
	reg := testenv.StartRegistry(t)
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, "linux/amd64", "linux/arm64")...)
	image := strings.TrimSuffix(reg.Ref("hello", "x"), ":x")
	dir := t.TempDir()

	amd := runner(t, amdAddr, dir, "linux/amd64", image, base)
	arm := runner(t, armAddr, dir, "linux/arm64", image, base)
	for _, s := range []*pipeline.Summary{amd, arm} {
		if st := stepStatus(s); st["digest-file"] != status.Pass || st["verify"] != status.Pass || st["test-pushed"] != status.Pass || len(s.TagsWritten) != 0 {
			t.Errorf("runner steps %v, tags written %v", st, s.TagsWritten)
		}
	}
	// Each daemon ran its own runner's build and test sessions only.
	// Each daemon ran its own runner's build session and one test session
	// of the pushed image, nothing of the other runner's.
	if a, b := testenv.DaemonActivity(t, amdAddr), testenv.DaemonActivity(t, armAddr); a.Sessions != 2 || b.Sessions != 2 {
		t.Errorf("sessions: amd64 runner %d, arm64 runner %d (want 2 each)", a.Sessions, b.Sessions)
	}
	files := map[string]pipeline.DigestFile{}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		d := readDigestFile(t, filepath.Join(dir, strings.ReplaceAll(p, "/", "_")+".json"))
		if d.Version != 1 || d.Platform != p || d.Repository != image || !strings.HasPrefix(d.Digest, "sha256:") || d.Size == 0 || d.MediaType == "" {
			t.Errorf("digest file of %s: %+v", p, d)
		}
		files[p] = d
	}
	if got := repoTags(t, image); len(got) != 0 {
		t.Fatalf("runners wrote tags: %v", got)
	}

	t.Run("runner that built a wrong-arch binary writes no digest file", func(t *testing.T) {
		ctx := writeContextFiles(t, map[string]string{"Dockerfile": "FROM scratch\nCOPY busybox /bin/busybox\n",
			"busybox": string(testenv.BusyboxBinary(t, "amd64"))})
		wrong := t.TempDir()
		t.Setenv(builder.EnvBuildkitHost, armAddr)
		s, r := ciJSON(t, ctx, "--platform", "linux/arm64", "--image", image, "--push-by-digest", "--digest-dir", wrong)
		if st := stepStatus(s); r.ok() || st["verify"] != status.Fail || st["digest-file"] != status.Skip {
			t.Fatalf("exit %d %v, steps %v", r.code, r.err, st)
		}
		if left, _ := os.ReadDir(wrong); len(left) != 0 {
			t.Errorf("digest dir holds %v after a failed verify", left)
		}
	})

	t.Run("failed test after verify: no tag", func(t *testing.T) {
		s, r := mergeJSON(t, "--digest-dir", dir, "-t", image+":broken", "--test", "exit 3")
		st := stepStatus(s)
		if r.ok() || st["create-index"] != status.Pass || st["verify"] != status.Pass || st["test-pushed"] != status.Fail || st["tag"] != status.Skip {
			t.Fatalf("exit %d %v, steps %v", r.code, r.err, st)
		}
		if got := repoTags(t, image); len(got) != 0 || s.Pushed == "" || len(s.TagsWritten) != 0 {
			t.Errorf("tags %v after a failed test (pushed %s)", got, s.Pushed)
		}
	})

	t.Run("merge proves, then tags", func(t *testing.T) {
		tags := []string{image + ":1.0", image + ":latest"}
		tagsAt := map[string][]string{} // step → the repository's tags when it ended
		onMergeStep = func(st pipeline.Step) { tagsAt[st.Name] = repoTags(t, image) }
		t.Cleanup(func() { onMergeStep = nil })
		s, r := mergeJSON(t, "--digest-dir", dir, "-t", tags[0], "-t", "latest", "--image", image,
			"--platform", "linux/arm64,linux/amd64", "--test", "test -s /built-on")
		if !r.ok() || !s.Passed {
			t.Fatalf("%v\n%s", r.err, r.stderr)
		}
		want := []string{"setup-emulation", "doctor", "create-index", "verify", "test-pushed", "tag"}
		var names []string
		for _, st := range s.Steps {
			names = append(names, st.Name)
		}
		if !slices.Equal(names, want) || s.PushedMatrix == nil || s.PushedMatrix.Total != 2 || s.PushedMatrix.Failed != 0 {
			t.Errorf("steps %v, matrix %+v", names, s.PushedMatrix)
		}
		if !slices.Equal(s.TagsWritten, tags) {
			t.Errorf("tags written %v", s.TagsWritten)
		}
		for _, step := range []string{"create-index", "verify", "test-pushed"} {
			if got, ok := tagsAt[step]; !ok || len(got) != 0 {
				t.Errorf("when %s ended the repository had tags %v (seen: %v)", step, got, ok)
			}
		}
		if got := tagsAt["tag"]; !slices.Contains(got, "1.0") || !slices.Contains(got, "latest") {
			t.Errorf("after the tag step: tags %v", got)
		}
		for _, tag := range tags {
			idx, err := remote.Index(mustParse(t, tag))
			if err != nil {
				t.Fatal(err)
			}
			if d, _ := idx.Digest(); d.String() != s.Digest {
				t.Errorf("%s is %s, summary says %s", tag, d, s.Digest)
			}
			im, _ := idx.IndexManifest()
			got := map[string]string{}
			for _, m := range im.Manifests {
				got[m.Platform.OS+"/"+m.Platform.Architecture] = m.Digest.String()
			}
			for p, d := range files {
				if got[p] != d.Digest {
					t.Errorf("%s: %s is %s, its runner pushed %s", tag, p, got[p], d.Digest)
				}
			}
			if len(im.Manifests) != 2 || im.Manifests[0].Platform.Architecture != "arm64" {
				t.Errorf("%s: entries %+v (want arm64, amd64 in --platform order)", tag, im.Manifests)
			}
		}
	})

	t.Run("tags from git: the release's tags, labels as index annotations", func(t *testing.T) {
		ciGitEnv(t)
		repo := gitHelloRepo(t)
		repo.Git(t, "checkout", "-q", "v1.2.3")
		t.Chdir(repo.Dir)
		s, r := mergeJSON(t, "--digest-dir", dir, "--image", image, "--tags-from-git", "--platform", "linux/amd64,linux/arm64")
		short := "sha-" + repo.Release[:7]
		want := []string{image + ":1.2.3", image + ":1.2", image + ":1", image + ":latest", image + ":" + short}
		if !r.ok() || !slices.Equal(s.TagsWritten, want) {
			t.Fatalf("exit %d %v: tags written %v, want %v", r.code, r.err, s.TagsWritten, want)
		}
		idx, err := remote.Index(mustParse(t, image+":1.2.3"))
		if err != nil {
			t.Fatal(err)
		}
		im, _ := idx.IndexManifest()
		if d, _ := idx.Digest(); d.String() != s.Digest || im.Annotations["org.opencontainers.image.version"] != "1.2.3" ||
			im.Annotations["org.opencontainers.image.revision"] != repo.Release {
			t.Errorf("index %s (summary %s) annotations %v", d, s.Digest, im.Annotations)
		}
	})

	t.Run("shard labelled with another platform: no tag", func(t *testing.T) {
		bad := t.TempDir()
		d := files["linux/amd64"]
		d.Platform = "linux/arm64"
		writeDigestJSON(t, bad, "linux_arm64.json", d)
		writeDigestJSON(t, bad, "linux_amd64.json", files["linux/amd64"])
		r := runArgs(t, "ci", "merge", "--digest-dir", bad, "-t", image+":wronglabel")
		// the same image twice is refused before anything is contacted
		var sse *pipeline.ShardSetError
		if r.ok() || !errors.As(r.err, &sse) {
			t.Fatalf("exit %d: %v", r.code, r.err)
		}
		if err := os.Remove(filepath.Join(bad, "linux_amd64.json")); err != nil {
			t.Fatal(err)
		}
		r = runArgs(t, "ci", "merge", "--digest-dir", bad, "-t", image+":wronglabel", "--platform", "linux/arm64")
		var spe *app.ShardPlatformError
		if r.ok() || !errors.As(r.err, &spe) || spe.Claimed != "linux/arm64" || spe.Actual != "linux/amd64" {
			t.Fatalf("want a *app.ShardPlatformError, got exit %d: %v", r.code, r.err)
		}
		requireFailureSays(t, "wrong label", r, "digest file linux_arm64.json says linux/arm64, but the image it names", "is linux/amd64", "nothing was merged or tagged")
		if tagExists(t, image+":wronglabel") {
			t.Error("a wrong-arch shard was tagged")
		}
	})

	t.Run("shard of wrong-arch binaries: verify fails, no tag", func(t *testing.T) {
		arm64 := testenv.Platforms(t, "linux/arm64")[0]
		img := testenv.Image(t, testenv.OCI, arm64, testenv.BusyboxFiles(testenv.BusyboxBinary(t, "amd64")), testenv.BusyboxConfig())
		testenv.PushImage(t, image+":forged-src", img)
		dg, _ := img.Digest()
		mt, _ := img.MediaType()
		sz, _ := img.Size()
		bad := t.TempDir()
		writeDigestJSON(t, bad, "linux_amd64.json", files["linux/amd64"])
		writeDigestJSON(t, bad, "linux_arm64.json", pipeline.DigestFile{Version: 1, Repository: image, Digest: dg.String(), Platform: "linux/arm64", MediaType: string(mt), Size: sz})
		s, r := mergeJSON(t, "--digest-dir", bad, "-t", image+":wrongbinary")
		st := stepStatus(s)
		if r.ok() || st["create-index"] != status.Pass || st["verify"] != status.Fail || st["tag"] != status.Skip {
			t.Fatalf("exit %d %v, steps %v", r.code, r.err, st)
		}
		if tagExists(t, image+":wrongbinary") || len(s.TagsWritten) != 0 {
			t.Error("an index holding wrong-arch binaries was tagged")
		}
	})
}

func mustParse(t *testing.T, ref string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
