package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// DigestFileVersion is the version of the digest file format this
// release writes and reads.
const DigestFileVersion = 1

// DigestFile is what one fan-out runner hands the merge job about one
// platform it built, proved and pushed by digest only: one small JSON file
// per platform (DigestFileName), so runners can upload their files as CI
// artifacts into one directory without clashing.
type DigestFile struct {
	// Version is DigestFileVersion.
	Version int `json:"version"`
	// Repository is where the image is, REGISTRY/REPOSITORY, without tag.
	Repository string `json:"repository"`
	// Digest is the image manifest's (sha256:...), the entry the merged
	// index will hold.
	Digest string `json:"digest"`
	// Platform is the platform it was built, verified and tested for.
	Platform string `json:"platform"`
	// MediaType and Size are the manifest's, as the registry serves it.
	MediaType string `json:"media_type"`
	Size      int64  `json:"size"`
}

// Ref is REPOSITORY@DIGEST of the image.
func (d DigestFile) Ref() string { return d.Repository + "@" + d.Digest }

// DigestFileName is the file of a platform: "linux/arm/v7" →
// "linux_arm_v7.json".
func DigestFileName(p platform.Platform) string {
	return strings.ReplaceAll(p.String(), "/", "_") + ".json"
}

// WriteDigestFile writes d into dir (created if missing) under its
// platform's name, replacing an earlier file of that platform; the file
// appears whole or not at all (written aside, then renamed).
func WriteDigestFile(dir string, d DigestFile, p platform.Platform) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, DigestFileName(p))
	tmp, err := os.CreateTemp(dir, ".digest-*")
	if err != nil {
		return "", err
	}
	_, err = tmp.Write(append(b, '\n'))
	err = errors.Join(err, tmp.Close())
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return "", err
	}
	return path, nil
}

// Shard is one digest file read back: its path, content and platform.
type Shard struct {
	File string
	DigestFile
	Parsed platform.Platform
}

// Errors of reading digest files; each is wrapped in the typed error
// below that names the file or files.
var (
	ErrNoDigestFiles  = errors.New("no digest file")
	ErrBadDigestFile  = errors.New("not a valid digest file")
	ErrShardPlatforms = errors.New("the digest files do not hold the expected platforms")
)

// DigestFileError says one digest file cannot be used, and why.
type DigestFileError struct {
	File   string
	Reason string
}

func (e *DigestFileError) Error() string {
	return fmt.Sprintf("digest file %s: %s", e.File, e.Reason)
}
func (e *DigestFileError) Unwrap() error { return ErrBadDigestFile }

// Hint says what a digest file must hold.
func (e *DigestFileError) Hint() string {
	return `a digest file is written by ci's push by digest, one per platform, as {"version":1,"repository":"REGISTRY/REPOSITORY","digest":"sha256:…","platform":"linux/arm64","media_type":"…","size":N}; rerun that platform's job instead of editing it`
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// ReadDigestDir reads every *.json file of dir (other files are ignored)
// as a DigestFile, strictly: unknown fields, a missing field, a digest that
// is not sha256:<64 hex>, an unknown platform are a *DigestFileError; no
// file at all is ErrNoDigestFiles.
func ReadDigestDir(dir string) ([]Shard, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("digest directory: %w", err)
	}
	var out []Shard
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		s, err := readDigestFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in %s (*.json): download every runner's digest files into it first", ErrNoDigestFiles, dir)
	}
	return out, nil
}

func readDigestFile(path string) (Shard, error) {
	bad := func(format string, a ...any) (Shard, error) {
		return Shard{}, &DigestFileError{File: path, Reason: fmt.Sprintf(format, a...)}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return bad("%v", err)
	}
	var d DigestFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return bad("not the JSON of a digest file: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("not the JSON of a digest file: more after its object")
	}
	switch {
	case d.Version != DigestFileVersion:
		return bad("version %d, this multiarch reads version %d", d.Version, DigestFileVersion)
	case d.Repository == "" || strings.ContainsAny(d.Repository, "@") || registry.CheckReference(d.Repository) != nil ||
		registry.Repository(d.Repository) != registry.Repository(d.Repository+":x"):
		return bad("repository %q is not REGISTRY/REPOSITORY (no tag, no digest)", d.Repository)
	case !digestRE.MatchString(d.Digest):
		return bad("digest %q is not sha256: and 64 lowercase hex digits", d.Digest)
	case d.Platform == "":
		return bad("no platform")
	}
	p, err := platform.Parse(d.Platform)
	if err != nil {
		return bad("platform: %v", err)
	}
	if d.MediaType == "" || d.Size <= 0 {
		return bad("no media_type or size of the manifest")
	}
	return Shard{File: path, DigestFile: d, Parsed: p}, nil
}

