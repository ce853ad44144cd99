package doctor

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/multiarch-dev/multiarch/internal/binfmt"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// DefaultBinfmtDir is where the kernel mounts binfmt_misc.
const DefaultBinfmtDir = "/proc/sys/fs/binfmt_misc"

// realHost reads the machine doctor runs on.
type realHost struct {
	binfmtDir string
	qemuDirs  []string
	mgr       *binfmt.Manager
}

func (h *realHost) KernelRelease() (string, error) { return kernelRelease() }

func (h *realHost) BinfmtMounted() bool {
	_, err := os.Stat(filepath.Join(h.binfmtDir, "register"))
	return err == nil
}

func (h *realHost) BinfmtEnabled() (bool, error) {
	b, err := os.ReadFile(filepath.Join(h.binfmtDir, "status"))
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(string(b)) == "enabled", nil
}

// Emulator looks for qemu-<arch>-static in the configured directories,
// then on PATH.
func (h *realHost) Emulator(p platform.Platform) string {
	for _, d := range h.qemuDirs {
		f := filepath.Join(d, p.EmulatorBinary())
		if st, err := os.Stat(f); err == nil && st.Mode().IsRegular() {
			return f
		}
	}
	f, err := exec.LookPath(p.EmulatorBinary())
	if err != nil {
		return ""
	}
	return f
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
