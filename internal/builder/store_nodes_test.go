package builder

import (
	"errors"
	"slices"
	"testing"
)

func nodeNames(b Builder) []string {
	var out []string
	for i, n := range b.Nodes {
		out = append(out, n.DisplayName(i))
	}
	return out
}

func TestStoreNodeNamesAppendDefault(t *testing.T) {
	s := NewStore(t.TempDir())
	if err := s.Create(Builder{Name: "farm", Nodes: []Node{{Endpoint: "unix:///a"}, {Endpoint: "unix:///b", Name: "node0"}}}); err != nil {
		t.Fatal(err)
	}
	b, _ := s.Get("farm")
	// node0 is taken by the second node: the first gets the next free.
	if got := nodeNames(b); !slices.Equal(got, []string{"node1", "node0"}) {
		t.Fatalf("names %v", got)
	}
	b, err := s.Append("farm", []Node{{Endpoint: "unix:///c"}, {Endpoint: "unix:///d", Name: "arm"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := nodeNames(b); !slices.Equal(got, []string{"node1", "node0", "node2", "arm"}) {
		t.Fatalf("names after append %v", got)
	}
	if _, err := s.Append("farm", []Node{{Endpoint: "unix:///a"}}); !errors.Is(err, ErrInvalidBuilder) {
		t.Errorf("append of a node it has: %v", err)
	}
	if _, err := s.Append("farm", []Node{{Endpoint: "unix:///e", Name: "arm"}}); !errors.Is(err, ErrInvalidBuilder) {
		t.Errorf("append of a taken name: %v", err)
	}
	var unknown *UnknownBuilderError
	if _, err := s.Append("nosuch", []Node{{Endpoint: "unix:///e"}}); !errors.As(err, &unknown) {
		t.Errorf("append to unknown: %v", err)
	}
	if err := s.RemoveNode("farm", "unix:///c"); err != nil {
		t.Fatal(err)
	}
	var nf *NodeNotFoundError
	if err := s.RemoveNode("farm", "node2"); !errors.As(err, &nf) {
		t.Errorf("remove a removed node: %v", err)
	}
	if err := s.SetDefault("nosuch"); !errors.As(err, &unknown) {
		t.Errorf("default nosuch: %v", err)
	}
	if err := s.SetDefault("farm"); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Default(); d != "farm" {
		t.Errorf("default %q", d)
	}
	if err := s.Remove("farm"); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.Default(); d != "" {
		t.Errorf("default %q after its builder was removed", d)
	}
}
