// Package testenv gives tests the real parts they need: host locks around
// shared kernel state, a real distribution registry, fixture images built
// from real binaries. In CI (CI=true) a missing prerequisite fails the test;
// elsewhere it skips with the reason.
package testenv
