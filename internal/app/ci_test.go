package app

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/builder"
	"github.com/multiarch-dev/multiarch/internal/doctor"
	"github.com/multiarch-dev/multiarch/internal/pipeline"
	"github.com/multiarch-dev/multiarch/internal/status"
	"github.com/multiarch-dev/multiarch/internal/testenv"
)

func ciPlan(t *testing.T) pipeline.Plan {
	return pipeline.Plan{Platforms: testenv.Platforms(t, "linux/amd64"), Tags: []string{"127.0.0.1:9/app:1"}}
}

// Build options are checked before any step runs: a missing context is
// refused with no summary and no step seen.
func TestRunCIRefusesBadOptionsFirst(t *testing.T) {
	steps := 0
	sum, err := RunCI(t.Context(), CIOptions{Plan: ciPlan(t), ContextDir: filepath.Join(t.TempDir(), "missing"), Env: testEnv(t)},
		CISinks{OnStep: func(pipeline.Step) { steps++ }})
	var invalid *InvalidBuildError
	if !errors.As(err, &invalid) || sum != nil || steps != 0 {
		t.Fatalf("err %v, summary %v, %d steps seen; want an InvalidBuildError before any step", err, sum, steps)
	}
}

// A run pushed by digest makes its digest directory before any step
// runs, and one it cannot make stops it there: no image is proved that
// could not be recorded.
func TestRunCIMakesDigestDirFirst(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	steps := 0
	sum, err := RunCI(t.Context(), CIOptions{Plan: ciPlan(t), ContextDir: dir, Env: testEnv(t), Builder: "nope",
		PushByDigest: true, DigestDir: filepath.Join(file, "digests")}, CISinks{OnStep: func(pipeline.Step) { steps++ }})
	if err == nil || sum != nil || steps != 0 || !strings.Contains(err.Error(), "digest directory") {
		t.Fatalf("err %v, summary %v, %d steps seen; want the digest directory refused before any step", err, sum, steps)
	}
	made := filepath.Join(t.TempDir(), "a", "b")
	sum, _ = RunCI(t.Context(), CIOptions{Plan: ciPlan(t), ContextDir: dir, Env: testEnv(t), Builder: "nope",
		PushByDigest: true, DigestDir: made}, CISinks{})
	if fi, err := os.Stat(made); err != nil || !fi.IsDir() || sum == nil || sum.Passed {
		t.Fatalf("digest directory %s: %v; summary %+v; want it made, then the run stopped at doctor", made, err, sum)
	}
}

// The first failing step stops the run: later steps are skipped, the
// summary records every step, the step's message is worded by the sinks,
// and the error names the step and keeps the typed cause.
func TestRunCIStopsAtFirstFailure(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var seen []string
	s := CISinks{
		OnStep:      func(st pipeline.Step) { seen = append(seen, st.Name+":"+string(st.Status)) },
		StepMessage: func(err error) string { return "worded: " + err.Error() },
	}
	sum, err := RunCI(t.Context(), CIOptions{Plan: ciPlan(t), ContextDir: dir, Env: testEnv(t), Builder: "nope"}, s)
	want := "setup-emulation:skip doctor:fail login:skip build+test+push:skip verify:skip test-pushed:skip tag:skip"
	if got := strings.Join(seen, " "); got != want {
		t.Errorf("steps %s, want %s", got, want)
	}
	var unknown *builder.UnknownBuilderError
	if !errors.Is(err, pipeline.ErrStepFailed) || !errors.As(err, &unknown) || !strings.Contains(err.Error(), "ci stopped at step doctor") {
		t.Errorf("err = %v, want the doctor step's UnknownBuilderError", err)
	}
	if sum == nil || sum.Passed || len(sum.Steps) != 7 || !strings.HasPrefix(sum.Steps[1].Message, "worded: ") {
		t.Fatalf("summary %+v", sum)
	}
}

// A failing doctor report says whether the host or only the builder
// failed, by the checks' Kind.
func TestDoctorFailures(t *testing.T) {
	rep := &doctor.Report{Checks: []doctor.Check{
		{Kind: doctor.KindNode, Node: "node-0", Status: status.Fail},
		{Kind: doctor.KindKernel, Status: status.Pass},
	}}
	if n, host := DoctorFailures(rep); n != 1 || host {
		t.Errorf("builder only: %d %v", n, host)
	}
	rep.Checks = append(rep.Checks, doctor.Check{Kind: doctor.KindProbe, Platform: "linux/arm64", Status: status.Fail})
	if n, host := DoctorFailures(rep); n != 2 || !host {
		t.Errorf("with host: %d %v", n, host)
	}
	e := &DoctorFailedError{Failed: 1, Builder: "far"}
	if !errors.Is(e, ErrChecksFailed) || !strings.Contains(e.Error(), "1 builder check(s) failed") {
		t.Errorf("DoctorFailedError: %v", e)
	}
}