// ShardSetError says the digest files are not one image per expected
// platform, all of one repository: which platforms are missing, which are
// there twice (and in which files), which were not expected, which files
// name another repository.
type ShardSetError struct {
	Expected   []string
	Missing    []string
	Unexpected []string
	// Duplicates maps a platform to the files that hold it.
	Duplicates map[string][]string
	// OtherRepository maps a file to the repository it names, not Want.
	OtherRepository map[string]string
	Want            string
}

func (e *ShardSetError) Error() string {
	var parts []string
	for _, p := range slices.Sorted(maps.Keys(e.Duplicates)) {
		parts = append(parts, fmt.Sprintf("%s is in %d files (%s)", p, len(e.Duplicates[p]), strings.Join(e.Duplicates[p], ", ")))
	}
	if len(e.Missing) > 0 {
		parts = append(parts, "missing: "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "not expected: "+strings.Join(e.Unexpected, ", "))
	}
	for _, f := range slices.Sorted(maps.Keys(e.OtherRepository)) {
		parts = append(parts, fmt.Sprintf("%s names %s, not %s", f, e.OtherRepository[f], e.Want))
	}
	msg := fmt.Sprintf("%v: %s", ErrShardPlatforms, strings.Join(parts, "; "))
	if len(e.Expected) > 0 {
		msg += " (expected: " + strings.Join(e.Expected, ", ") + ")"
	}
	return msg + "; nothing was merged or tagged"
}

func (e *ShardSetError) Unwrap() error { return ErrShardPlatforms }

// Hint says how the set goes wrong in CI.
func (e *ShardSetError) Hint() string {
	return "each platform's job writes one digest file; download the files of this run's jobs only, every job having passed, into an empty directory"
}

// CheckShards checks that the shards are one image per platform, each
// in repository repo (any spelling of it), and, when expected is given,
// exactly its platforms; it returns the shards in the expected order
// (else by platform). Two files naming the same image are a duplicate.
func CheckShards(shards []Shard, repo string, expected []platform.Platform) ([]Shard, error) {
	e := &ShardSetError{Duplicates: map[string][]string{}, OtherRepository: map[string]string{}, Want: registry.Repository(repo)}
	byPlatform := map[string][]Shard{}
	byDigest := map[string][]string{}
	for _, s := range shards {
		key := s.Parsed.String()
		byPlatform[key] = append(byPlatform[key], s)
		byDigest[s.Digest] = append(byDigest[s.Digest], filepath.Base(s.File))
		if got := registry.Repository(s.Repository); got != e.Want {
			e.OtherRepository[filepath.Base(s.File)] = got
		}
	}
	for p, ss := range byPlatform {
		if len(ss) > 1 {
			for _, s := range ss {
				e.Duplicates[p] = append(e.Duplicates[p], filepath.Base(s.File))
			}
			slices.Sort(e.Duplicates[p])
		}
	}
	for d, files := range byDigest {
		if len(files) > 1 {
			slices.Sort(files)
			e.Duplicates["image "+d] = files
		}
	}
	order := expectedOrder(e, byPlatform, expected)
	if len(e.Duplicates)+len(e.Missing)+len(e.Unexpected)+len(e.OtherRepository) > 0 {
		return nil, e
	}
	out := make([]Shard, 0, len(order))
	for _, p := range order {
		out = append(out, byPlatform[p][0])
	}
	return out, nil
}

// expectedOrder fills e's missing and unexpected platforms and returns
// the platforms in merge order: expected's, else sorted.
func expectedOrder(e *ShardSetError, have map[string][]Shard, expected []platform.Platform) []string {
	got := slices.Sorted(maps.Keys(have))
	if len(expected) == 0 {
		return got
	}
	var want []string
	for _, p := range expected {
		want = append(want, p.String())
		if _, ok := have[p.String()]; !ok {
			e.Missing = append(e.Missing, p.String())
		}
	}
	e.Expected = want
	for _, p := range got {
		if !slices.Contains(want, p) {
			e.Unexpected = append(e.Unexpected, p)
		}
	}
	return want
}

// ResolveTags expands bare tags against Image and checks every reference,
// as Resolve does, for a run that builds nothing (ci merge).
func (c Config) ResolveTags() ([]string, error) { return c.fullTags() }
