package app

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/imagetest"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// testEnv is an environment of its own: a temp config dir for the store,
// the embedded builder's state and socket in a temp dir short enough for
// sun_path, and kv on top.
func testEnv(t *testing.T, kv ...string) Env {
	t.Helper()
	dir, err := os.MkdirTemp("", "app")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	m := map[string]string{
		builder.EnvConfigDir: filepath.Join(dir, "config"),
		embedded.EnvStateDir: filepath.Join(dir, "state"),
		embedded.EnvSocket:   filepath.Join(dir, "bk.sock"),
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return Env{Getenv: func(k string) string { return m[k] }}
}

// TestResolveBuilder: a named builder wins, else $BUILDKIT_HOST, else the
// embedded builder at the environment's socket, not started unless asked.
func TestResolveBuilder(t *testing.T) {
	env := testEnv(t, builder.EnvBuildkitHost, "tcp://far:1234")
	farm := builder.Builder{Name: "farm", Nodes: []builder.Node{{Endpoint: "unix:///a.sock"}, {Endpoint: "tcp://b:1"}}}
	if _, err := CreateBuilder(t.Context(), CreateOptions{Env: env, Builder: farm, NoCheck: true}); err != nil {
		t.Fatal(err)
	}
	b, err := ResolveBuilder(t.Context(), ResolveOptions{Env: env, Builder: "farm"})
	if err != nil || b.Source != SourceNamed || b.Name != "farm" || len(b.Nodes) != 2 {
		t.Fatalf("named: %+v %v", b, err)
	}
	var unknown *builder.UnknownBuilderError
	if _, err := ResolveBuilder(t.Context(), ResolveOptions{Env: env, Builder: "nope"}); !errors.As(err, &unknown) || unknown.Name != "nope" {
		t.Errorf("unknown: %v", err)
	}
	b, err = ResolveBuilder(t.Context(), ResolveOptions{Env: env, Start: true})
	if err != nil || b.Source != SourceBuildkitHost || b.Address() != "tcp://far:1234" || b.Embedded != nil {
		t.Fatalf("BUILDKIT_HOST: %+v %v", b, err)
	}
	env = testEnv(t)
	b, err = ResolveBuilder(t.Context(), ResolveOptions{Env: env})
	if err != nil || b.Source != SourceEmbedded || b.Embedded == nil || b.Address() != "unix://"+env.Get(embedded.EnvSocket) {
		t.Fatalf("embedded: %+v %v", b, err)
	}
	if st, err := b.Embedded.Status(t.Context()); err != nil || st.Reachable {
		t.Errorf("resolving without Start started the embedded builder: %+v %v", st, err)
	}
}

// TestBuilderError: a named builder's failed node names the builder; the
// typed error stays reachable; other failures keep their own words.
func TestBuilderError(t *testing.T) {
	down := &builder.UnreachableError{Address: "tcp://b:1", Err: errors.New("connection refused")}
	err := error(&BuilderError{Source: SourceNamed, Name: "pair", Err: down})
	var ue *builder.UnreachableError
	if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "builder pair: no builder reachable at tcp://b:1") {
		t.Errorf("named node down: %v", err)
	}
	refused := &build.PushRefusedError{Ref: "r/a:b", StatusCode: 401}
	if err := (&BuilderError{Source: SourceNamed, Name: "pair", Err: refused}); err.Error() != refused.Error() {
		t.Errorf("named push refused: %v", err)
	}
	if err := (&BuilderError{Source: SourceBuildkitHost, Address: "tcp://b:1", Err: down}); err.Error() != down.Error() {
		t.Errorf("BUILDKIT_HOST down: %v", err)
	}
}

