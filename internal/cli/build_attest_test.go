package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// scannerScript follows BuildKit's SBOM scanner protocol
// (docs/attestations/sbom-protocol.md): it lists the regular files of
// $BUILDKIT_SCAN_SOURCE and writes an SPDX in-toto statement naming them
// to $BUILDKIT_SCAN_DESTINATION/<name>.spdx.json.
const scannerScript = `set -e
src="$BUILDKIT_SCAN_SOURCE"
out="$BUILDKIT_SCAN_DESTINATION/$(basename "$src").spdx.json"
files=""
for f in $(cd "$src" && find . -type f | sort); do
  files="$files{\"fileName\":\"$f\",\"SPDXID\":\"SPDXRef-File\"},"
done
files="${files%,}"
printf '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[],"predicate":{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"multiarch-test-scan","creationInfo":{"creators":["Tool: multiarch-test-scanner"]},"files":[%s]}}' "$files" > "$out"
`

// pushScanner pushes a busybox image whose entrypoint is scannerScript,
// for every platform in ps (BuildKit runs the scanner on the builder's
// own platform), and returns its reference.
func pushScanner(t *testing.T, reg *testenv.Registry, ps []platform.Platform) string {
	t.Helper()
	var es []testenv.Entry
	for _, p := range ps {
		e := testenv.BusyboxEntry(t, p)
		e.Files = append(e.Files, testenv.File{Path: "/scan.sh", Body: []byte(scannerScript)})
		e.Config.Entrypoint, e.Config.Cmd = []string{"/bin/sh", "/scan.sh"}, nil
		es = append(es, e)
	}
	ref := reg.Ref("scanner", "1")
	testenv.PushIndex(t, ref, testenv.Index(t, testenv.OCI, es...))
	return ref
}

// markerContext is a build context whose image is BASE plus /marker.txt.
func markerContext(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for f, body := range map[string]string{"Dockerfile": "ARG BASE\nFROM ${BASE}\nCOPY marker.txt /marker.txt\n", "marker.txt": "x\n"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// indexEntries reads the index at ref and returns its platform entries
// (platform → digest) and its attestation manifests (subject digest →
// predicate types of their layers).
func indexEntries(t *testing.T, ref string) (map[string]string, map[string][]string) {
	t.Helper()
	idx := remoteIndex(t, ref)
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	plats, atts := map[string]string{}, map[string][]string{}
	for _, d := range im.Manifests {
		subject, ok := registry.Attestation(d)
		if !ok {
			plats[platformKey(d.Platform)] = d.Digest.String()
			continue
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range m.Layers {
			atts[subject] = append(atts[subject], l.Annotations["in-toto.io/predicate-type"])
		}
	}
	return plats, atts
}

// requireAttested fails unless every platform of plats has one
// attestation manifest carrying each of want (predicate type prefixes)
// and no attestation is about anything else.
func requireAttested(t *testing.T, what string, plats map[string]string, atts map[string][]string, want ...string) {
	t.Helper()
	if len(atts) != len(plats) {
		t.Errorf("%s: %d attestation manifests for %d platforms: %v", what, len(atts), len(plats), atts)
	}
	for p, d := range plats {
		got := strings.Join(atts[d], " ")
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %s (%s) attestations %q lack %s", what, p, d, got, w)
			}
		}
	}
}

// TestBuildAttestationsE2E builds for two platforms with an SBOM made by
// a scanner image of the test's own (BuildKit's protocol) and the default
// provenance of a push, then reads the attestations back with inspect,
// checks that verify and test skip them, that index create keeps them and
// that --provenance false turns the default off.
func TestBuildAttestationsE2E(t *testing.T) {
	testenv.LockHostBinfmt(t)
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ps := testenv.Platforms(t, "linux/amd64", "linux/arm64")
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, ps...)
	scanner := pushScanner(t, reg, ps)
	ctxDir := markerContext(t)
	md := filepath.Join(t.TempDir(), "md.json")
	tag := reg.Ref("attested", "1")

	r := runArgs(t, "build", ctxDir, "--platform", "linux/amd64,linux/arm64", "--build-arg", "BASE="+base,
		"-t", tag, "--push", "--sbom", "generator="+scanner, "--metadata-file", md)
	if !r.ok() {
		t.Fatalf("build: %v\n%s", r.err, r.stderr)
	}
	plats, atts := indexEntries(t, tag)
	if len(plats) != 2 {
		t.Fatalf("platforms %v, want linux/amd64 and linux/arm64", plats)
	}
	requireAttested(t, "build", plats, atts, registry.PredicateSPDX, "https://slsa.dev/provenance/")

	checkInspectAttestations(t, tag, plats)
	checkMetadataProvenance(t, md)
	checkAttestedIndexCommands(t, reg, tag, plats)

	off := reg.Ref("attested", "off")
	if r := runArgs(t, "build", ctxDir, "--platform", "linux/amd64,linux/arm64", "--build-arg", "BASE="+base,
		"-t", off, "--push", "--provenance", "false"); !r.ok() {
		t.Fatalf("build --provenance false: %v\n%s", r.err, r.stderr)
	}
	if plats, atts := indexEntries(t, off); len(plats) != 2 || len(atts) != 0 {
		t.Errorf("--provenance false: platforms %v, attestations %v; want 2 platforms and none", plats, atts)
	}

	// Tested before export (a gateway solve): the attestations still
	// reach the index.
	tested := reg.Ref("attested", "tested")
	if r := runArgs(t, "build", ctxDir, "--platform", "linux/amd64,linux/arm64", "--build-arg", "BASE="+base,
		"-t", tested, "--push", "--test", "test -f /marker.txt", "--attest", "type=sbom,generator="+scanner, "--provenance", "mode=max"); !r.ok() {
		t.Fatalf("build --test: %v\n%s", r.err, r.stderr)
	}
	plats, atts = indexEntries(t, tested)
	requireAttested(t, "build --test", plats, atts, registry.PredicateSPDX, "https://slsa.dev/provenance/")

	// An OCI tarball gets provenance only when asked; inspect reads it
	// there, and the metadata file has it too.
	tar, md2 := filepath.Join(t.TempDir(), "out.tar"), filepath.Join(t.TempDir(), "md.json")
	if r := runArgs(t, "build", ctxDir, "--platform", "linux/amd64,linux/arm64", "--build-arg", "BASE="+base,
		"-o", "type=oci,dest="+tar, "--provenance", "true", "--metadata-file", md2); !r.ok() {
		t.Fatalf("build -o type=oci --provenance true: %v\n%s", r.err, r.stderr)
	}
	rep, r := runJSON[app.AttestationReport](t, cliRun{args: []string{"inspect", tar, "--provenance", "--json"}})
	if !r.ok() || len(rep.Platforms) != 2 || rep.Platforms[0].Provenance == nil || len(*rep.Platforms[0].Provenance) != 1 || rep.Platforms[0].SBOM != nil {
		t.Errorf("inspect %s --provenance: %v\n%s", tar, r.err, r.stdout)
	}
	checkMetadataProvenance(t, md2)
}

