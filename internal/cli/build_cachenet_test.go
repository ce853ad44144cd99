package cli

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// cacheBuild runs build of stampDockerfile's context for linux/amd64 on
// the node at addr, pushing tag, and fails the test when it fails.
func cacheBuild(t *testing.T, addr, ctxDir, base, tag string, extra ...string) cliResult {
	t.Helper()
	t.Setenv(builder.EnvBuildkitHost, addr)
	args := append([]string{"build", ctxDir, "--platform", "linux/amd64", "--build-arg", "BASE=" + base,
		"-t", tag, "--push", "--progress", "plain"}, extra...)
	r := runArgs(t, args...)
	if !r.ok() {
		t.Fatalf("build %v: %v\nstderr:\n%s", extra, r.err, r.stderr)
	}
	return r
}

// requireCachedRun checks that the RUN step of stampDockerfile was taken
// from the cache: plain progress says CACHED for it, and its layer is the
// one of the first build (it writes a random value).
func requireCachedRun(t *testing.T, r cliResult, firstTag, tag string) {
	t.Helper()
	if !cachedStep(r.stderr, "RUN cat /proc/sys/kernel/random/uuid") {
		t.Errorf("progress does not say the RUN step was CACHED:\n%s", r.stderr)
	}
	_, first := topLayers(t, firstTag)
	_, again := topLayers(t, tag)
	if first["linux/amd64"] == "" || again["linux/amd64"] != first["linux/amd64"] {
		t.Errorf("the RUN layer was rebuilt: %v, first build %v", again, first)
	}
}

// cachedStep reports whether plain progress shows the step whose name
// contains step as CACHED (#N [..] step, then #N CACHED).
func cachedStep(progress, step string) bool {
	id := ""
	for line := range strings.Lines(progress) {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		if id == "" && strings.Contains(line, step) {
			id = f[0]
		} else if id != "" && f[0] == id && f[1] == "CACHED" {
			return true
		}
	}
	return false
}

// TestBuildLocalCacheE2E: --cache-to type=local,dest=DIR,mode=max writes
// an OCI layout cache; a fresh builder (nothing in its own cache) given
// --cache-from type=local,src=DIR reuses the RUN step. A failed build
// leaves no cache directory of its own behind.
func TestBuildLocalCacheE2E(t *testing.T) {
	first, second := startCLINode(t), startCLINode(t)
	reg := testenv.StartRegistry(t)
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, "linux/amd64")...)
	ctxDir := stampDockerfile(t)
	dir := filepath.Join(t.TempDir(), "cache")

	tag1 := reg.Ref("local", "one")
	cacheBuild(t, first, ctxDir, base, tag1, "--cache-to", "type=local,dest="+dir+",mode=max")
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		t.Fatalf("no OCI layout cache in %s: %v", dir, err)
	}
	tag2 := reg.Ref("local", "two")
	r := cacheBuild(t, second, ctxDir, base, tag2, "--cache-from", "type=local,src="+dir)
	requireCachedRun(t, r, tag1, tag2)

	// A failing RUN: the fresh cache-to directory is not left half-written.
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "Dockerfile"), []byte("ARG BASE\nFROM ${BASE}\nRUN echo partial > /p\nRUN exit 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	failDir := filepath.Join(t.TempDir(), "failed-cache")
	t.Setenv(builder.EnvBuildkitHost, first)
	r = runArgs(t, "build", bad, "--platform", "linux/amd64", "--build-arg", "BASE="+base,
		"--cache-to", "type=local,dest="+failDir+",mode=max", "--progress", "plain")
	if !r.failed() {
		t.Fatalf("a failing RUN built: %v", r.err)
	}
	if _, err := os.Stat(failDir); !os.IsNotExist(err) {
		t.Errorf("a failed build left its cache directory %s: %v", failDir, err)
	}
}

