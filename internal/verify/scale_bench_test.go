package verify

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/multiarch-dev/multiarch/internal/registry"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

// scaleSizes are the flat-index sizes of the scale benchmarks: the curve
// must be linear, and 2000 within the targets (≤ 2 s, ≤ 200 MB).
var scaleSizes = []int{500, 1000, 2000}

// BenchmarkVerifyScale resolves and verifies a flat index of n copies of
// one image (a Go binary for linux/amd64; copies=n) and one of n distinct
// images sharing its layer (distinct=n), served by the in-process
// registry, for each n of scaleSizes, and reports the time and the peak
// resident set of one verification (peak-MB, VmHWM reset before each):
//
//	go test -run '^$' -bench VerifyScale -benchtime 3x ./internal/verify
func BenchmarkVerifyScale(b *testing.B) {
	reg := testenv.StartInProcessRegistry(b)
	amd := mustPlatform(b, "linux/amd64")
	img := goImage(b, amd)
	for _, kind := range []string{"copies", "distinct"} {
		for _, n := range scaleSizes {
			var ref string
			if kind == "copies" {
				ref = testenv.PushCopies(b, reg, "copies", fmt.Sprint(n), img, descPlat(amd), n, 1)
			} else {
				ref = testenv.PushDistinct(b, reg, "distinct", fmt.Sprint(n), img, descPlat(amd), n)
			}
			b.Run(fmt.Sprintf("%s=%d", kind, n), func(b *testing.B) { benchVerify(b, ref, n) })
		}
	}
}

func benchVerify(b *testing.B, ref string, n int) {
	var peak int64
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		testenv.ResetPeakRSS()
		b.StartTimer()
		start := time.Now()
		rep := verifyRef(b, ref, Options{})
		elapsed += time.Since(start)
		b.StopTimer()
		peak = max(peak, testenv.PeakRSS())
		if len(rep.Entries) != n {
			b.Fatalf("%d entries, want %d", len(rep.Entries), n)
		}
		b.StartTimer()
	}
	b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/verify")
	b.ReportMetric(float64(peak)/1e6, "peak-MB")
}

// verifyRef resolves ref and verifies it as `multiarch verify` does; a
// duplicate-platform violation is expected of the copies indexes, an
// error is not.
func verifyRef(tb testing.TB, ref string, opts Options) *Report {
	tb.Helper()
	ctx := context.Background()
	res, err := registry.Resolve(ctx, ref, registry.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	rep, err := Index(ctx, res.AsIndex(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	return rep
}
