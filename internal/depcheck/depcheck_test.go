package depcheck

import (
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

// TestTiers fails for every import that crosses a tier.
func TestTiers(t *testing.T) {
	for _, p := range listPackages(t) {
		for _, r := range rules {
			if owned(p.path, r.owners) {
				continue
			}
			for _, imp := range p.imports {
				if imports(imp, r.prefix) {
					t.Errorf("%s imports %s: only %v may (move the code behind their API)", p.path, imp, r.owners)
				}
			}
			if owned(p.path, r.testOwners) {
				continue
			}
			for _, imp := range p.testImports {
				if imports(imp, r.prefix) {
					t.Errorf("tests of %s import %s: only %v and tests of %v may", p.path, imp, r.owners, r.testOwners)
				}
			}
		}
	}
}

// TestRulesMatch keeps the rules honest: each prefix is imported by some
// package of the module, so a rule never guards nothing.
func TestRulesMatch(t *testing.T) {
	ps := listPackages(t)
	for _, r := range rules {
		if r.prefix == "internal/app" {
			continue // the application tier is new; it may not exist yet
		}
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
