package verify

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// rootfsBenches are the real distributions the rootfs benchmarks read:
// amd64 (x86-64 ISA notes) and armhf (every ARM file's sections parsed for
// its attributes, the slowest classification).
var rootfsBenches = []struct{ debArch, platform string }{
	{"amd64", "linux/amd64"},
	{"armhf", "linux/arm/v7"},
}

// rootfsBlob reads a Debian root filesystem fixture (a gzip layer) and its
// uncompressed size.
func rootfsBlob(b *testing.B, debArch string) ([]byte, int64) {
	b.Helper()
	blob, err := os.ReadFile(testenv.RootfsTarGz(b, debArch))
	if err != nil {
		b.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(blob))
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		b.Fatal(err)
	}
	return blob, n
}

// BenchmarkVerifyRootfs verifies a real Debian root filesystem as a
// single-layer image, fresh cache each time; BenchmarkGunzipRootfs runs
// `gzip -dc` on the same layer. MB/s of uncompressed bytes, side by side
// (scripts/bench.sh prints the ratio, target >= 0.70):
//
//	go test -run '^$' -bench Rootfs ./internal/verify
func BenchmarkVerifyRootfs(b *testing.B) {
	for _, r := range rootfsBenches {
		b.Run(r.debArch, func(b *testing.B) {
			blob, size := rootfsBlob(b, r.debArch)
			p := mustPlatform(b, r.platform)
			img := image(b, p, static.NewLayer(blob, types.OCILayer))
			b.SetBytes(size)
			cpu0 := selfCPU(b)
			for b.Loop() {
				rep, err := Image(context.Background(), registry.ImageOf(img), &p, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if len(rep.Violations) != 0 {
					b.Fatalf("%d violations, first %s", len(rep.Violations), rep.Violations[0].Message)
				}
			}
			reportCPU(b, size, selfCPU(b)-cpu0)
		})
	}
}

// BenchmarkGunzipRootfs is `gzip -dc` of BenchmarkVerifyRootfs's layers.
func BenchmarkGunzipRootfs(b *testing.B) {
	_, err := exec.LookPath("gzip")
	testenv.Require(b, err == nil, "the gzip command is the throughput reference: install gzip")
	for _, r := range rootfsBenches {
		b.Run(r.debArch, func(b *testing.B) {
			blob, size := rootfsBlob(b, r.debArch)
			b.SetBytes(size)
			var cpu time.Duration
			for b.Loop() {
				cmd := exec.Command("gzip", "-dc")
				cmd.Stdin, cmd.Stdout = bytes.NewReader(blob), io.Discard
				if err := cmd.Run(); err != nil {
					b.Fatal(err)
				}
				cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			}
			reportCPU(b, size, cpu)
		})
	}
}

// On a loaded machine wall-clock MB/s measures the scheduler as much as
// the code, so the rootfs benchmarks also report cpu-MB/s: uncompressed
// bytes per CPU second (user + system) of the process doing the work.
func reportCPU(b *testing.B, size int64, cpu time.Duration) {
	if cpu > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "cpu-MB/s")
	}
}

// selfCPU is the CPU time this process has used so far.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
