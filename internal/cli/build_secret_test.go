package cli

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/crypto/ssh"

	"github.com/multiarch-dev/multiarch/internal/build"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// secretDockerfile's RUN steps mount two required secrets and write only
// their SHA-256 into the image: the build proves it saw them without
// storing them.
const secretDockerfile = `ARG BASE
FROM ${BASE}
RUN --mount=type=secret,id=tok,required sha256sum /run/secrets/tok | cut -d' ' -f1 > /tok.sha
RUN --mount=type=secret,id=fil,required,target=/etc/fil sha256sum /etc/fil | cut -d' ' -f1 > /fil.sha
`

// randomSecret is a value that cannot appear anywhere by chance.
func randomSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "msecret-" + hex.EncodeToString(b)
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func writeContextFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, body := range files {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestBuildSecretE2E builds a RUN that reads two secrets (one from an
// environment variable, one from a file) on three platforms, pushing the
// image and a mode=max registry cache, with JSON progress and a metadata
// file: every platform's image holds the secrets' hashes, and neither
// secret is in any blob the registry stores (layers and cache layers
// decompressed), on stdout, stderr, the progress or the metadata file.
func TestBuildSecretE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64", "linux/arm/v7")
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, ps...)
	ctxDir := writeContextFiles(t, map[string]string{"Dockerfile": secretDockerfile})

	tok, fil := randomSecret(t), randomSecret(t)
	t.Setenv("MULTIARCH_TEST_TOK", tok)
	secretFile := filepath.Join(t.TempDir(), "fil")
	if err := os.WriteFile(secretFile, []byte(fil), 0o600); err != nil {
		t.Fatal(err)
	}
	meta := filepath.Join(t.TempDir(), "meta.json")
	tag, cache := reg.Ref("secret", "v1"), reg.Ref("secret", "cache")
	r := runArgs(t, "build", ctxDir, "--platform", "linux/amd64,linux/arm64,linux/arm/v7",
		"--build-arg", "BASE="+base, "-t", tag, "--push",
		"--secret", "id=tok,env=MULTIARCH_TEST_TOK", "--secret", "id=fil,src="+secretFile,
		"--cache-to", "type=registry,ref="+cache+",mode=max", "--progress", "rawjson", "--metadata-file", meta)
	if !r.ok() {
		t.Fatalf("build: %v\nstderr:\n%s", r.err, r.stderr)
	}

	idx := remoteIndex(t, tag)
	for _, p := range ps {
		img := testenv.ImageFor(t, idx, p)
		for file, want := range map[string]string{"/tok.sha": sha256Hex(tok), "/fil.sha": sha256Hex(fil)} {
			if got := strings.TrimSpace(string(testenv.ReadFile(t, img, file))); got != want {
				t.Errorf("%s %s = %q, want the secret's sha256 %s: the RUN did not see it", p, file, got, want)
			}
		}
	}
	if n := cacheBlobs(t, cache, tok, fil); n < 2*len(ps) {
		t.Errorf("cache manifest %s lists %d layers, want the RUN layers of every platform (≥ %d)", cache, n, 2*len(ps))
	} else {
		t.Logf("cache manifest %s: %d layers read from the registry, none holds a secret", cache, n)
	}
	metaDoc, err := os.ReadFile(meta)
	if err != nil || len(metaDoc) == 0 {
		t.Fatalf("metadata file: %v", err)
	}
	if !strings.Contains(r.stderr, `"vertexes"`) {
		t.Errorf("no rawjson progress on stderr:\n%.2000s", r.stderr)
	}
	outputs := map[string][]byte{"stdout": []byte(r.stdout), "stderr and progress": []byte(r.stderr), "metadata file": metaDoc}
	for what, b := range outputs {
		for _, s := range []string{tok, fil} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("a secret's value is in the %s", what)
			}
		}
	}
	for _, sec := range []string{tok, fil} {
		if n, hits := grepRegistryBlobs(t, reg, sec); hits != 0 {
			t.Errorf("%d of the registry's %d blobs hold a secret's value", hits, n)
		}
	}
	// The search finds what is there: the hash the RUN wrote is in a
	// gzipped layer (one blob: the platforms' RUN layers are the same).
	n, hits := grepRegistryBlobs(t, reg, sha256Hex(tok))
	if hits == 0 {
		t.Errorf("the secret's hash is in none of the registry's %d blobs: the search is blind", n)
	}
	t.Logf("searched %d blobs of the registry (gunzipped): no secret; the secret's hash found in %d", n, hits)

	// The same build without the file secret (--no-cache: a cached RUN
	// needs no secret): BuildKit's "secret fil: not found" becomes a typed
	// error naming the id and the flag.
	r = runArgs(t, "build", ctxDir, "--no-cache", "--platform", "linux/amd64", "--build-arg", "BASE="+base,
		"-t", reg.Ref("secret-missing", "v1"), "--push", "--secret", "id=tok,env=MULTIARCH_TEST_TOK", "--progress", "plain")
	t.Logf("message: %s", r.message())
	requireFailureSays(t, "build without the fil secret", r, `secret "fil"`, "--secret id=fil,src=FILE", "env=VAR")
	var missing *build.MissingSecretError
	if !errors.As(r.err, &missing) || missing.ID != "fil" || missing.Kind != "secret" {
		t.Errorf("error is not a *build.MissingSecretError for fil: %#v", r.err)
	}
	testenv.CheckNotPushed(t, reg.Ref("secret-missing", "v1"))
}

