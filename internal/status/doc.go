// Package status is the one outcome type of every check multiarch
// reports: doctor's host and builder checks, the uname and command checks
// of a test cell (imagetest), and the steps of `multiarch ci` (pipeline).
//
// Its JSON spelling is lowercase and stable:
//
//   - "pass": the check passed; for a ci step, the step ran and succeeded.
//   - "warn": doctor only: something works less well than it could (a
//     missing C flag, an unreadable QEMU version); a warning does not make
//     a host unready.
//   - "fail": the check failed; doctor exits 1, a test cell fails, a ci
//     step stops the run.
//   - "skip": the check did not run: a test cell's uname check when the
//     image has no uname, its command check when no command was given; a
//     ci step that was not asked for, or not reached after a failure.
//
// Text reports may label these differently (doctor's table prints OK,
// WARN and FAIL); only the JSON spelling is fixed here.
//
// The package imports nothing of multiarch.
package status
