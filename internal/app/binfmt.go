package app

import (
	"context"
	"encoding/hex"
	"log/slog"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/probe"
)

// BinfmtOptions are the directories every binfmt verb works on; tests
// point them at temporary directories.
type BinfmtOptions struct {
	// Dir is the binfmt_misc directory. "": binfmt.DefaultRoot, the
	// kernel's.
	Dir string
	// PersistDir receives the <name>.conf files that survive a reboot.
	// "": binfmt.DefaultPersistDir.
	PersistDir string
	// Logger receives debug detail of every write. nil: discard.
	Logger *slog.Logger
}

func (o BinfmtOptions) manager() *binfmt.Manager {
	return &binfmt.Manager{Root: o.Dir, PersistDir: o.PersistDir, Logger: o.Logger}
}

// kernel reports whether Dir is the running kernel's binfmt_misc.
func (o BinfmtOptions) kernel() bool {
	return o.Dir == "" || o.Dir == binfmt.DefaultRoot
}

// WorksFunc runs the functional probe of p under its registered handler
// and reports whether it ran as p.
type WorksFunc func(ctx context.Context, p platform.Platform) (bool, error)

// BinfmtListOptions say which entries BinfmtList reads and how it probes
// them.
type BinfmtListOptions struct {
	BinfmtOptions
	// Works fills each enabled entry's works column. nil: the functional
	// probe (probe.Run: the platform's tiny static binary, chrooted into
	// an empty directory, must report a machine the platform table
	// expects) when Dir is the kernel's; no probe for another directory,
	// whose entries the running kernel does not use.
	Works WorksFunc
}

// BinfmtListReport is the `binfmt ls` document; its JSON is stable.
type BinfmtListReport struct {
	// Enabled is binfmt_misc's global status switch.
	Enabled bool          `json:"enabled"`
	Entries []BinfmtEntry `json:"entries"`
	// Dir is the binfmt_misc directory read.
	Dir string `json:"-"`
}

// BinfmtEntry is one binfmt_misc entry as `binfmt ls` shows it.
type BinfmtEntry struct {
	Name string `json:"name"`
	// Platform is the base table row served ("" when unknown); Platforms
	// every row (arm/v5, arm/v6, arm/v7 share one entry).
	Platform            string   `json:"platform"`
	Platforms           []string `json:"platforms"`
	Enabled             bool     `json:"enabled"`
	Flags               string   `json:"flags"`
	Interpreter         string   `json:"interpreter"`
	InterpreterResolved string   `json:"interpreter_resolved,omitempty"`
	InterpreterExists   bool     `json:"interpreter_exists"`
	Static              bool     `json:"static"`
	// Works is the functional probe's verdict; null when not probed.
	Works *bool `json:"works"`
	// WorksError is the probe's error text; WorksErr the error itself,
	// for the caller to add its own advice to.
	WorksError string `json:"works_error,omitempty"`
	WorksErr   error  `json:"-"`
	Offset     int    `json:"offset"`
	Magic      string `json:"magic,omitempty"`
	Mask       string `json:"mask,omitempty"`
	Extension  string `json:"extension,omitempty"`
}

// BinfmtList reads every binfmt_misc entry with its platform, flags and
// interpreter (whether it exists and is static) and, for enabled entries
// of known platforms, whether the functional probe works (see
// BinfmtListOptions.Works).
func BinfmtList(ctx context.Context, o BinfmtListOptions) (*BinfmtListReport, error) {
	m := o.manager()
	entries, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	enabled, err := m.Enabled(ctx)
	if err != nil {
		return nil, err
	}
	works := o.Works
	if works == nil && o.kernel() {
		works = probeWorks
	}
	dir := o.Dir
	if dir == "" {
		dir = binfmt.DefaultRoot
	}
	rep := &BinfmtListReport{Enabled: enabled, Entries: []BinfmtEntry{}, Dir: dir}
	for _, e := range entries {
		rep.Entries = append(rep.Entries, describeEntry(ctx, e, works))
	}
	return rep, nil
}

// probeWorks is the functional probe with its defaults.
func probeWorks(ctx context.Context, p platform.Platform) (bool, error) {
	r, err := probe.Run(ctx, p, probe.Options{})
	return r.OK, err
}

func describeEntry(ctx context.Context, e binfmt.Entry, works WorksFunc) BinfmtEntry {
	in := binfmt.InspectInterpreter(e.Interpreter)
	j := BinfmtEntry{
		Name: e.Name, Platforms: []string{}, Enabled: e.Enabled, Flags: e.Flags.String(),
		Interpreter: e.Interpreter, InterpreterResolved: in.Resolved,
		InterpreterExists: in.Exists, Static: in.Static,
		Offset: e.Offset, Magic: hex.EncodeToString(e.Magic), Mask: hex.EncodeToString(e.Mask),
		Extension: e.Extension,
	}
	for _, p := range e.Platforms {
		j.Platforms = append(j.Platforms, p.String())
	}
	p, ok := e.Platform()
	if !ok {
		return j
	}
	j.Platform = p.String()
	if works != nil && e.Enabled {
		ok, err := works(ctx, p)
		j.Works = &ok
		if err != nil {
			j.WorksError, j.WorksErr = err.Error(), err
		}
	}
	return j
}
