package app

import (
	"context"
	"testing"
)

// TestLoginNeedsItsInputs refuses before any network: no user or
// password, no config dir to store in.
func TestLoginNeedsItsInputs(t *testing.T) {
	for _, o := range []LoginOptions{
		{Server: "127.0.0.1:1", Password: "p", ConfigDir: t.TempDir()},
		{Server: "127.0.0.1:1", Username: "u", ConfigDir: t.TempDir()},
		{Server: "127.0.0.1:1", Username: "u", Password: "p"},
	} {
		if _, err := Login(context.Background(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}
