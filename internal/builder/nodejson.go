package builder

import (
	"encoding/json"
	"fmt"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// nodeJSON is a Node as builders.json holds it: declared platforms by
// name, so stores written before nodes held parsed platforms still load.
type nodeJSON struct {
	Name      string    `json:"name,omitempty"`
	Endpoint  string    `json:"endpoint"`
	Platforms []string  `json:"platforms,omitempty"`
	TLS       *TLSFiles `json:"tls,omitempty"`
}

// MarshalJSON writes the declared platforms by name.
func (n Node) MarshalJSON() ([]byte, error) {
	j := nodeJSON{Name: n.Name, Endpoint: n.Endpoint, TLS: n.TLS}
	for _, p := range n.Platforms {
		j.Platforms = append(j.Platforms, p.String())
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the declared platforms by name; one not in the
// platform table is an error.
func (n *Node) UnmarshalJSON(b []byte) error {
	var j nodeJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	ps, err := ParsePlatforms(j.Platforms)
	if err != nil {
		return fmt.Errorf("node %s: %w", j.Endpoint, err)
	}
	*n = Node{Name: j.Name, Endpoint: j.Endpoint, Platforms: ps, TLS: j.TLS}
	return nil
}

// ParsePlatforms parses the platforms declared for a node
// ("linux/aarch64", "armhf" and the other names platform.Parse takes).
func ParsePlatforms(names []string) ([]platform.Platform, error) {
	var out []platform.Platform
	for _, s := range names {
		p, err := platform.Parse(s)
		if err != nil {
			return nil, fmt.Errorf("platform %q: %w", s, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// PlatformNames are the names of the platforms n declares.
func (n Node) PlatformNames() []string { return platformNames(n.Platforms) }

// platformNames are the names of ps.
func platformNames(ps []platform.Platform) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}