// remoteIndex reads the index at ref.
func remoteIndex(t *testing.T, ref string) v1.ImageIndex {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	return idx
}

// cacheBlobs reads the registry cache manifest at ref (an index or an
// image manifest, as BuildKit writes it) and every blob it lists from the
// registry, failing the test when one holds any of secrets (raw or
// gunzipped); it returns how many of them are layers.
func cacheBlobs(t *testing.T, ref string, secrets ...string) int {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(r, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("cache %s: %v", ref, err)
	}
	requireNoSecret(t, "cache manifest "+ref, desc.Manifest, secrets...)
	var m struct {
		Config    *v1.Descriptor
		Manifests []v1.Descriptor
		Layers    []v1.Descriptor
	}
	if err := json.Unmarshal(desc.Manifest, &m); err != nil {
		t.Fatalf("cache manifest %s: %v", ref, err)
	}
	blobs := append(m.Manifests, m.Layers...)
	if m.Config != nil {
		blobs = append(blobs, *m.Config)
	}
	layers := 0
	for _, d := range blobs {
		if strings.Contains(string(d.MediaType), "layer") {
			layers++
		}
		l, err := remote.Layer(r.Context().Digest(d.Digest.String()), remote.WithContext(t.Context()))
		if err != nil {
			t.Fatal(err)
		}
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("cache blob %s: %v", d.Digest, err)
		}
		requireNoSecret(t, "cache blob "+d.Digest.String(), b, secrets...)
	}
	return layers
}

// requireNoSecret fails the test when b, or b gunzipped, holds any of
// secrets.
func requireNoSecret(t *testing.T, what string, b []byte, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if holds(b, s) {
			t.Errorf("%s holds a secret's value", what)
		}
	}
}

// grepRegistryBlobs searches every blob the registry stores on disk
// (images, caches, configs, manifests), raw and gunzipped, for needle; it
// returns how many blobs it searched and how many hold it.
func grepRegistryBlobs(t *testing.T, reg *testenv.Registry, needle string) (n, hits int) {
	t.Helper()
	root := filepath.Join(filepath.Dir(reg.LogFile), "storage")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "data" {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		n++
		if holds(b, needle) {
			hits++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Fatalf("found only %d blobs under %s: not the registry's storage?", n, root)
	}
	return n, hits
}

// holds reports whether b, or b gunzipped, holds needle.
func holds(b []byte, needle string) bool {
	if bytes.Contains(b, []byte(needle)) {
		return true
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return false
	}
	plain, _ := io.ReadAll(zr)
	return bytes.Contains(plain, []byte(needle))
}

// lsAgentSource lists the identities of the agent at $SSH_AUTH_SOCK, in
// the SSH agent protocol (REQUEST_IDENTITIES), as "SHA256:FP COMMENT"
// lines after a "N keys" line: what `ssh-add -l` prints, with the standard
// library only.
const lsAgentSource = `package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
)

var platform = "unknown"

func main() {
	c, err := net.Dial("unix", os.Getenv("SSH_AUTH_SOCK"))
	if err != nil {
		fmt.Println("dial:", err)
		os.Exit(1)
	}
	c.Write([]byte{0, 0, 0, 1, 11})
	var n uint32
	if err := binary.Read(c, binary.BigEndian, &n); err != nil || n > 1<<20 {
		fmt.Println("no answer:", err)
		os.Exit(1)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(c, msg); err != nil || len(msg) < 5 || msg[0] != 12 {
		fmt.Println("bad answer:", err)
		os.Exit(1)
	}
	count, rest := binary.BigEndian.Uint32(msg[1:5]), msg[5:]
	str := func() []byte {
		l := binary.BigEndian.Uint32(rest)
		s := rest[4 : 4+l]
		rest = rest[4+l:]
		return s
	}
	fmt.Printf("%d keys\n", count)
	for i := uint32(0); i < count; i++ {
		blob, comment := str(), str()
		h := sha256.Sum256(blob)
		fmt.Printf("SHA256:%s %s\n", base64.RawStdEncoding.EncodeToString(h[:]), comment)
	}
}
`

// startSSHAgent starts ssh-agent on a socket of its own holding a new
// ed25519 key with a random comment; it returns the socket, the key file
// and the key's fingerprint line as `ssh-keygen -l` prints it
// ("SHA256:FP COMMENT").
func startSSHAgent(t *testing.T) (sock, key, fp, comment string) {
	t.Helper()
	for _, tool := range []string{"ssh-agent", "ssh-keygen", "ssh-add"} {
		_, err := exec.LookPath(tool)
		testenv.Require(t, err == nil, tool+" is needed (apt-get install openssh-client)")
	}
	dir := t.TempDir()
	key, sock, comment = filepath.Join(dir, "id"), filepath.Join(dir, "agent.sock"), randomSecret(t)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	agent := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("ssh-agent made no socket within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	add := exec.Command("ssh-add", key)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v\n%s", err, out)
	}
	out, err := exec.Command("ssh-keygen", "-l", "-E", "sha256", "-f", key+".pub").Output()
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(out)) // BITS SHA256:FP COMMENT (TYPE)
	if len(f) < 3 {
		t.Fatalf("ssh-keygen -l: %q", out)
	}
	return sock, key, f[1], comment
}

