// Package imagetest runs the per-platform test matrix of `multiarch test`
// and renders its reports (table, JSON, JUnit XML).
//
// A cell is one platform entry of one tag. It runs two checks in a
// container of that entry (the Container decides whether both share one
// running container; internal/build/container's Shared does where a
// holder is PID 1, which saves a container start per cell):
//
//   - uname: `uname -m` prints a machine the platform table expects
//     (natively or under emulation; with StrictCPU an emulated arm/vN must
//     print armvN…). Skipped when the image has no uname.
//   - command: the user's command exits 0. Skipped when none is given.
//
// Before either runs, the executable is looked up in the image and, when
// it is an ELF file, its machine, class and byte order are compared with
// the platform: an x86-64 binary in an arm64 entry would run natively on
// an x86-64 builder and pass, then fail with "exec format error" on arm64
// hardware, so it fails here.
//
// With StrictCPU, emulated cells run with QEMU_CPU set to the platform's
// oldest CPU model (platform.Platform.StrictCPU), so instructions newer than
// the variant die with SIGILL. Native cells run without emulation.
//
// The package never imports BuildKit: it runs containers through the
// Container interface and opens them per cell through an Opener. `multiarch
// test` adapts internal/build/container's Runner (registry images);
// `build --test` adapts containers of solved, not yet exported results
// (build.Options.Test) and runs the same matrix on them.
//
// Where a cell runs is the caller's choice, recorded in Target.Node and
// Target.Native. On a named multi-node builder `multiarch test --builder`
// routes each platform as a build would (builder.Plan through
// container.RouteContainers: a node that runs it natively first, else one that
// emulates it), so a cell is native when its node is. The table gains a
// NODE column when the cells ran on more than one node.
//
// # JSON report (stable; snake_case)
//
//	{
//	  "references": ["127.0.0.1:5000/app:1.0"],
//	  "command": ["sh", "-c", "echo hi"],          // omitted when none
//	  "strict_cpu": true,
//	  "passed": false,
//	  "total": 7, "failed": 1,
//	  "duration_seconds": 3.2,
//	  "cells": [{
//	    "tag": "127.0.0.1:5000/app:1.0",
//	    "platform": "linux/arm/v6",
//	    "digest": "sha256:…",                     // the platform entry's manifest
//	    "node": "tcp://arm1:1234",                // endpoint of the builder node it ran on; omitted
//	                                               // when unknown (a later, additive field)
//	    "emulated": true,
//	    "cpu": "arm1176",                          // "native", "default" or a QEMU model
//	    "machine": "armv6l",                       // what uname -m printed ("" if it did not run)
//	    "passed": false,
//	    "duration_seconds": 0.4,
//	    "error": "…",                              // the cell could not run at all; omitted otherwise
//	    "uname":   {CHECK},
//	    "command": {CHECK}
//	  }]
//	}
//
// CHECK is
//
//	{
//	  "status": "pass" | "fail" | "skip",          // internal/status
//	  "args": ["uname", "-m"],
//	  "expected": ["armv6l…"],                     // uname only
//	  "exit_code": 132,                            // null when it did not run
//	  "signal": "SIGILL",                          // omitted unless killed by a signal
//	  "message": "killed by SIGILL …",             // why it failed or was skipped
//	  "output_tail": ["last", "lines"]             // failures only: up to TailLines lines
//	}
package imagetest