// checkInspectAttestations: inspect --sbom --provenance prints each
// platform's SPDX document (listing /marker.txt) and SLSA predicate.
func checkInspectAttestations(t *testing.T, tag string, plats map[string]string) {
	t.Helper()
	rep, r := runJSON[app.AttestationReport](t, cliRun{args: []string{"inspect", tag, "--sbom", "--provenance", "--json"}})
	if !r.ok() {
		t.Fatalf("inspect --sbom --provenance --json: %v\n%s", r.err, r.stderr)
	}
	if len(rep.Platforms) != 2 {
		t.Fatalf("inspect --json: %d platforms, want 2: %s", len(rep.Platforms), r.stdout)
	}
	for _, p := range rep.Platforms {
		if plats[p.Platform] != p.Digest {
			t.Errorf("inspect: %s %s is not a platform of the index %v", p.Platform, p.Digest, plats)
		}
		if p.SBOM == nil || len(*p.SBOM) != 1 || !strings.Contains(string((*p.SBOM)[0].Predicate), `"./marker.txt"`) {
			t.Errorf("%s: SBOM %s lacks the scanner's ./marker.txt", p.Platform, r.stdout)
		}
		if p.Provenance == nil || len(*p.Provenance) != 1 || !strings.Contains(string((*p.Provenance)[0].Predicate), "buildDefinition") &&
			!strings.Contains(string((*p.Provenance)[0].Predicate), "buildType") {
			t.Errorf("%s: provenance is not a SLSA predicate: %s", p.Platform, r.stdout)
		}
	}
	r = runArgs(t, "inspect", tag, "--sbom")
	if !r.ok() || !strings.Contains(r.stdout, "linux/arm64") || !strings.Contains(r.stdout, "SBOM (https://spdx.dev/Document)") ||
		!strings.Contains(r.stdout, "./marker.txt") || strings.Contains(r.stdout, "Provenance") {
		t.Errorf("inspect --sbom: %v\n%s", r.err, r.stdout)
	}
}

// checkMetadataProvenance: the metadata file holds buildx's per-platform
// provenance keys, each a SLSA v0.2 predicate as buildx writes it.
func checkMetadataProvenance(t *testing.T, md string) {
	t.Helper()
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"linux/amd64", "linux/arm64"} {
		var prv struct {
			BuildType string `json:"buildType"`
		}
		if err := json.Unmarshal(doc["buildx.build.provenance/"+p], &prv); err != nil || prv.BuildType == "" {
			t.Errorf("metadata lacks buildx.build.provenance/%s with a buildType (%v):\n%s", p, err, b)
		}
	}
	if _, ok := doc["containerimage.digest"]; !ok {
		t.Errorf("metadata lost containerimage.digest:\n%s", b)
	}
}