// TestCreateListRemoveBuilder: bad builders and taken names are refused,
// a node that does not answer fails the check (not stored), and a stored
// builder is listed and removed.
func TestCreateListRemoveBuilder(t *testing.T) {
	env := testEnv(t)
	dead := "unix://" + filepath.Join(t.TempDir(), "dead.sock")
	if _, err := CreateBuilder(t.Context(), CreateOptions{Env: env, Builder: builder.Builder{Name: "x"}}); err == nil || !strings.Contains(err.Error(), "no node") {
		t.Errorf("no node: %v", err)
	}
	rep, err := CreateBuilder(t.Context(), CreateOptions{Env: env, Builder: builder.Builder{Name: "dead", Nodes: []builder.Node{{Endpoint: dead}}}})
	var check *NodeCheckError
	var ue *builder.UnreachableError
	if !errors.As(err, &check) || !errors.As(err, &ue) || check.Name != "dead" || !strings.Contains(err.Error(), "node "+dead+" is not reachable") || rep == nil {
		t.Fatalf("dead node: %+v %v", rep, err)
	}
	l, err := ListBuilders(env)
	if err != nil || len(l.Builders) != 0 || l.Path != filepath.Join(env.Get(builder.EnvConfigDir), "builders.json") {
		t.Fatalf("a failed check stored the builder: %+v %v", l, err)
	}
	b := builder.Builder{Name: "dead", Nodes: []builder.Node{{Endpoint: dead}}}
	if _, err := CreateBuilder(t.Context(), CreateOptions{Env: env, Builder: b, NoCheck: true}); err != nil {
		t.Fatal(err)
	}
	var dup *builder.DuplicateBuilderError
	if _, err := CreateBuilder(t.Context(), CreateOptions{Env: env, Builder: b, NoCheck: true}); !errors.As(err, &dup) || dup.Name != "dead" {
		t.Errorf("duplicate: %v", err)
	}
	if l, err := ListBuilders(env); err != nil || len(l.Builders) != 1 || l.Builders[0].Nodes[0].Endpoint != dead {
		t.Errorf("ls: %+v %v", l, err)
	}
	if err := RemoveBuilder(env, "dead"); err != nil {
		t.Fatal(err)
	}
	var unknown *builder.UnknownBuilderError
	if err := RemoveBuilder(env, "dead"); !errors.As(err, &unknown) {
		t.Errorf("rm twice: %v", err)
	}
}

// TestBuilderStatusNotRunning: a builder that does not answer is a
// status, not an error, for every source.
func TestBuilderStatusNotRunning(t *testing.T) {
	dead := "unix://" + filepath.Join(t.TempDir(), "dead.sock")
	env := testEnv(t, builder.EnvBuildkitHost, dead)
	rep, err := BuilderStatus(t.Context(), StatusOptions{Env: env})
	if err != nil || rep.Source != SourceBuildkitHost || rep.Status.Reachable || rep.Status.Address != dead {
		t.Errorf("BUILDKIT_HOST: %+v %v", rep, err)
	}
	env = testEnv(t)
	rep, err = BuilderStatus(t.Context(), StatusOptions{Env: env})
	if err != nil || rep.Source != SourceEmbedded || rep.Status.Reachable || rep.Status.StateDir != env.Get(embedded.EnvStateDir) {
		t.Errorf("embedded: %+v %v", rep, err)
	}
	if _, err := CreateBuilder(t.Context(), CreateOptions{Env: env, Builder: builder.Builder{Name: "d", Nodes: []builder.Node{{Endpoint: dead}}}, NoCheck: true}); err != nil {
		t.Fatal(err)
	}
	rep, err = BuilderStatus(t.Context(), StatusOptions{Env: env, Builder: "d"})
	var ue *builder.UnreachableError
	if err != nil || rep.Source != SourceNamed || len(rep.Nodes) != 1 || !errors.As(rep.Nodes[0].Err, &ue) {
		t.Errorf("named: %+v %v", rep, err)
	}
}

// TestValidateBuild: a missing Dockerfile is refused before any builder
// is resolved, as an *InvalidBuildError that is still fs.ErrNotExist.
func TestValidateBuild(t *testing.T) {
	o := BuildOptions{Build: build.Options{ContextDir: t.TempDir(), Platforms: testenv.Platforms(t, "linux/amd64")}, Env: testEnv(t)}
	var invalid *InvalidBuildError
	if err := ValidateBuild(o); !errors.As(err, &invalid) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ValidateBuild: %v", err)
	}
	if _, err := Build(t.Context(), o); !errors.As(err, &invalid) {
		t.Errorf("Build: %v", err)
	}
}

// TestDoctorUnknownBuilder: doctor checks the builder ResolveBuilder
// picks, so an unknown name fails before any check.
func TestDoctorUnknownBuilder(t *testing.T) {
	var unknown *builder.UnknownBuilderError
	if rep, err := Doctor(t.Context(), DoctorOptions{Env: testEnv(t), Builder: "nope"}); !errors.As(err, &unknown) || rep != nil {
		t.Errorf("%+v %v", rep, err)
	}
}

// TestSortCellsAndTestTag: build's matrix lists platforms in the order
// they were asked for and names results by the first tag.
func TestSortCellsAndTestTag(t *testing.T) {
	ps := testenv.Platforms(t, "linux/s390x", "linux/amd64", "linux/arm64")
	cells := []imagetest.Cell{{Platform: "linux/arm64"}, {Platform: "linux/amd64"}, {Platform: "linux/s390x"}}
	sortCells(cells, ps)
	if cells[0].Platform != "linux/s390x" || cells[1].Platform != "linux/amd64" || cells[2].Platform != "linux/arm64" {
		t.Errorf("sorted: %+v", cells)
	}
	if testTag(nil) != "(build)" || testTag([]string{"a:1", "b:2"}) != "a:1" {
		t.Errorf("testTag")
	}
}
