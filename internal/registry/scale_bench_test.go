package registry

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// BenchmarkInspectScale inspects a flat index of n copies of one image
// (copies=n) and one of n distinct images (distinct=n) served by the
// in-process registry, n = 500, 1000, 2000, and reports the time and the
// peak resident set of one inspection (peak-MB, VmHWM reset before each).
// Target: 2000 entries within 2 s, linear in n:
//
//	go test -run '^$' -bench InspectScale -benchtime 3x ./internal/registry
func BenchmarkInspectScale(b *testing.B) {
	reg := testenv.StartInProcessRegistry(b)
	img := image(b, true, "linux", "amd64", "")
	amd := plat{"linux", "amd64", ""}.v1()
	for _, kind := range []string{"copies", "distinct"} {
		for _, n := range []int{500, 1000, 2000} {
			var ref string
			if kind == "copies" {
				ref = testenv.PushCopies(b, reg, "copies", fmt.Sprint(n), img, amd, n, 1)
			} else {
				ref = testenv.PushDistinct(b, reg, "distinct", fmt.Sprint(n), img, amd, n)
			}
			b.Run(fmt.Sprintf("%s=%d", kind, n), func(b *testing.B) { benchInspect(b, ref, n) })
		}
	}
}

func benchInspect(b *testing.B, ref string, n int) {
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
}
