package binfmt

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/renameio/v2"
)

// ConfPath is the systemd-binfmt file that persists entry name.
func (m *Manager) ConfPath(name string) string {
	return filepath.Join(m.persistDir(), name+".conf")
}

// Persist writes r's register line to <PersistDir>/<name>.conf, atomically,
// so systemd-binfmt registers it again at boot. It returns the file path.
func (m *Manager) Persist(r Registration) (string, error) {
	line, err := r.Line()
	if err != nil {
		return "", err
	}
	path := m.ConfPath(r.Name)
	return path, writeAtomic(path, []byte(line+"\n"))
}

func (m *Manager) applyPersist(c Change) ([]undo, error) {
	if c.Persist == "" {
		return nil, nil
	}
	prev, err := os.ReadFile(c.Persist)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, persistError(c.Persist, err)
	}
	restore := func() error {
		if existed {
			return writeAtomic(c.Persist, prev)
		}
		return removeIfExists(c.Persist)
	}
	if c.Action == ActionRemove {
		if !existed {
			return nil, nil
		}
		m.log().Debug("remove persisted entry", "path", c.Persist)
		if err := os.Remove(c.Persist); err != nil {
			return nil, persistError(c.Persist, err)
		}
		return []undo{restore}, nil
	}
	want := []byte(c.Line + "\n")
	if existed && bytes.Equal(prev, want) {
		return nil, nil
	}
	m.log().Debug("persist", "path", c.Persist, "line", c.Line)
	if err := writeAtomic(c.Persist, want); err != nil {
		return nil, persistError(c.Persist, err)
	}
	return []undo{restore}, nil
}

func persistError(path string, err error) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("persist %s: permission denied; run as root (sudo): %w", path, err)
	}
	return fmt.Errorf("persist %s: %w", path, err)
}

// writeAtomic replaces path with data through a temporary file and a
// rename, so a crash never leaves a half-written file for systemd-binfmt
// to read at boot.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return renameio.WriteFile(path, data, 0o644)
}

func removeIfExists(path string) error {
	err := os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}