// TestBuildSSHE2E: a RUN with --mount=type=ssh talks to the agent of
// --ssh default ($SSH_AUTH_SOCK, a real ssh-agent) and lists its key, on
// an amd64 and an emulated arm64; with --ssh default=KEYFILE BuildKit's
// own agent serves that key; without --ssh the build fails with a typed
// error naming the flag.
func TestBuildSSHE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	sock, key, fp, comment := startSSHAgent(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, ps...)
	files := map[string]string{"Dockerfile": `ARG BASE
FROM ${BASE}
ARG TARGETARCH
COPY lsagent-${TARGETARCH} /lsagent
RUN --mount=type=ssh,required /lsagent > /agent.txt
`}
	for _, p := range ps {
		files["lsagent-"+p.Arch] = string(testenv.GoBuild(t, p, lsAgentSource))
	}
	ctxDir := writeContextFiles(t, files)
	t.Setenv(envSSHAuthSock, sock)

	for _, c := range []struct{ flag, want string }{
		{"default", "1 keys\n" + fp + " " + comment + "\n"},
		{"default=" + key, "1 keys\n" + fp + " \n"},
	} {
		tag := reg.Ref("ssh", "t"+sha256Hex(c.flag)[:8])
		r := runArgs(t, "build", ctxDir, "--platform", "linux/amd64,linux/arm64", "--build-arg", "BASE="+base,
			"-t", tag, "--push", "--ssh", c.flag, "--progress", "plain", "--no-cache")
		if !r.ok() {
			t.Fatalf("build --ssh %s: %v\nstderr:\n%s", c.flag, r.err, r.stderr)
		}
		idx := remoteIndex(t, tag)
		for _, p := range ps {
			if got := string(testenv.ReadFile(t, testenv.ImageFor(t, idx, p), "/agent.txt")); got != c.want {
				t.Errorf("--ssh %s, %s: the RUN listed the agent's keys as\n%q\nwant\n%q", c.flag, p, got, c.want)
			}
		}
	}

	tag := reg.Ref("ssh-none", "v1")
	r := runArgs(t, "build", ctxDir, "--platform", "linux/amd64", "--build-arg", "BASE="+base, "-t", tag, "--push", "--progress", "plain", "--no-cache")
	t.Logf("message: %s", r.message())
	requireFailureSays(t, "build without --ssh", r, `SSH agent "default"`, "--ssh default", "--ssh default=KEYFILE")
	var missing *build.MissingSecretError
	if !errors.As(r.err, &missing) || missing.ID != "default" || missing.Kind != "ssh" {
		t.Errorf("error is not a *build.MissingSecretError for ssh default: %#v", r.err)
	}
	testenv.CheckNotPushed(t, tag)
}

