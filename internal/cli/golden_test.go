package cli

// Golden files: every --json document multiarch prints (binfmt ls,
// doctor, inspect, verify, index create, test, ci) is a contract that
// scripts parse. Each TestGolden* runs one command in-process (runCLI) on
// inputs made deterministic, normalises only what still varies from run
// to run, and compares stdout byte for byte with
// testdata/golden/NAME.json.
//
// Workflow:
//
//	go test ./internal/cli -run Golden            compare
//	go test ./internal/cli -run Golden -update    rewrite the files from this run
//
// After -update, read `git diff internal/cli/testdata/golden`: each change
// there is a change of the JSON users parse (a key renamed, a status
// spelled differently, a field dropped or added) and goes into the commit
// that made it, said in its message. TestGoldenCatchesChanges proves the
// normaliser hides none of those.
//
// What is normalised, and why; nothing else is:
//   - "duration_seconds" (at any depth) → 0: wall time.
//   - the registry's host:port → REGISTRY: a free port per run.
//   - temporary paths → QEMU_DIR, BINFMT_DIR, SOCKET: t.TempDir and
//     the test builder's socket dir; examples/hello → HELLO: the checkout.
//   - doctor: the kernel release → KERNEL: the host's.
//   - the builder's address → BUILDER: a socket in a temp dir.
//   - test and ci: the digests of their images → sha256:<what it is>.
//     test runs busybox fixtures, built from the Debian busybox-static
//     the cache holds (scripts/fetch-busybox.sh pins no version); ci's
//     images are BuildKit builds, stamped with the time they were built.
//     Each digest is replaced by value, looked up in the registry, never
//     read from the output, so a wrong or swapped digest still fails.
//
// Images of inspect, verify and index create are built here from fixed
// bytes (a 64-byte ELF header per platform, epoch timestamps): their
// digests and sizes are real and checked. doctor runs on a fake host
// (noQEMUHost). test and ci need a real builder and QEMU, and assume an
// x86-64 host set up as `make setup` does (its cells run natively; ci's
// doctor step counts every check passed).

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from this run (go test ./internal/cli -run Golden -update)")

// normaliser maps what varies from run to run in a --json document to a
// fixed placeholder: duration_seconds to 0, and each of values (old, new
// pairs, the first that matches at a position wins: longest first).
type normaliser struct{ values []string }

var durationRE = regexp.MustCompile(`("duration_seconds": )[-+0-9.eE]+`)

func (n normaliser) apply(doc string) string {
	doc = durationRE.ReplaceAllString(doc, "${1}0")
	if len(n.values) == 0 {
		return doc
	}
	return strings.NewReplacer(n.values...).Replace(doc)
}

// checkGolden compares the normalised doc with testdata/golden/name.json,
// or rewrites that file under -update.
func checkGolden(t *testing.T, name, doc string, n normaliser) {
	t.Helper()
	got := n.apply(doc)
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/cli -run Golden -update writes it)", err)
	}
	if err := compareGolden(want, []byte(got)); err != nil {
		t.Errorf("%s: %v\n(if the change is intended: go test ./internal/cli -run Golden -update, and review the diff)\ngot:\n%s", path, err, got)
	}
}

// compareGolden is nil when got is want, byte for byte; else it names the
// first line that differs.
func compareGolden(want, got []byte) error {
	if bytes.Equal(want, got) {
		return nil
	}
	wl, gl := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			return fmt.Errorf("line %d differs:\nwant %q\ngot  %q", i+1, w, g)
		}
	}
	return fmt.Errorf("differs") // unreachable: equal lines are equal bytes
}

// goldenJSON runs args, which print a --json document, expecting exit
// code code, and returns stdout.
func goldenJSON(t *testing.T, code int, args ...string) string {
	t.Helper()
	r := runArgs(t, args...)
	if r.code != code {
		t.Fatalf("exit %d (%v), want %d\nstdout:\n%s\nstderr:\n%s", r.code, r.err, code, r.stdout, r.stderr)
	}
	return r.stdout
}

