package doctor

import (
	"bytes"
	"cmp"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// knownBadJSON is the list of QEMU releases with known regressions. It is
// data, kept in one file so that adding an entry (with its report) is a
// one-file change that the loader checks.
//
//go:embed qemu_known_bad.json
var knownBadJSON []byte

// knownBad is one regression: the emulators it affects, the upstream
// versions it is in, and where it was reported.
type knownBad struct {
	ID       string         `json:"id"`
	Arches   []string       `json:"arches"`
	Affected []versionRange `json:"affected"`
	// FixedPackages are distribution builds of an affected upstream
	// version that carry the fix (Ubuntu's 1:8.2.2+ds-0ubuntu1.7, say).
	FixedPackages []string `json:"fixed_packages,omitempty"`
	Symptom       string   `json:"symptom"`
	Fix           string   `json:"fix"`
	Reports       []string `json:"reports"`
}

// versionRange is [From, Before) of upstream versions; an empty From is
// every version below Before.
type versionRange struct {
	From   string `json:"from,omitempty"`
	Before string `json:"before"`
}

// reportHosts are the upstream trackers an entry may cite: QEMU's own,
// Launchpad and Debian's. A report elsewhere is not upstream.
var reportHosts = []string{"gitlab.com", "bugs.launchpad.net", "bugs.debian.org"}

// parseKnownBad reads and checks the list: every entry has an id, a known
// QEMU arch, at least one well-formed range and at least one report on an
// upstream tracker. A list that breaks these rules is an error, so a
// careless edit fails the tests instead of warning users without a source.
func parseKnownBad(data []byte) ([]knownBad, error) {
	var doc struct {
		About   string     `json:"about"`
		Entries []knownBad `json:"entries"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("qemu known-bad list: %w", err)
	}
	seen := map[string]bool{}
	for i, e := range doc.Entries {
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("qemu known-bad list: entry %d (%q): %w", i, e.ID, err)
		}
		if seen[e.ID] {
			return nil, fmt.Errorf("qemu known-bad list: entry %d: duplicate id %q", i, e.ID)
		}
		seen[e.ID] = true
	}
	return doc.Entries, nil
}

func (e knownBad) validate() error {
	switch {
	case e.ID == "":
		return errors.New("no id")
	case len(e.Arches) == 0:
		return errors.New("no arches")
	case len(e.Affected) == 0:
		return errors.New("no affected versions")
	case len(e.Reports) == 0:
		return errors.New("no report: every entry cites its upstream report")
	case e.Symptom == "" || e.Fix == "":
		return errors.New("no symptom or no fix")
	}
	for _, a := range e.Arches {
		if _, ok := platform.ByQEMUArch(a); !ok {
			return fmt.Errorf("arch %q is no QEMU arch of the platform table", a)
		}
	}
	for _, r := range e.Affected {
		if err := r.validate(); err != nil {
			return err
		}
	}
	for _, p := range e.FixedPackages {
		if _, _, ok := splitPackage(p); !ok {
			return fmt.Errorf("fixed package %q is not epoch:upstream-revision", p)
		}
	}
	for _, r := range e.Reports {
		u, err := url.Parse(r)
		if err != nil || u.Scheme != "https" || !slices.Contains(reportHosts, u.Host) {
			return fmt.Errorf("report %q is not an https URL of %s", r, strings.Join(reportHosts, ", "))
		}
	}
	return nil
}

func (r versionRange) validate() error {
	before, err := parseUpstream(r.Before)
	if err != nil {
		return fmt.Errorf("range before: %w", err)
	}
	if r.From == "" {
		return nil
	}
	from, err := parseUpstream(r.From)
	if err != nil {
		return fmt.Errorf("range from: %w", err)
	}
	if compareUpstream(from, before) >= 0 {
		return fmt.Errorf("empty range [%s, %s)", r.From, r.Before)
	}
	return nil
}

// parseUpstream reads "X.Y" or "X.Y.Z" (missing parts are 0).
func parseUpstream(s string) ([3]int, error) {
	var v [3]int
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return v, fmt.Errorf("version %q is not X.Y or X.Y.Z", s)
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 9999 {
			return v, fmt.Errorf("version %q is not X.Y or X.Y.Z", s)
		}
		v[i] = n
	}
	return v, nil
}

func compareUpstream(a, b [3]int) int { return slices.Compare(a[:], b[:]) }

// qemuVersion is what `qemu-ARCH --version` says: the upstream release and,
// for distribution builds, the package version in parentheses ("8.2.2
// (Debian 1:8.2.2+ds-0ubuntu1.7)": Ubuntu's builds say Debian too).
type qemuVersion struct {
	Upstream [3]int
	Package  string
}

// parseQEMUVersion reads the version doctor prints: the upstream release,
// then optionally "(Debian PKG)" or "(anything)".
func parseQEMUVersion(s string) (qemuVersion, error) {
	up, rest, _ := strings.Cut(strings.TrimSpace(s), " ")
	var v qemuVersion
	var err error
	if v.Upstream, err = parseUpstream(up); err != nil {
		return v, err
	}
	rest = strings.TrimSpace(rest)
	if inner, ok := strings.CutPrefix(rest, "("); ok {
		inner, _, _ = strings.Cut(inner, ")")
		if pkg, ok := strings.CutPrefix(inner, "Debian "); ok {
			v.Package = strings.TrimSpace(pkg)
		}
	}
	return v, nil
}

// matches reports whether v, the emulator of arch, is in e: an affected
// upstream version whose package is not a build listed as fixed.
func (e knownBad) matches(arch string, v qemuVersion) bool {
	if !slices.Contains(e.Arches, arch) {
		return false
	}
	in := slices.ContainsFunc(e.Affected, func(r versionRange) bool {
		before, _ := parseUpstream(r.Before)
		if compareUpstream(v.Upstream, before) >= 0 {
			return false
		}
		if r.From == "" {
			return true
		}
		from, _ := parseUpstream(r.From)
		return compareUpstream(v.Upstream, from) >= 0
	})
	return in && !slices.ContainsFunc(e.FixedPackages, func(fixed string) bool { return packageAtLeast(v.Package, fixed) })
}

// splitPackage splits a Debian package version into epoch:upstream and
// revision.
func splitPackage(v string) (base, revision string, ok bool) {
	i := strings.LastIndexByte(v, '-')
	if i <= 0 || i == len(v)-1 {
		return "", "", false
	}
	return v[:i], v[i+1:], true
}

// packageAtLeast reports whether the package version have is fixed's
// build of the same epoch:upstream with at least fixed's revision.
func packageAtLeast(have, fixed string) bool {
	hb, hr, ok1 := splitPackage(have)
	fb, fr, ok2 := splitPackage(fixed)
	return ok1 && ok2 && hb == fb && debianCompare(hr, fr) >= 0
}

// debianCompare compares two Debian version parts by dpkg's rules:
// alternating non-digit runs (letters sort before non-letters, '~'
// before everything, even the end) and numeric runs.
func debianCompare(a, b string) int {
	for a != "" || b != "" {
		var an, bn string
		an, a = splitRun(a, false)
		bn, b = splitRun(b, false)
		if c := compareLexical(an, bn); c != 0 {
			return c
		}
		an, a = splitRun(a, true)
		bn, b = splitRun(b, true)
		if c := compareNumeric(an, bn); c != 0 {
			return c
		}
	}
	return 0
}

// compareNumeric compares two runs of digits of any length as numbers.
func compareNumeric(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return cmp.Compare(len(a), len(b))
	}
	return strings.Compare(a, b)
}

func splitRun(s string, digits bool) (run, rest string) {
	i := strings.IndexFunc(s, func(r rune) bool { return (r >= '0' && r <= '9') != digits })
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

func compareLexical(a, b string) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		if c := order(a, i) - order(b, i); c != 0 {
			if c < 0 {
				return -1
			}
			return 1
		}
	}
	return 0
}

// order is dpkg's weight of s[i]: '~' lowest, then the end of the string,
// then letters, then everything else.
func order(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch c := s[i]; {
	case c == '~':
		return -1
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return int(c)
	default:
		return int(c) + 256
	}
}

// knownBadList is the embedded list, parsed once. The tests prove it
// parses; a failure here would be a build that shipped a broken list, so
// it degrades to no entries and the error, reported by the check.
var knownBadList = sync.OnceValues(func() ([]knownBad, error) { return parseKnownBad(knownBadJSON) })

// knownBadFor returns the entries that cover the emulator of arch at
// version (as doctor read it).
func knownBadFor(list []knownBad, arch, version string) []knownBad {
	v, err := parseQEMUVersion(version)
	if err != nil {
		return nil
	}
	var out []knownBad
	for _, e := range list {
		if e.matches(arch, v) {
			out = append(out, e)
		}
	}
	return out
}
