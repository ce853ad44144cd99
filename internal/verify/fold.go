package verify

import (
	"maps"
	"path"
	"slices"
	"strings"
)

// placed is an ELF file in the merged filesystem and the layer it came from.
type placed struct {
	rec   *elfRecord
	layer int
}

// tree is the merged filesystem of an image as far as verification cares:
// the ELF files, plus a count of ELF files under each directory so that
// deleting a subtree only walks the files when it holds any.
type tree struct {
	files map[string]placed
	under map[string]int
}

func newTree() *tree {
	return &tree{files: map[string]placed{}, under: map[string]int{}}
}

// apply folds one layer onto the tree. Whiteouts and opaque markers act on
// the layers below only (OCI image-spec, "Whiteouts"), so they go first;
// then the layer's own entries in tar order, a later entry winning.
func (t *tree) apply(s *layerSummary, layer int) {
	for _, o := range s.ops {
		switch o.kind {
		case opWhiteout:
			t.removeTree(o.path)
		case opOpaque:
			t.removeUnder(o.path)
		}
	}
	for _, o := range s.ops {
		switch o.kind {
		case opDir:
			t.remove(o.path) // a directory merges with a lower one, replaces a file
		case opOther:
			t.removeTree(o.path)
		case opELF:
			t.removeTree(o.path)
			t.add(o.path, placed{rec: &s.elfs[o.elf], layer: layer})
		}
	}
}

func (t *tree) add(p string, f placed) {
	t.files[p] = f
	for d := path.Dir(p); ; d = path.Dir(d) {
		t.under[d]++
		if d == "/" {
			return
		}
	}
}

func (t *tree) remove(p string) {
	if _, ok := t.files[p]; !ok {
		return
	}
	delete(t.files, p)
	for d := path.Dir(p); ; d = path.Dir(d) {
		if t.under[d]--; t.under[d] == 0 {
			delete(t.under, d)
		}
		if d == "/" {
			return
		}
	}
}

func (t *tree) removeTree(p string) {
	t.remove(p)
	t.removeUnder(p)
}

// removeUnder deletes everything below directory d, keeping d itself.
func (t *tree) removeUnder(d string) {
	if t.under[d] == 0 {
		return
	}
	prefix := strings.TrimSuffix(d, "/") + "/"
	for p := range t.files {
		if strings.HasPrefix(p, prefix) {
			t.remove(p)
		}
	}
}

// paths returns the ELF paths in sorted order, for stable reports.
func (t *tree) paths() []string {
	return slices.Sorted(maps.Keys(t.files))
}
