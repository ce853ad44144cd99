package depcheck

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/multiarch-dev/multiarch"

// pkg is one package of the module as `go list` sees it: its own imports
// and those of its _test.go files.
type pkg struct {
	path        string
	imports     []string
	testImports []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-f",
		"{{.ImportPath}}|{{join .Imports \",\"}}|{{join .TestImports \",\"}},{{join .XTestImports \",\"}}",
		module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var ps []pkg
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		if len(f) != 3 {
			t.Fatalf("go list printed %q", line)
		}
		ps = append(ps, pkg{path: strings.TrimPrefix(f[0], module+"/"), imports: split(f[1]), testImports: split(f[2])})
	}
	if len(ps) < 10 {
		t.Fatalf("go list found only %d packages", len(ps))
	}
	return ps
}

func split(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x != "" {
			out = append(out, strings.TrimPrefix(x, module+"/"))
		}
	}
	return out
}

// rule says which packages may import what starts with prefix: code in
// owners (a path, or path/... for it and every package below), and test
// code in owners and testOwners.
type rule struct {
	prefix     string
	owners     []string
	testOwners []string
}

var rules = []rule{
	{prefix: "github.com/moby/buildkit", owners: []string{"internal/build/...", "internal/builder/...", "internal/testenv"}},
	{prefix: "github.com/google/go-containerregistry", owners: []string{"internal/registry", "internal/testenv"}, testOwners: []string{"..."}},
	{prefix: "github.com/containerd/platforms", owners: []string{"internal/platform"}, testOwners: []string{"internal/platform"}},
	{prefix: "github.com/spf13/cobra", owners: []string{"internal/cli", "cmd/..."}, testOwners: []string{"internal/cli", "cmd/..."}},
	// The application tier and the CLI sit above every engine: only the
	// CLI calls the application tier, only cmd/ calls the CLI.
	{prefix: "internal/app", owners: []string{"internal/cli"}, testOwners: []string{"internal/cli", "internal/app/..."}},
	{prefix: "internal/cli", owners: []string{"cmd/..."}, testOwners: []string{"cmd/..."}},
}

func matches(path, pattern string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return path == base || strings.HasPrefix(path, base+"/")
	}
	return path == pattern
}

func imports(imp, prefix string) bool {
	return imp == prefix || strings.HasPrefix(imp, prefix+"/")
}

func owned(path string, patterns []string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return matches(path, p) })
}

// violations are the imports of ps that cross a tier, one line each.
func violations(ps []pkg) []string {
	var out []string
	for _, p := range ps {
		for _, r := range rules {
			if owned(p.path, r.owners) {
				continue
			}
			for _, imp := range p.imports {
				if imports(imp, r.prefix) {
					out = append(out, fmt.Sprintf("%s imports %s: only %v may (move the code behind their API)", p.path, imp, r.owners))
				}
			}
			if owned(p.path, r.testOwners) {
				continue
			}
			for _, imp := range p.testImports {
				if imports(imp, r.prefix) {
					out = append(out, fmt.Sprintf("tests of %s import %s: only %v and tests of %v may", p.path, imp, r.owners, r.testOwners))
				}
			}
		}
	}
	return out
}

// TestTiers fails for every import that crosses a tier.
func TestTiers(t *testing.T) {
	for _, v := range violations(listPackages(t)) {
		t.Error(v)
	}
}

// TestViolations: the check reports what CONTRIBUTING.md forbids, in code
// and in tests, and lets through what it allows.
func TestViolations(t *testing.T) {
	bk, ggcr, plat := "github.com/moby/buildkit/client", "github.com/google/go-containerregistry/pkg/v1", "github.com/containerd/platforms"
	for _, c := range []struct {
		p    pkg
		want int
	}{
		{pkg{path: "internal/build/container", imports: []string{bk}, testImports: []string{bk}}, 0},
		{pkg{path: "internal/testenv", imports: []string{bk, ggcr}}, 0},
		{pkg{path: "internal/verify", testImports: []string{ggcr}}, 0},
		{pkg{path: "internal/cli", imports: []string{"internal/app", "github.com/spf13/cobra"}}, 0},
		{pkg{path: "internal/app", testImports: []string{"internal/app"}}, 0},
		{pkg{path: "internal/doctor", imports: []string{bk}}, 1},
		{pkg{path: "internal/cli", testImports: []string{bk}}, 1},
		{pkg{path: "internal/verify", imports: []string{ggcr}}, 1},
		{pkg{path: "internal/imagetest", testImports: []string{plat}}, 1},
		{pkg{path: "internal/pipeline", imports: []string{"internal/app"}, testImports: []string{"internal/cli"}}, 2},
		{pkg{path: "internal/builderx", imports: []string{"github.com/moby/buildkitx"}}, 0},
	} {
		if got := violations([]pkg{c.p}); len(got) != c.want {
			t.Errorf("%+v: %d violation(s) %q, want %d", c.p, len(got), got, c.want)
		}
	}
}

// TestRulesMatch keeps the rules honest: each prefix is imported by some
// package of the module, so a rule never guards nothing.
func TestRulesMatch(t *testing.T) {
	ps := listPackages(t)
	for _, r := range rules {
		found := slices.ContainsFunc(ps, func(p pkg) bool {
			return slices.ContainsFunc(p.imports, func(i string) bool { return imports(i, r.prefix) })
		})
		if !found {
			t.Errorf("no package imports %s: the rule for it is stale", r.prefix)
		}
	}
}

func TestMatches(t *testing.T) {
	for _, c := range []struct {
		path, pattern string
		want          bool
	}{
		{"internal/build", "internal/build/...", true},
		{"internal/build/container", "internal/build/...", true},
		{"internal/builder", "internal/build/...", false},
		{"internal/registry", "internal/registry", true},
		{"internal/registryx", "internal/registry", false},
		{"anything", "...", true},
	} {
		if got := matches(c.path, c.pattern); got != c.want {
			t.Errorf("matches(%q, %q) = %v, want %v", c.path, c.pattern, got, c.want)
		}
	}
}
