package build

import (
	"bytes"
	"strings"
	"testing"
)

// The contract's mode names are accepted ("json" is BuildKit's rawjson);
// an unknown one is refused with the list.
func TestNewDisplayModes(t *testing.T) {
	for _, m := range []string{"", "auto", "plain", "quiet", "json", "rawjson"} {
		if _, err := NewDisplay(&bytes.Buffer{}, m); err != nil {
			t.Errorf("mode %q: %v", m, err)
		}
	}
	if _, err := NewDisplay(&bytes.Buffer{}, "tty"); err == nil {
		t.Error("tty on a buffer: want an error (not a terminal)")
	}
	_, err := NewDisplay(&bytes.Buffer{}, "fancy")
	if err == nil || !strings.Contains(err.Error(), "auto, plain, tty, quiet, json") {
		t.Errorf("unknown mode: %v", err)
	}
}
