package doctor

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// realHost reads the machine doctor runs on, through the binfmt package.
type realHost struct {
	qemuDir string
	mgr     *binfmt.Manager
}

func (h *realHost) KernelRelease(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	return kernelRelease()
}

func (h *realHost) BinfmtMounted(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return h.mgr.Mounted(), nil
}

func (h *realHost) BinfmtEnabled(ctx context.Context) (bool, error) { return h.mgr.Enabled(ctx) }

// Emulator is the emulator the install fix would register: the same
// lookup (--qemu-dir, else PATH) as `multiarch binfmt install`.
func (h *realHost) Emulator(ctx context.Context, p platform.Platform) string {
	if ctx.Err() != nil {
		return ""
	}
	path, err := binfmt.FindEmulator(p, h.qemuDir)
	if err != nil {
		return ""
	}
	return path
}

var qemuVersionRE = regexp.MustCompile(`version (\d+\.\d+(\.\d+)?)`)

// QEMUVersion runs the interpreter with --version: every QEMU user-mode
// binary answers "qemu-<arch> version X.Y.Z (...)".
func (h *realHost) QEMUVersion(ctx context.Context, interpreter string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, interpreter, "--version")
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(out.String(), "\n")
	loc := qemuVersionRE.FindStringSubmatchIndex(line)
	if loc == nil {
		return "", fmt.Errorf("%s --version printed %q, not a QEMU version", interpreter, line)
	}
	return strings.TrimSpace(line[loc[2]:]), nil
}