// TestBuildInlineCacheE2E: --cache-to type=inline with --push embeds the
// cache in the image; a fresh builder imports it with --cache-from
// type=registry,ref=IMAGE and reuses the RUN step.
func TestBuildInlineCacheE2E(t *testing.T) {
	first, second := startCLINode(t), startCLINode(t)
	reg := testenv.StartRegistry(t)
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, "linux/amd64")...)
	ctxDir := stampDockerfile(t)

	tag1 := reg.Ref("inline", "one")
	cacheBuild(t, first, ctxDir, base, tag1, "--cache-to", "type=inline")
	tag2 := reg.Ref("inline", "two")
	r := cacheBuild(t, second, ctxDir, base, tag2, "--cache-from", "type=registry,ref="+tag1)
	requireCachedRun(t, r, tag1, tag2)
}

// TestBuildGHACachePassThroughE2E: a gha cache goes to BuildKit with its
// attributes; without a token (no $ACTIONS_RUNTIME_TOKEN) it is BuildKit
// that refuses it, and the build fails saying so, exporting nothing.
func TestBuildGHACachePassThroughE2E(t *testing.T) {
	addr := startCLINode(t)
	reg := testenv.StartRegistry(t)
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, "linux/amd64")...)
	for _, k := range []string{"ACTIONS_RUNTIME_TOKEN", "ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL", "ACTIONS_CACHE_SERVICE_V2"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv(builder.EnvBuildkitHost, addr)
	tag := reg.Ref("gha", "one")
	r := runArgs(t, "build", stampDockerfile(t), "--platform", "linux/amd64", "--build-arg", "BASE="+base,
		"-t", tag, "--push", "--cache-to", "type=gha,scope=multiarch-test,mode=max")
	requireFailureSays(t, "gha cache without token", r, "build failed", "gha cache backend was refused by the builder",
		"token not set for github actions cache", "ACTIONS_RUNTIME_TOKEN")
	t.Logf("gha failure:\n%s", r.message())
	if ref, err := name.ParseReference(tag); err != nil {
		t.Fatal(err)
	} else if _, err := remote.Head(ref, remote.WithContext(t.Context())); err == nil {
		t.Errorf("%s was pushed by a build whose cache export failed", tag)
	}
}

