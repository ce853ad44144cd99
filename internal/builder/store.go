package builder

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"

	"github.com/google/renameio/v2"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

// EnvConfigDir names the environment variable that overrides the
// directory of builders.json (DefaultConfigDir).
const EnvConfigDir = "MULTIARCH_CONFIG_DIR"

// storeFile is the file name of the builder store in the config dir.
const storeFile = "builders.json"

// storeVersion is the schema version written into builders.json.
const storeVersion = 1

// Builder is a named builder: one or more BuildKit nodes.
type Builder struct {
	Name  string `json:"name"`
	Nodes []Node `json:"nodes"`
}

// Node is one buildkitd a named builder builds on.
type Node struct {
	// Name names the node in its builder (`--node-name`; default
	// node0, node1, ... by its place when it was added). Stores written
	// before nodes had names: see DisplayName.
	Name string `json:"name,omitempty"`
	// Endpoint is unix:///path or tcp://host:port.
	Endpoint string `json:"endpoint"`
	// Platforms the node runs natively, as declared when the builder was
	// created. Empty: the first platform its workers report. builders.json
	// holds their names (see MarshalJSON).
	Platforms []platform.Platform `json:"-"`
	// TLS configures tcp:// endpoints (nil: plain TCP).
	TLS *TLSFiles `json:"tls,omitempty"`
}

// TLSFiles are the TLS files of a tcp:// node. CA empty: the system's
// certificate pool. Cert and Key: client certificate, both or neither.
type TLSFiles struct {
	CA         string `json:"ca,omitempty"`
	Cert       string `json:"cert,omitempty"`
	Key        string `json:"key,omitempty"`
	ServerName string `json:"serverName,omitempty"`
}

// UnknownBuilderError says no builder is stored under Name.
type UnknownBuilderError struct {
	Name string
	// Known are the names that are stored.
	Known []string
}

func (e *UnknownBuilderError) Error() string {
	if len(e.Known) == 0 {
		return fmt.Sprintf("no builder named %q (no builders are configured)", e.Name)
	}
	return fmt.Sprintf("no builder named %q (configured: %v)", e.Name, e.Known)
}

// DuplicateBuilderError says a builder named Name already exists.
type DuplicateBuilderError struct{ Name string }

func (e *DuplicateBuilderError) Error() string {
	return fmt.Sprintf("a builder named %q already exists", e.Name)
}

// Store keeps named builders as JSON in one file. Writes go to a temp file
// that is renamed over the old one, under an exclusive lock, so readers
// never see half a file and concurrent writers do not lose updates.
type Store struct {
	path string
}

// NewStore returns the store in dir (see DefaultConfigDir).
func NewStore(dir string) *Store {
	return &Store{path: filepath.Join(dir, storeFile)}
}

// Path is the file the store reads and writes.
func (s *Store) Path() string { return s.path }

// DefaultConfigDir is $MULTIARCH_CONFIG_DIR when set, else /etc/multiarch
// for root (builders are machine-wide, like the embedded builder in
// /var/lib/multiarch), else $XDG_CONFIG_HOME/multiarch (~/.config/multiarch
// when unset). getenv is the caller's environment.
func DefaultConfigDir(getenv func(string) string) string {
	if d := getenv(EnvConfigDir); d != "" {
		return d
	}
	if os.Geteuid() == 0 {
		return "/etc/multiarch"
	}
	return UserDir(getenv, "XDG_CONFIG_HOME", ".config")
}

// UserDir is multiarch's directory in the XDG base directory $xdgVar, or
// in ~/home when that variable is unset or relative (the XDG Base
// Directory spec says to ignore a relative one).
func UserDir(getenv func(string) string, xdgVar, home string) string {
	if d := getenv(xdgVar); filepath.IsAbs(d) {
		return filepath.Join(d, "multiarch")
	}
	h, _ := os.UserHomeDir()
	return filepath.Join(h, home, "multiarch")
}

type storeDoc struct {
	Version  int       `json:"version"`
	Builders []Builder `json:"builders"`
	// Default is the builder `builder use` made the default ("": none).
	Default string `json:"default,omitempty"`
}

// List returns every stored builder, sorted by name.
func (s *Store) List() ([]Builder, error) {
	doc, err := s.read()
	if err != nil {
		return nil, err
	}
	return doc.Builders, nil
}

// Get returns the builder called name, or an *UnknownBuilderError.
func (s *Store) Get(name string) (Builder, error) {
	doc, err := s.read()
	if err != nil {
		return Builder{}, err
	}
	for _, b := range doc.Builders {
		if b.Name == name {
			return b, nil
		}
	}
	return Builder{}, &UnknownBuilderError{Name: name, Known: names(doc.Builders)}
}

// Create validates b and stores it; a builder of the same name is a
// *DuplicateBuilderError.
func (s *Store) Create(b Builder) error {
	if err := b.Validate(); err != nil {
		return err
	}
	return s.update(func(doc *storeDoc) error {
		for _, have := range doc.Builders {
			if have.Name == b.Name {
				return &DuplicateBuilderError{Name: b.Name}
			}
		}
		b.nameNodes()
		doc.Builders = append(doc.Builders, b)
		return nil
	})
}

// Remove deletes the builder called name, or returns an
// *UnknownBuilderError.
func (s *Store) Remove(name string) error {
	return s.update(func(doc *storeDoc) error {
		i := slices.IndexFunc(doc.Builders, func(b Builder) bool { return b.Name == name })
		if i < 0 {
			return &UnknownBuilderError{Name: name, Known: names(doc.Builders)}
		}
		doc.Builders = slices.Delete(doc.Builders, i, i+1)
		if doc.Default == name {
			doc.Default = ""
		}
		return nil
	})
}

func names(bs []Builder) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.Name
	}
	return out
}

func (s *Store) read() (storeDoc, error) {
	var doc storeDoc
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return doc, nil
	}
	if err != nil {
		return doc, err
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return doc, fmt.Errorf("builder store %s: %w", s.path, err)
	}
	if doc.Version > storeVersion {
		return doc, fmt.Errorf("builder store %s: version %d is newer than this multiarch understands (%d)", s.path, doc.Version, storeVersion)
	}
	return doc, nil
}

// update reads, changes and atomically rewrites the store under a lock.
func (s *Store) update(change func(*storeDoc) error) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return err
	}
	unlock, err := LockFile(s.path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	doc, err := s.read()
	if err != nil {
		return err
	}
	if err := change(&doc); err != nil {
		return err
	}
	doc.Version = storeVersion
	slices.SortFunc(doc.Builders, func(a, b Builder) int { return cmp.Compare(a.Name, b.Name) })
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	return renameio.WriteFile(s.path, append(out, '\n'), 0o644)
}

var builderName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$`)
