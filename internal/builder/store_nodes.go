package builder

import (
	"fmt"
	"slices"
	"strconv"
)

// DisplayName is n's name, or node<i> (its place i in the builder) for a
// node stored before nodes had names.
func (n Node) DisplayName(i int) string {
	if n.Name != "" {
		return n.Name
	}
	return "node" + strconv.Itoa(i)
}

// validateNodeNames refuses malformed and repeated node names, the
// defaults unnamed nodes will get (nameNodes) never being repeats.
func (b *Builder) validateNodeNames() error {
	named := Builder{Name: b.Name, Nodes: slices.Clone(b.Nodes)}
	named.nameNodes()
	seen := map[string]bool{}
	for _, n := range named.Nodes {
		name := n.Name
		if !builderName.MatchString(name) {
			return fmt.Errorf("%w: node name %q: use letters, digits, '.', '_' and '-' (up to 63, starting with a letter or digit)", ErrInvalidBuilder, name)
		}
		if seen[name] {
			return fmt.Errorf("%w: %s has two nodes named %q (name them with --node-name)", ErrInvalidBuilder, b.Name, name)
		}
		seen[name] = true
	}
	return nil
}

// nameNodes gives every unnamed node node<i> (its place), or the first
// free node<k> when a named node took that.
func (b *Builder) nameNodes() {
	taken := map[string]bool{}
	for _, n := range b.Nodes {
		taken[n.Name] = n.Name != ""
	}
	for i := range b.Nodes {
		if b.Nodes[i].Name != "" {
			continue
		}
		k := i
		for taken["node"+strconv.Itoa(k)] {
			k++
		}
		b.Nodes[i].Name = "node" + strconv.Itoa(k)
		taken[b.Nodes[i].Name] = true
	}
}

// Append adds nodes to the builder called name (an *UnknownBuilderError
// when there is none) and returns it as stored; unnamed nodes are named
// after their place. A node whose endpoint or name the builder has is
// ErrInvalidBuilder.
func (s *Store) Append(name string, nodes []Node) (Builder, error) {
	var out Builder
	err := s.update(func(doc *storeDoc) error {
		i := slices.IndexFunc(doc.Builders, func(b Builder) bool { return b.Name == name })
		if i < 0 {
			return &UnknownBuilderError{Name: name, Known: names(doc.Builders)}
		}
		b := doc.Builders[i]
		b.Nodes = append(slices.Clone(b.Nodes), nodes...)
		b.nameNodes()
		if err := b.Validate(); err != nil {
			return err
		}
		doc.Builders[i], out = b, b
		return nil
	})
	return out, err
}

// NodeNotFoundError says builder Builder has no node called Node.
type NodeNotFoundError struct {
	Builder, Node string
	Known         []string
}

func (e *NodeNotFoundError) Error() string {
	return fmt.Sprintf("builder %s has no node named %q (its nodes: %v)", e.Builder, e.Node, e.Known)
}

// RemoveNode removes node (by name, or by endpoint) from the builder
// called name. Its last node is not removed: that would leave a builder
// that cannot build (remove the builder instead).
func (s *Store) RemoveNode(name, node string) error {
	return s.update(func(doc *storeDoc) error {
		i := slices.IndexFunc(doc.Builders, func(b Builder) bool { return b.Name == name })
		if i < 0 {
			return &UnknownBuilderError{Name: name, Known: names(doc.Builders)}
		}
		b := &doc.Builders[i]
		var known []string
		j := -1
		for k, n := range b.Nodes {
			known = append(known, n.DisplayName(k))
			if n.DisplayName(k) == node || n.Endpoint == node {
				j = k
			}
		}
		if j < 0 {
			return &NodeNotFoundError{Builder: name, Node: node, Known: known}
		}
		if len(b.Nodes) == 1 {
			return fmt.Errorf("%w: %s is the only node of %s; remove the builder instead (`multiarch builder rm %s`)", ErrInvalidBuilder, node, name, name)
		}
		b.nameNodes()
		b.Nodes = slices.Delete(b.Nodes, j, j+1)
		return nil
	})
}

// Default is the builder `builder use` made the default ("": none).
func (s *Store) Default() (string, error) {
	doc, err := s.read()
	return doc.Default, err
}

// SetDefault makes the builder called name the default (an
// *UnknownBuilderError when there is none); "" goes back to none.
func (s *Store) SetDefault(name string) error {
	return s.update(func(doc *storeDoc) error {
		if name != "" && !slices.ContainsFunc(doc.Builders, func(b Builder) bool { return b.Name == name }) {
			return &UnknownBuilderError{Name: name, Known: names(doc.Builders)}
		}
		doc.Default = name
		return nil
	})
}

// EnvBuilder names the environment variable that picks the builder when
// no --builder is given: a named builder, or EmbeddedName. It wins over
// the store's default (`builder use`). The package never reads it.
const EnvBuilder = "MULTIARCH_BUILDER"

// EmbeddedName picks the embedded builder where a builder name is
// taken (--builder, $MULTIARCH_BUILDER); no named builder has it.
const EmbeddedName = "embedded"