// loopbackServer serves body over HTTP on 127.0.0.1 for the test's
// duration and returns its address (IP:PORT).
func loopbackServer(t *testing.T, body string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, body) })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// TestBuildNetworkSandboxE2E: --network host reaches a server on the
// host's loopback, --network none does not; --add-host (IPv4 and IPv6
// forms), --shm-size and --ulimit are what the RUN step sees.
func TestBuildNetworkSandboxE2E(t *testing.T) {
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, testenv.Platforms(t, "linux/amd64")...)
	addr := loopbackServer(t, "hello-from-the-host")
	dir := t.TempDir()
	// busybox's nc, not its wget (which crashes in the static build).
	df := "ARG BASE\nFROM ${BASE}\nARG ADDR\nRUN printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${ADDR%:*} ${ADDR##*:} | grep -q hello-from-the-host\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(extra ...string) cliResult {
		return runArgs(t, append([]string{"build", dir, "--platform", "linux/amd64", "--build-arg", "BASE=" + base,
			"--build-arg", "ADDR=" + addr, "--progress", "plain", "--no-cache"}, extra...)...)
	}
	if r := build("--network", "host"); !r.ok() {
		t.Errorf("--network host did not reach %s: %v\n%s", addr, r.err, r.stderr)
	}
	if r := build("--network", "host", "--allow", "network.host"); !r.ok() {
		t.Errorf("--network host --allow network.host: %v\n%s", r.err, r.stderr)
	}
	r := build("--network", "none")
	requireFailureSays(t, "--network none", r, "nc -w 5")

	sandbox := t.TempDir()
	df = "ARG BASE\nFROM ${BASE}\n" +
		"RUN grep -E '^10\\.1\\.2\\.3[[:space:]]+db\\.example$' /etc/hosts && grep -E '^2001:db8::7[[:space:]]+v6\\.example$' /etc/hosts && grep -E '^::1[[:space:]]+loop6$' /etc/hosts\n" +
		"RUN df -k /dev/shm | grep -E '[[:space:]]131072[[:space:]]'\n" +
		"RUN test \"$(ulimit -n)\" = 1024 && test \"$(ulimit -Hn)\" = 2048\n"
	if err := os.WriteFile(filepath.Join(sandbox, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runArgs(t, "build", sandbox, "--platform", "linux/amd64", "--build-arg", "BASE="+base, "--progress", "plain",
		"--add-host", "db.example:10.1.2.3", "--add-host", "v6.example=2001:db8::7", "--add-host", "loop6:[::1]",
		"--shm-size", "128m", "--ulimit", "nofile=1024:2048")
	if !r.ok() {
		t.Errorf("sandbox flags not seen by RUN: %v\n%s", r.err, r.stderr)
	}
}

// TestBuildEntitlementRefusedE2E: a node whose buildkitd grants no
// entitlements refuses --network host and --allow security.insecure; the
// error names the entitlement and says how to start buildkitd with it.
func TestBuildEntitlementRefusedE2E(t *testing.T) {
	d := testenv.StartBuildkitd(t)
	t.Setenv(builder.EnvBuildkitHost, d.Address)
	ctxDir := scratchContext(t, "x\n")
	for _, c := range []struct {
		flags []string
		ent   string
	}{
		{[]string{"--network", "host"}, "network.host"},
		{[]string{"--allow", "security.insecure"}, "security.insecure"},
	} {
		r := runArgs(t, append([]string{"build", ctxDir, "--platform", "linux/amd64"}, c.flags...)...)
		requireFailureSays(t, strings.Join(c.flags, " "), r, "does not grant the entitlement "+c.ent,
			"--allow-insecure-entitlement "+c.ent)
		t.Logf("%s", r.stderr)
	}
}

// TestBuildCacheNetBadInput: each mistake is refused before any builder is
// contacted, naming the flag and what to write.
func TestBuildCacheNetBadInput(t *testing.T) {
	t.Setenv(builder.EnvBuildkitHost, "tcp://127.0.0.1:1")
	ctxDir := stampDockerfile(t)
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{"build", ctxDir, "--platform", "linux/amd64", "-t", "127.0.0.1:5000/x:1"}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"unknown cache type", []string{"--push", "--cache-to", "type=nfs,dest=/x"}, []string{"--cache-to", "unknown type \"nfs\"", "registry, local, inline, gha, s3, azblob"}},
		{"local cache-to without dest", []string{"--push", "--cache-to", "type=local,src=/x"}, []string{"--cache-to", "needs dest=DIR"}},
		{"local cache-from without src", []string{"--push", "--cache-from", "type=local"}, []string{"--cache-from", "src=DIR"}},
		{"local cache-to dest is a file", []string{"--push", "--cache-to", "type=local,dest=" + file}, []string{"not a directory"}},
		{"registry without ref", []string{"--push", "--cache-from", "type=registry,mode=max"}, []string{"--cache-from", "ref"}},
		{"bad mode", []string{"--push", "--cache-to", "type=registry,ref=127.0.0.1:5000/c:1,mode=all"}, []string{"mode=min or mode=max"}},
		{"inline import", []string{"--push", "--cache-from", "type=inline"}, []string{"type=registry,ref=IMAGE"}},
		{"inline without export", []string{"--cache-to", "type=inline"}, []string{"type=inline", "exports none"}},
		{"malformed attribute", []string{"--push", "--cache-to", "type=local,dest"}, []string{"not key=value"}},
		{"network", []string{"--push", "--network", "bridge"}, []string{"network mode \"bridge\"", "default, none or host"}},
		{"allow", []string{"--push", "--allow", "network.host,net.admin"}, []string{"--allow", "net.admin", "security.insecure"}},
		{"add-host", []string{"--push", "--add-host", "db"}, []string{"--add-host \"db\"", "HOST:IP"}},
		{"add-host ip", []string{"--push", "--add-host", "db:1.2.3"}, []string{"--add-host", "HOST:IP"}},
		{"shm-size", []string{"--push", "--shm-size", "lots"}, []string{"--shm-size \"lots\"", "64m"}},
		{"ulimit", []string{"--push", "--ulimit", "nofile=2048:1024"}, []string{"--ulimit", "NAME=SOFT[:HARD]"}},
		{"ulimit name", []string{"--push", "--ulimit", "files=1"}, []string{"--ulimit", "files"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, cliRun{args: append(append([]string{}, base...), c.args...), stdin: ""})
			requireRefusedOffline(t, c.name, r, c.want...)
		})
	}
}
