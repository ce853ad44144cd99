package probe

import (
	"bytes"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// holderTargets is one platform per QEMU target that has a holder.
func holderTargets(t *testing.T) []platform.Platform {
	t.Helper()
	var out []platform.Platform
	for _, p := range targets() {
		if _, ok := holders[p.QEMUArch]; ok {
			out = append(out, p)
		}
	}
	if len(out) < 8 {
		t.Fatalf("holders for %d targets, want every target but loongarch64", len(out))
	}
	return out
}

// Each holder is a well-formed static executable of its target.
func TestHolderELF(t *testing.T) {
	for _, p := range holderTargets(t) {
		b, err := Holder(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		f, err := elf.NewFile(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if f.Machine != p.Machine || f.Class != p.Class || f.Type != elf.ET_EXEC || len(f.Progs) == 0 {
			t.Errorf("%s: machine %v class %v type %v", p, f.Machine, f.Class, f.Type)
		}
		if len(b) > 512 {
			t.Errorf("%s: %d bytes, want a tiny file", p, len(b))
		}
	}
	if _, err := Holder(testenv.Platforms(t, "linux/loong64")[0]); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("loong64: err = %v, want ErrUnsupported", err)
	}
}

// Every holder writes a newline, then blocks (without using the CPU)
// until it is killed: natively here, and under QEMU
// through binfmt_misc for the other targets.
func TestHolderBlocksUntilKilled(t *testing.T) {
	requireProbeHost(t)
	dir := t.TempDir()
	for _, p := range holderTargets(t) {
		t.Run(p.String(), func(t *testing.T) {
			if !slices.Contains(platform.NativeArches(), p.QEMUArch) {
				requireHandler(t, p)
			}
			b, err := Holder(p)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, p.QEMUArch)
			if err := os.WriteFile(path, b, 0o755); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(path)
			var out bytes.Buffer
			cmd.Stdout = &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				t.Fatalf("the holder exited by itself: %v", err)
			case <-time.After(300 * time.Millisecond):
			}
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
				ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
				if !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
					t.Errorf("wait status %v, want killed by SIGKILL", ws)
				}
				if out.String() != "\n" {
					t.Errorf("stdout %q, want one newline (it runs)", out.String())
				}
				// Blocked, not spinning: a loop around a failing syscall
				// would burn the whole 300 ms.
				if cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(); cpu > 150*time.Millisecond {
					t.Errorf("the holder used %v of CPU in 300 ms: it spins", cpu)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the holder did not die of SIGKILL")
			}
		})
	}
}
