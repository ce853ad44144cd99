package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// envEmbedded points the embedded builder of every command at temp dirs
// (as $MULTIARCH_STATE_DIR and $MULTIARCH_SOCKET do), with no
// $BUILDKIT_HOST or $MULTIARCH_BUILDER and an empty builder store, and
// stops it when the test ends. It returns the state dir.
func envEmbedded(t *testing.T) string {
	t.Helper()
	requireBuildkitd(t)
	tempConfigDir(t)
	for _, k := range []string{builder.EnvBuildkitHost, builder.EnvBuilder} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	state, sock := tempBuilderDirs(t)
	t.Setenv(embedded.EnvStateDir, state)
	t.Setenv(embedded.EnvSocket, sock)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("buildkitd log:\n%s", testenv.LogTail(filepath.Join(state, "buildkitd.log")))
		}
		runCLI(t, cliRun{ctx: context.Background(), args: []string{"builder", "down"}})
	})
	return state
}

// embeddedPID is the pid in the embedded builder's pid file (0: none).
func embeddedPID(t *testing.T, state string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(state, "buildkitd.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBuilderMirrorE2E: `builder up --mirror docker.io=HOST` makes a build
// of `FROM busybox` (docker.io/library/busybox, which this machine cannot
// reach) pull it from the mirror, whose request log shows it served the
// image; `builder du` then lists the build's records and `builder prune`
// frees them (--keep-storage above the cache keeps them, --all frees all
// not in use).
func TestBuilderMirrorE2E(t *testing.T) {
	state := envEmbedded(t)
	reg := testenv.StartRegistry(t)
	mirror := testenv.StartFaultProxy(t, reg)
	// Pushed to the registry itself: the mirror's log holds only the
	// builder's requests.
	testenv.PushBusyboxIndex(t, reg.Ref("library/busybox", "latest"), testenv.Platforms(t, "linux/amd64")...)

	r := runArgs(t, "builder", "up", "--mirror", "docker.io=https://"+mirror.Host)
	requireFailureSays(t, "mirror with a scheme", r, "has a scheme", "HOST[:PORT]")
	if pid := embeddedPID(t, state); pid != 0 {
		t.Fatalf("a refused --mirror started the builder (pid %d)", pid)
	}

	r = runArgs(t, "builder", "up", "--mirror", "docker.io="+mirror.Host)
	if !r.ok() || !strings.Contains(r.stdout, "mirror:    docker.io -> "+mirror.Host) {
		t.Fatalf("up --mirror: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	cfg := readFile(t, filepath.Join(state, "buildkitd.toml"))
	if !strings.Contains(cfg, "[registry.\"docker.io\"]\n  mirrors = [\""+mirror.Host+"\"]") || !strings.Contains(cfg, "[registry.\""+mirror.Host+"\"]\n  http = true") {
		t.Fatalf("generated config lacks the mirror:\n%s", cfg)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox\nRUN echo mirrored > /proof\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runArgs(t, "build", dir, "--platform", "linux/amd64", "--progress", "plain")
	if !r.ok() {
		t.Fatalf("build FROM busybox through the mirror: %v\n%s\n%s", r.err, r.stdout, r.stderr)
	}
	if n := mirror.Hits("GET", `^/v2/library/busybox/manifests/`); n == 0 {
		t.Fatalf("the mirror served no busybox manifest; its requests: %v", mirror.Requests())
	}
	if n := mirror.Hits("GET", `^/v2/library/busybox/blobs/sha256:`); n == 0 {
		t.Fatalf("the mirror served no busybox blob; its requests: %v", mirror.Requests())
	}
	t.Logf("mirror requests: %v", mirror.Requests())

	// A later up without --mirror keeps it; build's on-demand start
	// would write the same config.
	r = runArgs(t, "builder", "up")
	if !r.ok() || !strings.Contains(r.stdout, "already running") || !strings.Contains(r.stdout, "mirror:    docker.io") {
		t.Fatalf("up without --mirror should keep it and not restart: %v\n%s", r.err, r.stdout)
	}
	if r = runArgs(t, "builder", "status"); !r.ok() || !strings.Contains(r.stdout, "mirror:    docker.io -> "+mirror.Host) {
		t.Errorf("status does not show the mirror: %v\n%s", r.err, r.stdout)
	}

	checkDuPrune(t)
}

// checkDuPrune: du lists the records of the build just done; prune
// --keep-storage keeps some of them, prune --all frees the rest.
func checkDuPrune(t *testing.T) {
	t.Helper()
	du, r := runJSON[app.CacheReport](t, cliRun{args: []string{"builder", "du", "--json"}})
	if !r.ok() || len(du.Nodes) != 1 || len(du.Nodes[0].Records) == 0 || du.Nodes[0].Total <= 0 {
		t.Fatalf("du after a build: %v\n%s", r.err, r.stdout)
	}
	before := du.Nodes[0]
	r = runArgs(t, "builder", "du", "--verbose")
	if !r.ok() || !strings.Contains(r.stdout, "DESCRIPTION") || !strings.Contains(r.stdout, "records:      "+strconv.Itoa(len(before.Records))) {
		t.Fatalf("du --verbose: %v\n%s", r.err, r.stdout)
	}
	t.Logf("du --verbose:\n%s", r.stdout)
	r = runArgs(t, "builder", "prune", "--keep-storage", "not-a-size")
	requireFailureSays(t, "prune --keep-storage not-a-size", r, `--keep-storage "not-a-size": not a size`)
	r = runArgs(t, "builder", "du", "--filter", "nokey")
	requireFailureSays(t, "du --filter nokey", r, `filter "nokey": write KEY=VALUE`)

	// BuildKit frees records one at a time, least recently used first,
	// until the cache is below --keep-storage: a budget above the cache
	// frees nothing, where --all alone frees everything.
	keep := before.Total + 1<<20
	pr, r := runJSON[app.CacheReport](t, cliRun{args: []string{"builder", "prune", "--all", "--keep-storage", strconv.FormatInt(keep, 10), "--json"}})
	if !r.ok() {
		t.Fatalf("prune --keep-storage: %v\n%s", r.err, r.stdout)
	}
	du, _ = runJSON[app.CacheReport](t, cliRun{args: []string{"builder", "du", "--json"}})
	if len(pr.Nodes[0].Records) != 0 || du.Nodes[0].Total != before.Total {
		t.Errorf("prune --all --keep-storage %d (above the cache's %d bytes) freed %d records; %d bytes left", keep, before.Total, len(pr.Nodes[0].Records), du.Nodes[0].Total)
	}
	r = runArgs(t, "builder", "prune", "--keep-storage", "1GB", "--keep-duration", "1h")
	if !r.ok() || !strings.Contains(r.stdout, "records:      0") {
		t.Errorf("prune keeping 1GB and the last hour freed something: %v\n%s", r.err, r.stdout)
	}
	r = runArgs(t, "builder", "prune", "--all")
	if !r.ok() || !strings.Contains(r.stdout, "records:      "+strconv.Itoa(len(before.Records))) {
		t.Fatalf("prune --all: %v\n%s", r.err, r.stdout)
	}
	du, _ = runJSON[app.CacheReport](t, cliRun{args: []string{"builder", "du", "--json"}})
	if du.Nodes[0].Reclaimable != 0 {
		b, _ := json.Marshal(du)
		t.Errorf("after prune --all, %d bytes are still reclaimable: %s", du.Nodes[0].Reclaimable, b)
	}
}

// TestBuilderConfigMergeE2E: --buildkitd-config merges the user's keys
// into the generated config (multiarch's socket and root stay), the daemon
// starts with them; bad TOML or an unknown key is refused naming the file
// and line, before anything starts, and a running builder is left as it
// was; --reset drops the kept config.
func TestBuilderConfigMergeE2E(t *testing.T) {
	state := envEmbedded(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bad := write("bad.toml", "[log]\n  level = \"debug\"\n[worker.oci\n")
	unknown := write("unknown.toml", "debug = true\n\n\nfrobnicate = true\n[log]\n  level = \"debug\"\n")
	good := write("good.toml", "root = \"/somewhere/else\"\n[log]\n  level = \"debug\"\n[worker.oci]\n  gc = true\n  gckeepstorage = \"3GB\"\n")

	r := runArgs(t, "builder", "up", "--buildkitd-config", bad)
	requireFailureSays(t, "bad TOML", r, bad+":3")
	r = runArgs(t, "builder", "up", "--buildkitd-config", unknown)
	requireFailureSays(t, "unknown key", r, unknown+":4: frobnicate: buildkitd has no such setting")
	if pid := embeddedPID(t, state); pid != 0 {
		t.Fatalf("a refused config started the builder (pid %d)", pid)
	}

	r = runArgs(t, "builder", "up", "--buildkitd-config", good)
	if !r.ok() || !strings.Contains(r.stdout, "config:    "+good+" merged into") {
		t.Fatalf("up --buildkitd-config: %v\n%s%s", r.err, r.stdout, r.stderr)
	}
	cfg := readFile(t, filepath.Join(state, "buildkitd.toml"))
	for _, want := range []string{"gckeepstorage = '3GB'", "level = 'debug'", "root = '" + filepath.Join(state, "root") + "'"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("merged config lacks %q:\n%s", want, cfg)
		}
	}
	if strings.Contains(cfg, "/somewhere/else") {
		t.Errorf("the user's root replaced multiarch's:\n%s", cfg)
	}
	if log := readFile(t, filepath.Join(state, "buildkitd.log")); !strings.Contains(log, "level=debug") {
		t.Errorf("the daemon does not run with the user's log level:\n%s", testenv.LogTail(filepath.Join(state, "buildkitd.log")))
	}
	pid := embeddedPID(t, state)
	r = runArgs(t, "builder", "up", "--buildkitd-config", unknown)
	requireFailureSays(t, "unknown key on a running builder", r, unknown+":4")
	if got := embeddedPID(t, state); got != pid || readFile(t, filepath.Join(state, "buildkitd.toml")) != cfg {
		t.Fatalf("a refused config touched the running builder: pid %d -> %d", pid, got)
	}
	r = runArgs(t, "builder", "up", "--reset")
	if !r.ok() || !strings.Contains(r.stdout, "restarted the builder") {
		t.Fatalf("up --reset: %v\n%s", r.err, r.stdout)
	}
	if cfg := readFile(t, filepath.Join(state, "buildkitd.toml")); strings.Contains(cfg, "gckeepstorage") {
		t.Errorf("--reset kept the user's config:\n%s", cfg)
	}
}
