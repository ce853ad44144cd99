package doctor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/probe"
)

// Config points doctor at the host. The zero value is the real machine.
type Config struct {
	// BinfmtDir is the binfmt_misc mount point; "" means binfmt.DefaultRoot.
	BinfmtDir string
	// QEMUDir holds qemu-<arch>-static; "" searches PATH.
	QEMUDir string
	Logger  *slog.Logger
}

// New returns a Doctor for the machine it runs on.
func New(cfg Config) *Doctor {
	if cfg.BinfmtDir == "" {
		cfg.BinfmtDir = binfmt.DefaultRoot
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &binfmt.Manager{Root: cfg.BinfmtDir, Logger: cfg.Logger}
	h := &realHost{qemuDir: cfg.QEMUDir, mgr: m}
	return &Doctor{host: h, fixer: &realFixer{mgr: m, qemuDir: cfg.QEMUDir, binfmtDir: cfg.BinfmtDir}}
}

// Handler returns the entry that matches p's ELF magic (or is named
// qemu-<arch>), with its interpreter's facts.
func (h *realHost) Handler(ctx context.Context, p platform.Platform) (*handler, error) {
	e, ok, err := h.mgr.Handler(ctx, p)
	if err != nil || !ok {
		return nil, err
	}
	in := binfmt.InspectInterpreter(e.Interpreter)
	return &handler{
		Name: e.Name, Enabled: e.Enabled, Flags: e.Flags.String(), Interpreter: e.Interpreter,
		Resolved: in.Resolved, InterpreterExists: in.Exists, Static: in.Static,
	}, nil
}

// Probe runs the functional probe; its *probe.Error says what failed.
func (h *realHost) Probe(ctx context.Context, p platform.Platform, cpu string) (string, error) {
	res, err := probe.Run(ctx, p, probe.Options{CPU: cpu})
	return res.Machine, err
}

// Argv0 runs the argv[0] probe through p's handler.
func (h *realHost) Argv0(ctx context.Context, p platform.Platform) (probe.Argv0Result, error) {
	return probe.RunArgv0(ctx, p, probe.Argv0Options{})
}

// realFixer applies fixes through the binfmt manager.
type realFixer struct {
	mgr       *binfmt.Manager
	qemuDir   string
	binfmtDir string
}

func (f *realFixer) Mount(ctx context.Context) (string, error) {
	if err := f.mgr.EnsureMounted(ctx); err != nil {
		return "", err
	}
	return "mounted binfmt_misc at " + f.binfmtDir, nil
}

func (f *realFixer) EnableBinfmt(ctx context.Context) (string, error) {
	if err := f.mgr.SetStatus(ctx, true); err != nil {
		return "", err
	}
	return "enabled binfmt_misc", nil
}

func (f *realFixer) Install(ctx context.Context, p platform.Platform) (string, error) {
	plan, err := f.mgr.Install(ctx, binfmt.InstallOptions{Platforms: []platform.Platform{p}, QEMUDir: f.qemuDir, Force: true, Argv0: Argv0Trial(f.mgr)})
	if err != nil {
		return "", err
	}
	return describe("installed", plan), nil
}

func (f *realFixer) Reregister(ctx context.Context, p platform.Platform) (string, error) {
	plan, err := f.mgr.Reregister(ctx, binfmt.ReregisterOptions{Platforms: []platform.Platform{p}, Argv0: Argv0Trial(f.mgr)})
	if err != nil {
		return "", err
	}
	return describe("re-registered", plan), nil
}

func (f *realFixer) Enable(ctx context.Context, p platform.Platform) (string, error) {
	e, ok, err := f.mgr.Handler(ctx, p)
	if err != nil || !ok {
		return "", fmt.Errorf("enable the handler of %s: %w", p, errors.Join(err, errors.New("no handler found")))
	}
	if err := f.mgr.SetEnabled(ctx, e.Name, true); err != nil {
		return "", err
	}
	return "enabled " + e.Name, nil
}

// describe names the entries a plan changed.
func describe(verb string, plan *binfmt.Plan) string {
	var names []string
	for _, c := range plan.Changes {
		switch c.Action {
		case binfmt.ActionRegister, binfmt.ActionReplace, binfmt.ActionEnable:
			names = append(names, fmt.Sprintf("%s (flags %s)", c.Name, c.New.Flags.Effective()))
		}
	}
	if len(names) == 0 {
		return ""
	}
	return verb + ": " + strings.Join(names, ", ")
}