// TestGoldenCatchesChanges: for every golden file, a run that differs
// only in what the normaliser maps (another port, temp dirs, durations,
// digests) passes, and the same run with one real change to its JSON
// fails: a renamed key, a status spelled differently, a dropped field, a
// changed number or digest, one digest where another belongs.
func TestGoldenCatchesChanges(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(files) < 7 {
		t.Fatalf("want a golden file per --json document, got %v (%v)", files, err)
	}
	applied := map[string]int{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			golden, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			run, n := asRun(string(golden))
			if err := compareGolden(golden, []byte(n.apply(run))); err != nil {
				t.Fatalf("a run differing only in what varies is rejected: %v", err)
			}
			for what, change := range goldenChanges {
				changed := change(run)
				if changed == run {
					continue // nothing of that kind in this document
				}
				applied[what]++
				if compareGolden(golden, []byte(n.apply(changed))) == nil {
					t.Errorf("%s is not caught", what)
				}
			}
		})
	}
	for what := range goldenChanges {
		if applied[what] == 0 {
			t.Errorf("%s: no golden file has anything to change", what)
		}
	}
}

// goldenPlaceholder matches what the golden tests put in place of what
// varies.
var goldenPlaceholder = regexp.MustCompile(`sha256:<[^>]+>|\b(REGISTRY|QEMU_DIR|BINFMT_DIR|SOCKET|BUILDER|HELLO|KERNEL)\b`)

// asRun turns a golden document back into what a run prints (each
// placeholder a value of its own, durations not 0) and returns the
// normaliser that run's test would use.
func asRun(golden string) (string, normaliser) {
	var n normaliser
	seen := map[string]string{}
	run := goldenPlaceholder.ReplaceAllStringFunc(golden, func(p string) string {
		if v, ok := seen[p]; ok {
			return v
		}
		v := fmt.Sprintf("/tmp/run-%d", len(seen))
		if strings.HasPrefix(p, "sha256:") {
			v = fmt.Sprintf("sha256:%064x", len(seen)+1)
		}
		seen[p] = v
		n.values = append(n.values, v, p)
		return v
	})
	return durationRE.ReplaceAllString(run, "${1}3.25"), n
}

var (
	firstKey    = regexp.MustCompile(`"[a-z_]+":`)
	scalarField = regexp.MustCompile(`(?m)^ +"[a-z_]+": ("[^"]*"|[-0-9a-z.]+),\n`)
	countField  = regexp.MustCompile(`"(size|exit_code|total|layers|offset|elf_count)": \d+`)
	realDigest  = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	runDigest   = regexp.MustCompile(`sha256:0{40}[0-9a-f]{24}`)
)

// replaceFirst replaces the first match of re in doc with what change
// makes of it; doc as is without a match.
func replaceFirst(doc string, re *regexp.Regexp, change func(string) string) string {
	loc := re.FindStringIndex(doc)
	if loc == nil {
		return doc
	}
	return doc[:loc[0]] + change(doc[loc[0]:loc[1]]) + doc[loc[1]:]
}

// goldenChanges each make one change to a run's JSON that a golden file
// must catch; a change that finds nothing to change returns doc as is.
var goldenChanges = map[string]func(doc string) string{
	"a renamed key": func(doc string) string {
		return replaceFirst(doc, firstKey, func(k string) string { return strings.TrimSuffix(k, `":`) + `_renamed":` })
	},
	"status renamed state": func(doc string) string { return strings.Replace(doc, `"status":`, `"state":`, 1) },
	"a status spelled in capitals": func(doc string) string {
		for _, s := range []string{"pass", "fail", "skip", "warn"} {
			if q := `"` + s + `"`; strings.Contains(doc, q) {
				return strings.Replace(doc, q, strings.ToUpper(q), 1)
			}
		}
		return doc
	},
	"a dropped field": func(doc string) string {
		return replaceFirst(doc, scalarField, func(string) string { return "" })
	},
	"duration_seconds renamed": func(doc string) string {
		return strings.Replace(doc, `"duration_seconds":`, `"duration":`, 1)
	},
	"a changed count": func(doc string) string {
		return replaceFirst(doc, countField, func(f string) string { return f + "1" })
	},
	"a changed digest": func(doc string) string {
		return replaceFirst(doc, realDigest, func(d string) string { return d[:len(d)-1] + "x" })
	},
	"one digest where another belongs": func(doc string) string {
		ds := runDigest.FindAllString(doc, -1)
		for _, d := range ds[min(1, len(ds)):] {
			if d != ds[0] {
				i := strings.LastIndex(doc, d)
				return doc[:i] + ds[0] + doc[i+len(d):]
			}
		}
		return doc
	},
}