// checkAttestedIndexCommands: verify passes and says the attestations
// were skipped, test runs the two platforms only, index create keeps the
// attestations next to their images.
func checkAttestedIndexCommands(t *testing.T, reg *testenv.Registry, tag string, plats map[string]string) {
	t.Helper()
	r := runArgs(t, "verify", tag)
	if !r.ok() || !strings.Contains(r.stdout, "attestations: 2 (not scanned)") {
		t.Errorf("verify: %v\n%s\n%s", r.err, r.stdout, r.stderr)
	}
	r = runArgs(t, "test", tag)
	if !r.ok() || !strings.Contains(r.stdout, "linux/amd64") || !strings.Contains(r.stdout, "linux/arm64") ||
		strings.Contains(r.stdout, "unknown") {
		t.Errorf("test: %v\n%s\n%s", r.err, r.stdout, r.stderr)
	}
	created := reg.Ref("attested", "copy")
	if r := runArgs(t, "index", "create", "-t", created, tag); !r.ok() {
		t.Fatalf("index create: %v\n%s", r.err, r.stderr)
	}
	cp, atts := indexEntries(t, created)
	if len(cp) != 2 || cp["linux/amd64"] != plats["linux/amd64"] || cp["linux/arm64"] != plats["linux/arm64"] {
		t.Errorf("index create: platforms %v, want %v", cp, plats)
	}
	requireAttested(t, "index create", cp, atts, registry.PredicateSPDX, "https://slsa.dev/provenance/")
}

// TestBuildSBOMGeneratorUnreachableE2E: a generator the builder cannot
// fetch fails the build with the typed error and its hint; nothing is
// pushed.
func TestBuildSBOMGeneratorUnreachableE2E(t *testing.T) {
	startCLIBuilder(t)
	reg := testenv.StartRegistry(t)
	ps := testenv.Platforms(t, "linux/amd64")
	base := reg.Ref("busybox", "latest")
	testenv.PushBusyboxIndex(t, base, ps...)
	tag := reg.Ref("attested", "never")
	gen := reg.Ref("no-such-scanner", "1")
	r := runArgs(t, "build", markerContext(t), "--platform", "linux/amd64", "--build-arg", "BASE="+base,
		"-t", tag, "--push", "--sbom", "generator="+gen)
	requireFailureSays(t, "unreachable generator", r, "SBOM generator image "+gen, "nothing was built or pushed",
		"--sbom generator=", "--sbom false")
	ref, _ := name.ParseReference(tag)
	if _, err := remote.Head(ref, remote.WithContext(t.Context())); err == nil {
		t.Errorf("%s exists after a failed build", tag)
	}
}

// TestBuildAttestBadInput: each malformed attestation request is refused
// before any builder is contacted, naming the flag and what to write.
func TestBuildAttestBadInput(t *testing.T) {
	t.Setenv(builder.EnvBuildkitHost, "tcp://127.0.0.1:1")
	ctxDir := stampDockerfile(t)
	base := []string{"build", ctxDir, "--platform", "linux/amd64", "-t", "127.0.0.1:5000/x:1", "--push"}
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"attest without type", []string{"--attest", "mode=max"}, []string{"--attest", "no type", "type=provenance or type=sbom"}},
		{"attest unknown type", []string{"--attest", "type=vex"}, []string{"--attest", `unknown type "vex"`, "type=provenance or type=sbom"}},
		{"attest not key=value", []string{"--attest", "type=sbom,generator"}, []string{"--attest", `"generator" is not KEY=VALUE`}},
		{"attest bad csv", []string{"--attest", `type=sbom,"gen`}, []string{"--attest"}},
		{"provenance bad mode", []string{"--provenance", "mode=bogus"}, []string{"--provenance", "mode=bogus", "mode=min or mode=max"}},
		{"provenance bad version", []string{"--attest", "type=provenance,version=v9"}, []string{"version=v9", "v0.2 or version=v1"}},
		{"sbom bad generator", []string{"--sbom", "generator=Not A Ref::"}, []string{"--sbom", "not an image reference"}},
		{"sbom empty generator", []string{"--sbom", "generator="}, []string{"--sbom", "not an image reference"}},
		{"attest disabled not bool", []string{"--attest", "type=sbom,disabled=maybe"}, []string{"disabled=maybe", "true or false"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, cliRun{args: append(append([]string{}, base...), c.args...), stdin: ""})
			requireRefusedOffline(t, c.name, r, c.want...)
		})
	}
}
