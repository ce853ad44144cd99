package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuildSyntaxOfflineE2E: a Dockerfile whose `# syntax=` line names
// Docker Hub's frontend image, on a real builder that cannot reach Docker
// Hub (none of these tests can): the build fails at once with exit 1,
// saying which line asked for which image and the ways out, and it does
// not fall back to the built-in frontend behind the user's back.
func TestBuildSyntaxOfflineE2E(t *testing.T) {
	startCLIBuilder(t)
	dir := t.TempDir()
	df := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(df, []byte("# syntax=docker/dockerfile:1\nFROM scratch\nCOPY Dockerfile /x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runArgs(t, "build", dir, "--platform", "linux/amd64", "--progress", "plain")
	t.Logf("stderr:\n%s", r.stderr)
	requireFailureSays(t, "build with an unreachable # syntax= image", r,
		"the `# syntax=docker/dockerfile:1` line of "+df+" (line 1)",
		"Dockerfile frontend image docker.io/docker/dockerfile:1",
		"the builder cannot fetch that image",
		`[registry."docker.io"] mirrors`,
		"BUILDKIT_SYNTAX build argument",
		"delete the `# syntax=` line",
		"--build-arg BUILDKIT_SYNTAX=REGISTRY/docker/dockerfile:1")
	if strings.Contains(r.stdout, "built 1 platform") {
		t.Errorf("the build went on without its frontend:\n%s", r.stdout)
	}
}
