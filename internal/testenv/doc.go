// Package testenv gives tests the real parts they need: host locks around
// shared kernel state, a real distribution registry (or an in-process one
// for fast tests), a buildkitd serving mutual TLS with throw-away CAs,
// fixture images built from real binaries (Debian busybox-static,
// cross-compiled Go programs) and deliberately broken ones. In CI
// (CI=true) a missing prerequisite fails the test; elsewhere it skips with
// the reason.
package testenv
