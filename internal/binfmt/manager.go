package binfmt

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/multiarch-dev/multiarch/internal/platform"
)

const (
	// DefaultRoot is where the kernel's binfmt_misc file system lives.
	DefaultRoot = "/proc/sys/fs/binfmt_misc"
	// DefaultPersistDir is where systemd-binfmt reads local registrations
	// at boot (the distro's own live in /usr/lib/binfmt.d, which we leave
	// to the package manager).
	DefaultPersistDir = "/etc/binfmt.d"
)

// Manager reads and changes the binfmt_misc entries under Root. The zero
// value works on the real system.
type Manager struct {
	// Root is the binfmt_misc directory; "" means DefaultRoot.
	Root string
	// PersistDir receives <name>.conf files; "" means DefaultPersistDir.
	PersistDir string
	// Logger receives debug detail of every write; nil discards it.
	Logger *slog.Logger

	// write delivers data to a binfmt_misc file. nil writes the file; tests
	// set it to emulate the kernel.
	write func(path string, data []byte) error
}

func (m *Manager) root() string {
	if m.Root == "" {
		return DefaultRoot
	}
	return m.Root
}

func (m *Manager) persistDir() string {
	if m.PersistDir == "" {
		return DefaultPersistDir
	}
	return m.PersistDir
}

func (m *Manager) log() *slog.Logger {
	if m.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return m.Logger
}

// Mounted reports whether binfmt_misc is mounted at Root (its register
// file exists).
func (m *Manager) Mounted() bool {
	_, err := os.Stat(filepath.Join(m.root(), "register"))
	return err == nil
}

// Enabled reports the global switch (the status file): when it reads
// "disabled" no entry is used.
func (m *Manager) Enabled(ctx context.Context) (bool, error) {
	if err := m.requireMounted(); err != nil {
		return false, err
	}
	b, err := os.ReadFile(filepath.Join(m.root(), "status"))
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(b)) == "enabled", nil
}

// List returns every entry, sorted by name. It fails naming the file and
// line when an entry file is malformed.
func (m *Manager) List(ctx context.Context) ([]Entry, error) {
	if err := m.requireMounted(); err != nil {
		return nil, err
	}
	dirents, err := os.ReadDir(m.root())
	if err != nil {
		return nil, err
	}
	var entries []Entry
	for _, d := range dirents {
		if d.Name() == "register" || d.Name() == "status" || d.IsDir() {
			continue
		}
		e, err := m.readEntry(d.Name())
		if errors.Is(err, ErrNotFound) {
			continue // removed while we listed
		}
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	return entries, nil
}

// Get reads one entry; a missing one is an error wrapping ErrNotFound.
func (m *Manager) Get(ctx context.Context, name string) (Entry, error) {
	if err := validateName(name); err != nil {
		return Entry{}, err
	}
	return m.readEntry(name)
}

func (m *Manager) readEntry(name string) (Entry, error) {
	path := filepath.Join(m.root(), name)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Entry{}, fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err != nil {
		return Entry{}, err
	}
	return ParseEntry(path, data)
}

// Handler returns the enabled-or-not entry that handles p's binaries: the
// one whose magic and mask match p's, else the one named p.BinfmtName().
// ok is false when there is none.
func (m *Manager) Handler(ctx context.Context, p platform.Platform) (e Entry, ok bool, err error) {
	entries, err := m.List(ctx)
	if err != nil {
		return Entry{}, false, err
	}
	for _, e := range entries {
		if e.Extension == "" && e.Offset == 0 && sameMatch(e.Magic, e.Mask, p.Magic, p.Mask) {
			return e, true, nil
		}
	}
	for _, e := range entries {
		if e.Name == p.BinfmtName() {
			return e, true, nil
		}
	}
	return Entry{}, false, nil
}

func (m *Manager) requireMounted() error {
	if m.Mounted() {
		return nil
	}
	return fmt.Errorf("%w at %s; run: sudo mount -t binfmt_misc binfmt_misc %s", ErrNotMounted, m.root(), m.root())
}

// EnsureMounted mounts binfmt_misc when it is missing, but only on the real
// path and only as root: anywhere else the error gives the mount command.
// Call it before planning changes: a plan made while binfmt_misc is not
// mounted sees no entries.
func (m *Manager) EnsureMounted(ctx context.Context) error {
	if m.Mounted() {
		return nil
	}
	if filepath.Clean(m.root()) != DefaultRoot || os.Geteuid() != 0 {
		return m.requireMounted()
	}
	m.log().Debug("mounting binfmt_misc", "path", DefaultRoot)
	if err := unix.Mount("binfmt_misc", DefaultRoot, "binfmt_misc", 0, ""); err != nil {
		return fmt.Errorf("%w: mounting it failed: %w; run: sudo mount -t binfmt_misc binfmt_misc %s", ErrNotMounted, err, DefaultRoot)
	}
	return nil
}

// SetStatus flips binfmt_misc's global switch (its status file): when
// disabled, the kernel uses no entry at all.
func (m *Manager) SetStatus(ctx context.Context, enabled bool) error {
	if err := m.requireMounted(); err != nil {
		return err
	}
	op, value := "disable", "0"
	if enabled {
		op, value = "enable", "1"
	}
	m.log().Debug(op+" binfmt_misc", "path", m.root())
	return m.writeFile(op, "binfmt_misc", filepath.Join(m.root(), "status"), []byte(value))
}

// Register writes one registration to the kernel as it is, without the
// checks of Install (existing entries, native architectures).
func (m *Manager) Register(ctx context.Context, r Registration) error {
	line, err := r.Line()
	if err != nil {
		return err
	}
	if err := m.EnsureMounted(ctx); err != nil {
		return err
	}
	m.log().Debug("register", "name", r.Name, "line", line)
	return m.writeFile("register", r.Name, filepath.Join(m.root(), "register"), []byte(line+"\n"))
}

// Unregister removes the entry name ("-1" to its file).
func (m *Manager) Unregister(ctx context.Context, name string) error {
	return m.writeEntry(name, "unregister", "-1")
}

// SetEnabled enables ("1") or disables ("0") the entry name.
func (m *Manager) SetEnabled(ctx context.Context, name string, enabled bool) error {
	if enabled {
		return m.writeEntry(name, "enable", "1")
	}
	return m.writeEntry(name, "disable", "0")
}

func (m *Manager) writeEntry(name, op, value string) error {
	if err := validateName(name); err != nil {
		return err
	}
	m.log().Debug(op, "name", name)
	return m.writeFile(op, name, filepath.Join(m.root(), name), []byte(value))
}

func (m *Manager) writeFile(op, name, path string, data []byte) error {
	write := m.write
	if write == nil {
		write = writeExisting
	}
	if err := write(path, data); err != nil {
		return &KernelError{Op: op, Name: name, Path: path, Err: err}
	}
	return nil
}

// writeExisting writes data in one write(2) to an existing file: binfmt_misc
// takes each write as one command, and must never see a file created.
func writeExisting(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}
