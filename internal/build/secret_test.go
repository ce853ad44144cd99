package build

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// TestTwoNodeBuildSecrets: in a multi-node build every node's session
// lends the secrets: the RUN of each node's platform saw both (a value
// and a file) and wrote their hashes.
func TestTwoNodeBuildSecrets(t *testing.T) {
	testenv.LockHostBinfmt(t)
	_, _, nodes := twoNodes(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	reg, base := registryWithBase(t, ps)
	dir := t.TempDir()
	df := "ARG BASE\nFROM ${BASE}\nRUN --mount=type=secret,id=v,required --mount=type=secret,id=f,required,target=/f cat /run/secrets/v /f | sha256sum | cut -d' ' -f1 > /sum\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, []byte("from-a-file"), 0o600); err != nil {
		t.Fatal(err)
	}
	tag := reg.Ref("secrets", "v1")
	res, err := BuildOn(t.Context(), nodes, Options{ContextDir: dir, Platforms: ps, Push: true, Tags: []string{tag},
		BuildArgs: map[string]string{"BASE": base},
		Secrets:   []Secret{{ID: "v", Value: []byte("in-memory")}, {ID: "f", File: file}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Address, ",") {
		t.Fatalf("built on %s: want both nodes", res.Address)
	}
	sum := sha256.Sum256([]byte("in-memoryfrom-a-file"))
	idx, err := remote.Index(mustRef(t, tag))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		got := strings.TrimSpace(string(testenv.ReadFile(t, testenv.ImageFor(t, idx, p), "/sum")))
		if got != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: /sum = %q: the RUN did not see both secrets", p, got)
		}
	}
}

// TestCheckSecrets: bad sources are refused before any builder, as a
// *SecretInputError naming the id, and never with the value in the text.
func TestCheckSecrets(t *testing.T) {
	dir := t.TempDir()
	notKey := filepath.Join(dir, "k")
	if err := os.WriteFile(notKey, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := []platform.Platform{{OS: "linux", Arch: "amd64"}}
	df := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(df, []byte("FROM x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		o    Options
		want string
	}{
		{"empty id", Options{Secrets: []Secret{{Value: []byte("hush")}}}, "empty id"},
		{"duplicate", Options{Secrets: []Secret{{ID: "a", Value: []byte("hush")}, {ID: "a", File: notKey}}}, "given twice"},
		{"both", Options{Secrets: []Secret{{ID: "a", Value: []byte("hush"), File: notKey}}}, "both a file and a value"},
		{"missing file", Options{Secrets: []Secret{{ID: "a", File: filepath.Join(dir, "nope")}}}, "no such file"},
		{"directory", Options{Secrets: []Secret{{ID: "a", File: dir}}}, "not a regular file"},
		{"too big", Options{Secrets: []Secret{{ID: "a", Value: make([]byte, MaxSecretSize+1)}}}, "BuildKit's limit"},
		{"ssh no paths", Options{SSH: []SSHAgent{{ID: "default"}}}, "no agent socket or key file"},
		{"ssh not a key", Options{SSH: []SSHAgent{{ID: "default", Paths: []string{notKey}}}}, "no key found"},
		{"ssh duplicate", Options{SSH: []SSHAgent{{ID: "x", Paths: []string{sock}}, {ID: "x", Paths: []string{sock}}}}, "empty or duplicate id"},
	}
	for _, c := range cases {
		c.o.ContextDir, c.o.Dockerfile, c.o.Platforms = dir, df, p
		err := Validate(c.o)
		var ie *SecretInputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a *SecretInputError saying %q", c.name, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), "hush") {
			t.Errorf("%s: the error shows the value: %v", c.name, err)
		}
	}
	s := Secret{ID: "a", Value: []byte("hush")}
	if out := fmt.Sprintf("%v %+v %s %#v", s, []Secret{s}, s, Options{Secrets: []Secret{s}}); strings.Contains(out, "hush") {
		t.Errorf("a printed Secret shows its value: %s", out)
	}
}

// TestWithSecretError reads BuildKit v0.34's words for a missing secret
// or SSH agent into a *MissingSecretError; anything else is left alone.
func TestWithSecretError(t *testing.T) {
	cases := []struct{ msg, kind, id string }{
		{"process \"/bin/sh -c cat /run/secrets/tok\" did not complete successfully: secret tok: not found", "secret", "tok"},
		{`rpc error: code = Unknown desc = no SSH key "" forwarded from the client`, "ssh", "default"},
		{`rpc error: code = Unknown desc = no SSH key "gh" forwarded from the client`, "ssh", "gh"},
		{"unset ssh forward key gh", "ssh", "gh"},
		{"failed to solve: exit code 1", "", ""},
	}
	for _, c := range cases {
		err := withSecretError(&NodeBuildError{Node: "n", Err: errors.New(c.msg)})
		var m *MissingSecretError
		got := errors.As(err, &m)
		if got != (c.kind != "") || got && (m.Kind != c.kind || m.ID != c.id) {
			t.Errorf("%q: got %v (%v), want kind %q id %q", c.msg, err, got, c.kind, c.id)
		}
	}
}
