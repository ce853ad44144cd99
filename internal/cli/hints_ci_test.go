package cli

import (
	"fmt"
	"testing"

	"github.com/multiarch-dev/multiarch/internal/pipeline"
)

// TestCIConfigHints checks where ci's configuration errors say to set
// what is missing: pipeline names the setting, the CLI adds its flag on a
// line of its own.
func TestCIConfigHints(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&pipeline.ConfigError{Source: "platforms", Err: pipeline.ErrNoPlatforms},
			"platforms: no platform to build\nset platforms in multiarch.yaml, DOCKER_PLATFORMS, or --platform"},
		{&pipeline.ConfigError{Source: "tags", Err: pipeline.ErrNoTags},
			"tags: no tag to push\nset tags in multiarch.yaml, TAGS, or -t"},
		{&pipeline.ConfigError{Source: "tags", Err: fmt.Errorf("%q %w", "latest", pipeline.ErrNoImage)},
			"tags: \"latest\" is a bare tag, but no image to append it to\nset image in multiarch.yaml, DOCKER_IMAGE, or --image"},
		{&pipeline.ConfigError{Source: "credentials", Err: pipeline.ErrHalfLogin},
			"credentials: give both the user and the password, or neither"},
	} {
		if got := Message(tc.err); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
