package registry

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// BenchmarkInspectScale inspects a flat index of n copies of one image
// served by the in-process registry, n = 500, 1000, 2000, and reports the
// time and the peak resident set of one inspection (peak-MB, VmHWM reset
// before each). Target: 2000 entries within 2 s, linear in n:
//
//	go test -run '^$' -bench InspectScale -benchtime 3x ./internal/registry
func BenchmarkInspectScale(b *testing.B) {
	reg := testenv.StartInProcessRegistry(b)
	img := image(b, true, "linux", "amd64", "")
	for _, n := range []int{500, 1000, 2000} {
		ref := testenv.PushCopies(b, reg, "scale", fmt.Sprint(n), img, plat{"linux", "amd64", ""}.v1(), n, 1)
		b.Run(fmt.Sprintf("entries=%d", n), func(b *testing.B) {
			var peak int64
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				testenv.ResetPeakRSS()
				b.StartTimer()
				start := time.Now()
				ins, err := Inspect(context.Background(), ref, Options{})
				elapsed += time.Since(start)
				b.StopTimer()
				peak = max(peak, testenv.PeakRSS())
				if err != nil {
					b.Fatal(err)
				}
				if len(ins.Manifests) != n {
					b.Fatalf("%d manifests, want %d", len(ins.Manifests), n)
				}
				b.StartTimer()
			}
			b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/inspect")
			b.ReportMetric(float64(peak)/1e6, "peak-MB")
		})
	}
}
