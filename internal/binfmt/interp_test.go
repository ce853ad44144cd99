package binfmt

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestInspectInterpreter(t *testing.T) {
	script := filepath.Join(t.TempDir(), "script")
	os.WriteFile(script, []byte("#!/bin/sh\n"), 0o755)
	sh, _ := exec.LookPath("sh")
	tests := []struct {
		path, resolved  string
		exists, static  bool
		wantErr, system bool
	}{
		// Debian's qemu is static-pie: ET_DYN without PT_INTERP.
		{path: "/usr/bin/qemu-aarch64-static", resolved: "/usr/bin/qemu-aarch64-static", exists: true, static: true, system: true},
		{path: "/usr/libexec/qemu-binfmt/arm-binfmt-P", resolved: "/usr/bin/qemu-arm-static", exists: true, static: true, system: true},
		{path: sh, exists: true, static: false},
		{path: "/nonexistent/qemu", exists: false},
		{path: script, resolved: script, exists: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if tt.system {
				requireFile(t, tt.path)
			}
			in := InspectInterpreter(tt.path)
			if in.Exists != tt.exists || in.Static != tt.static || (in.Err != nil) != tt.wantErr {
				t.Errorf("got %+v", in)
			}
			if tt.resolved != "" && in.Resolved != tt.resolved {
				t.Errorf("resolved %q, want %q", in.Resolved, tt.resolved)
			}
		})
	}
}
