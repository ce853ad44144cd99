package registry

import "testing"

func TestCheckReferenceAndHost(t *testing.T) {
	for _, tt := range []struct {
		ref, host string
		ok        bool
	}{
		{"reg.example:5000/app:v1", "reg.example:5000", true},
		{"busybox", "index.docker.io", true},
		{"user/app@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "index.docker.io", true},
		{"UPPER/app:v1", "", false},
		{"reg.example/app:bad tag", "", false},
	} {
		err := CheckReference(tt.ref)
		if (err == nil) != tt.ok || Host(tt.ref) != tt.host {
			t.Errorf("%q: CheckReference = %v, Host = %q; want ok %v, host %q", tt.ref, err, Host(tt.ref), tt.ok, tt.host)
		}
	}
}
