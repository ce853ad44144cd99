package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// HelloSource is the program GoBinary builds. It prints
// "hello from <platform>" (the platform it was built for) and exits 0, or
// exits 3 when its first argument is "fail".
const HelloSource = `package main

import "os"

var platform = "unknown"

func main() {
	os.Stdout.WriteString("hello from " + platform + "\n")
	if len(os.Args) > 1 && os.Args[1] == "fail" {
		os.Exit(3)
	}
}
`

// AppPath is where Go program images keep their binary.
const AppPath = "/app/server"

// GoBinary returns HelloSource cross-compiled for p (see GoBuild).
func GoBinary(t testing.TB, p platform.Platform) []byte {
	t.Helper()
	return GoBuild(t, p, HelloSource)
}

var (
	goBuildMu   sync.Mutex
	goBuildMem  = map[string][]byte{}
	goVersion   string
	goVersionOK bool
)

// GoBuild cross-compiles the single-file main package src for p as a
// static binary (CGO_ENABLED=0, GOOS=linux, GOARCH and the variant
// variable from the platform table, -trimpath, stripped), with
// main.platform set to p's name. Results are cached in memory and on disk
// under os.TempDir(), keyed by platform, source and Go version, so each
// program is built once per machine.
func GoBuild(t testing.TB, p platform.Platform, src string) []byte {
	t.Helper()
	goBuildMu.Lock()
	defer goBuildMu.Unlock()

	if !goVersionOK {
		_, err := exec.LookPath("go")
		Require(t, err == nil, "the go command is needed to cross-compile fixture programs")
		out, err := exec.Command("go", "env", "GOVERSION").Output()
		if err != nil {
			t.Fatalf("go env GOVERSION: %v", err)
		}
		goVersion, goVersionOK = strings.TrimSpace(string(out)), true
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%s\x00", goVersion, p, p.GOARCH, p.GoVariantEnv)
	h.Write([]byte(src))
	key := hex.EncodeToString(h.Sum(nil))[:20]
	if b, ok := goBuildMem[key]; ok {
		return b
	}

	dir := filepath.Join(os.TempDir(), "multiarch-testenv-go", key)
	out := filepath.Join(dir, "prog")
	if b, err := os.ReadFile(out); err == nil {
		goBuildMem[key] = b
		return b
	}
	if p.GOARCH == "" {
		t.Fatalf("platform %s has no GOARCH", p)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Build in a private module so nothing of the repo's go.mod applies.
	work, err := os.MkdirTemp(dir, "build")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(work)
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte("module fixture\n\ngo 1.21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(work, "prog")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w -X main.platform="+p.String(), "-o", tmp, ".")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+p.GOARCH, "GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local")
	if p.GoVariantEnv != "" {
		cmd.Env = append(cmd.Env, p.GoVariantEnv)
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cross-compile for %s: %v\n%s", p, err, b)
	}
	// Rename is atomic: parallel test processes never read half a binary.
	if err := os.Rename(tmp, out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	goBuildMem[key] = b
	return b
}

// GoEntry is the index entry of a scratch image for p holding binary at
// AppPath, run as the entrypoint.
func GoEntry(p platform.Platform, binary []byte) Entry {
	return Entry{
		Platform: p,
		Files:    []File{{Path: AppPath, Body: binary}},
		Config:   v1.Config{Entrypoint: []string{AppPath}},
	}
}

// GoIndex is a scratch OCI index with GoBinary for each platform at
// AppPath.
func GoIndex(t testing.TB, platforms ...platform.Platform) v1.ImageIndex {
	t.Helper()
	es := make([]Entry, len(platforms))
	for i, p := range platforms {
		es[i] = GoEntry(p, GoBinary(t, p))
	}
	return ScratchIndex(t, es...)
}

// PushGoIndex pushes GoIndex(t, platforms...) to ref and returns the index
// digest.
func PushGoIndex(t testing.TB, ref string, platforms ...platform.Platform) v1.Hash {
	t.Helper()
	return PushIndex(t, ref, GoIndex(t, platforms...))
}

// GoBinaryEnv is GoBinary built with env ("GOARM=7", "GOAMD64=v3") in
// place of the platform's own level variable, for binaries whose level
// differs from the entry they are put in.
func GoBinaryEnv(t testing.TB, p platform.Platform, env string) []byte {
	t.Helper()
	p.GoVariantEnv = env
	return GoBuild(t, p, HelloSource)
}
