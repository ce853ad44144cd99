package build

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// The solve error of BuildKit v0.34 when the frontend image of a
// `# syntax=` line cannot be fetched, as the e2e test sees it.
const offlineSyntaxErr = `failed to solve: failed to resolve source metadata for docker.io/docker/dockerfile:1: failed to do request: Head "https://registry-1.docker.io/v2/docker/dockerfile/manifests/1": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host`

func writeDockerfile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFrontendSyntax(t *testing.T) {
	for _, tc := range []struct {
		name, dockerfile string
		args             map[string]string
		want             string // Syntax, "" for none
		buildArg         bool
		line             int
	}{
		{"line", "# syntax=docker/dockerfile:1\nFROM scratch\n", nil, "docker/dockerfile:1", false, 1},
		{"after another directive", "# escape=`\n# syntax=docker/dockerfile:1.7\nFROM scratch\n", nil, "docker/dockerfile:1.7", false, 2},
		{"none", "FROM scratch\n", nil, "", false, 0},
		{"after an instruction: a comment", "FROM scratch\n# syntax=docker/dockerfile:1\n", nil, "", false, 0},
		{"build arg wins", "# syntax=docker/dockerfile:1\nFROM scratch\n", map[string]string{"BUILDKIT_SYNTAX": "mirror:5000/docker/dockerfile:1"}, "mirror:5000/docker/dockerfile:1", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := frontendSyntax(writeDockerfile(t, tc.dockerfile), tc.args)
			switch {
			case tc.want == "" && got != nil:
				t.Fatalf("got %+v, want none", got)
			case tc.want == "":
				return
			case got == nil:
				t.Fatalf("got none, want %q", tc.want)
			}
			if got.Syntax != tc.want || got.BuildArg != tc.buildArg || got.Line != tc.line {
				t.Errorf("got %+v", got)
			}
		})
	}
	if frontendSyntax(filepath.Join(t.TempDir(), "missing"), nil) != nil {
		t.Error("a missing Dockerfile has a syntax")
	}
}

func TestParseFrontendError(t *testing.T) {
	df := writeDockerfile(t, "# syntax=docker/dockerfile:1\nFROM scratch\n")
	syntax := frontendSyntax(df, nil)
	fe := parseFrontendError(offlineSyntaxErr, syntax)
	if fe == nil {
		t.Fatal("not recognised")
	}
	msg, hint := fe.Error(), fe.Hint()
	for _, want := range []string{"`# syntax=docker/dockerfile:1` line of " + df + " (line 1)", "docker.io/docker/dockerfile:1", "built-in frontend", "no such host"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	for _, want := range []string{"mirror", `[registry."docker.io"]`, "BUILDKIT_SYNTAX", "delete the `# syntax=` line"} {
		if !strings.Contains(hint, want) {
			t.Errorf("hint lacks %q: %s", want, hint)
		}
	}
	// The same words about a FROM image are not the frontend's.
	if fe := parseFrontendError(`failed to solve: failed to resolve source metadata for docker.io/library/alpine:3: no such host`, syntax); fe != nil {
		t.Errorf("a FROM image taken for the frontend: %v", fe)
	}
	// Without a syntax line there is no frontend to blame.
	if fe := parseFrontendError(offlineSyntaxErr, nil); fe != nil {
		t.Errorf("no syntax line, yet: %v", fe)
	}
	// The build argument names another image; the hint offers dropping it.
	arg := frontendSyntax(df, map[string]string{"BUILDKIT_SYNTAX": "mirror.local:5000/docker/dockerfile:1"})
	fe = parseFrontendError(`failed to solve: failed with build-arg:BUILDKIT_SYNTAX = mirror.local:5000/docker/dockerfile:1: failed to resolve source metadata for mirror.local:5000/docker/dockerfile:1: connection refused`, arg)
	if fe == nil || !strings.Contains(fe.Error(), "BUILDKIT_SYNTAX build argument") || !strings.Contains(fe.Hint(), "drop the BUILDKIT_SYNTAX build argument") {
		t.Errorf("build arg: %v", fe)
	}
}

func TestWithFrontendError(t *testing.T) {
	df := writeDockerfile(t, "# syntax=docker/dockerfile:1\nFROM scratch\n")
	err := &NodeBuildError{Node: "unix:///x.sock", Platforms: []platform.Platform{}, Err: errors.New(offlineSyntaxErr)}
	got := withFrontendError(err, Options{Dockerfile: df})
	var fe *FrontendUnreachableError
	if !errors.As(got, &fe) || fe.Ref != "docker.io/docker/dockerfile:1" {
		t.Fatalf("got %v", got)
	}
}

func TestUnknownFrom(t *testing.T) {
	df := writeDockerfile(t, "FROM busybox AS base\nCOPY --from=base /a /a\nCOPY --from=nosuch /b /b\n")
	o := Options{ContextDir: t.TempDir(), Dockerfile: df}
	msg := `failed to solve: failed to resolve source metadata for docker.io/library/nosuch:latest: pull access denied
more`
	fe := unknownFrom(msg, o)
	if fe == nil || fe.Name != "nosuch" || fe.Ref != "docker.io/library/nosuch:latest" || fe.Line != 3 || fe.Err.Error() != "pull access denied" {
		t.Fatalf("unknownFrom = %+v", fe)
	}
	// A stage name, an image no COPY --from= names, or other text: none.
	for _, m := range []string{
		`failed to resolve source metadata for docker.io/library/base:latest: denied`,
		`failed to resolve source metadata for docker.io/library/busybox:latest: denied`,
		`secret foo: not found`,
	} {
		if fe := unknownFrom(m, o); fe != nil {
			t.Errorf("unknownFrom(%q) = %+v, want nil", m, fe)
		}
	}
	// A remote context: the Dockerfile is not this host's to read.
	o.ContextDir = "https://github.com/o/r.git"
	if fe := unknownFrom(msg, o); fe != nil {
		t.Errorf("remote context: unknownFrom = %+v, want nil", fe)
	}
}