// TestBuildSecretBadInput: each mistake in --secret or --ssh is refused
// before any builder is contacted, naming the flag and what to write.
func TestBuildSecretBadInput(t *testing.T) {
	t.Setenv(builder.EnvBuildkitHost, "tcp://127.0.0.1:1")
	ctxDir := writeContextFiles(t, map[string]string{"Dockerfile": secretDockerfile})
	dir := t.TempDir()
	garbage := filepath.Join(dir, "notakey")
	if err := os.WriteFile(garbage, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	encrypted := filepath.Join(dir, "enc")
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte("pass phrase"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(encrypted, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, build.MaxSecretSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Unsetenv("MULTIARCH_UNSET_VAR")
	t.Setenv("MULTIARCH_SET_VAR", "x")
	base := []string{"build", ctxDir, "--platform", "linux/amd64", "-t", "127.0.0.1:5000/x:1", "--push"}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"not key=value", []string{"--secret", "tok"}, []string{"--secret", `"tok" is not key=value`, "id=ID,src=FILE"}},
		{"unknown key", []string{"--secret", "id=a,file=x"}, []string{"--secret", `unknown key "file"`}},
		{"unknown type", []string{"--secret", "type=ssh,id=a"}, []string{"--secret", `unsupported type "ssh"`, "type=file", "type=env"}},
		{"no id", []string{"--secret", "src=" + garbage}, []string{"--secret", "no id", "id=ID"}},
		{"missing file", []string{"--secret", "id=a,src=" + filepath.Join(dir, "nope")}, []string{"--secret", "no such file", "env=VAR"}},
		{"directory", []string{"--secret", "id=a,src=" + dir}, []string{"--secret", "not a regular file"}},
		{"too big", []string{"--secret", "id=a,src=" + big}, []string{"--secret", "at most"}},
		{"unset env", []string{"--secret", "id=a,env=MULTIARCH_UNSET_VAR"}, []string{"--secret", "MULTIARCH_UNSET_VAR is not set"}},
		{"unset type=env", []string{"--secret", "type=env,id=a,src=MULTIARCH_UNSET_VAR"}, []string{"MULTIARCH_UNSET_VAR is not set"}},
		{"src and env", []string{"--secret", "id=a,src=" + garbage + ",env=MULTIARCH_SET_VAR"}, []string{"both src and env"}},
		{"id alone, no source", []string{"--secret", "id=MULTIARCH_UNSET_VAR"}, []string{"$MULTIARCH_UNSET_VAR is not set", "no file"}},
		{"duplicate id", []string{"--secret", "id=a,env=MULTIARCH_SET_VAR", "--secret", "id=a,src=" + garbage}, []string{"--secret", "given twice"}},
		{"ssh without agent", []string{"--ssh", "default"}, []string{"--ssh", "$SSH_AUTH_SOCK is not set", "default=SOCKET"}},
		{"ssh missing socket", []string{"--ssh", "default=" + filepath.Join(dir, "agent.sock")}, []string{"--ssh", "no such file"}},
		{"ssh not a key", []string{"--ssh", "default=" + garbage}, []string{`ssh "default"`, garbage, "--ssh default=KEYFILE"}},
		{"ssh key with passphrase", []string{"--ssh", "default=" + encrypted}, []string{`ssh "default"`, "passphrase protected", "add one with a passphrase to ssh-agent"}},
		{"ssh empty id", []string{"--ssh", "=" + garbage}, []string{"--ssh", "no id"}},
		{"ssh duplicate id", []string{"--ssh", "k=" + garbage, "--ssh", "k=" + garbage}, []string{"--ssh", "given twice"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "ssh without agent" {
				t.Setenv(envSSHAuthSock, "")
			}
			r := runCLI(t, cliRun{args: append(append([]string{}, base...), c.args...)})
			requireRefusedOffline(t, c.name, r, c.want...)
		})
	}
}

// TestParseSecretSpellings: buildx's spellings give the sources buildx
// gives them; an environment value is read, a file only named.
func TestParseSecretSpellings(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, []byte("v"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("MULTIARCH_SET_VAR", "from-env")
	t.Chdir(dir)
	cases := []struct {
		spec string
		want build.Secret
	}{
		{"id=a,src=" + file, build.Secret{ID: "a", File: file}},
		{"id=a,source=" + file, build.Secret{ID: "a", File: file}},
		{"type=file,id=a,src=" + file, build.Secret{ID: "a", File: file}},
		{"id=a,env=MULTIARCH_SET_VAR", build.Secret{ID: "a", Value: []byte("from-env")}},
		{"type=env,id=a,src=MULTIARCH_SET_VAR", build.Secret{ID: "a", Value: []byte("from-env")}},
		{"type=env,id=MULTIARCH_SET_VAR", build.Secret{ID: "MULTIARCH_SET_VAR", Value: []byte("from-env")}},
		{"id=MULTIARCH_SET_VAR", build.Secret{ID: "MULTIARCH_SET_VAR", Value: []byte("from-env")}},
		{"id=f", build.Secret{ID: "f", File: "f"}},
		{`"id=a","src=` + file + `"`, build.Secret{ID: "a", File: file}},
	}
	for _, c := range cases {
		got, err := parseSecret(c.spec)
		if err != nil || got.ID != c.want.ID || got.File != c.want.File || string(got.Value) != string(c.want.Value) {
			t.Errorf("parseSecret(%q) = %v %q, %v; want %v %q", c.spec, got, got.Value, err, c.want, c.want.Value)
		}
		if strings.Contains(got.String(), "from-env") {
			t.Errorf("%q: String() shows the value: %s", c.spec, got)
		}
	}
}
