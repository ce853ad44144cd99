package app

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
)

// UpSettings change what the embedded builder is configured with beyond
// the defaults. Each one given replaces the kept one; the others stay as
// the last `builder up` left them (embedded.Settings), so build and test,
// which start the builder on demand, start it the same way.
type UpSettings struct {
	// Mirrors are REGISTRY=MIRROR specs (embedded.ParseMirror); given,
	// they replace the kept mirrors.
	Mirrors []string
	// Insecure are registries (mirrors among them) reached over plain
	// HTTP or unverified TLS; given, they replace the kept ones.
	Insecure []string
	// ConfigFile is the user's buildkitd.toml, merged into the generated
	// config; given, it replaces the kept one.
	ConfigFile string
	// Reset drops every kept setting first.
	Reset bool
}

// any says some setting is to change.
func (u *UpSettings) any() bool {
	return u != nil && (u.Reset || len(u.Mirrors) > 0 || len(u.Insecure) > 0 || u.ConfigFile != "")
}

// apply is kept changed by u, or an error saying which spec or file is
// wrong (a *embedded.ConfigFileError for the config file).
func (u *UpSettings) apply(kept embedded.Settings) (embedded.Settings, error) {
	s := kept
	if u.Reset {
		s = embedded.Settings{}
	}
	if len(u.Mirrors) > 0 {
		s.Mirrors = map[string][]string{}
		for _, spec := range u.Mirrors {
			reg, m, err := embedded.ParseMirror(spec)
			if err != nil {
				return s, err
			}
			if !slices.Contains(s.Mirrors[reg], m) {
				s.Mirrors[reg] = append(s.Mirrors[reg], m)
			}
		}
	} else {
		s.Mirrors = maps.Clone(s.Mirrors)
	}
	if len(u.Insecure) > 0 {
		s.Insecure = slices.Clone(u.Insecure)
	}
	if u.ConfigFile != "" {
		abs, err := filepath.Abs(u.ConfigFile)
		if err != nil {
			return s, err
		}
		b, err := os.ReadFile(abs)
		if err != nil {
			return s, fmt.Errorf("--buildkitd-config: %w", err)
		}
		if len(b) == 0 {
			return s, fmt.Errorf("--buildkitd-config %s is empty", abs)
		}
		s.UserConfig, s.UserConfigFile = string(b), abs
	}
	return s, nil
}

// embeddedWithSettings is the embedded builder of o with o.Settings
// applied to its kept settings (unchanged when none are given).
func embeddedWithSettings(o EmbeddedBuilderOptions, opts ...embedded.Option) (*embedded.Builder, error) {
	var kept embedded.Settings
	if !o.Settings.any() || !o.Settings.Reset {
		// With --reset the kept ones are not read: an unreadable
		// settings.json is what --reset is for.
		e, err := newEmbedded(o.Env, o.Embedded, o.Logger, opts...)
		if err != nil || !o.Settings.any() {
			return e, err
		}
		kept = e.Settings()
	}
	s, err := o.Settings.apply(kept)
	if err != nil {
		return nil, err
	}
	return newEmbedded(o.Env, o.Embedded, o.Logger, append(opts, embedded.WithSettings(s))...)
}

// ParseMirror parses a REGISTRY=MIRROR spec (embedded.ParseMirror), for
// the command line to check one before anything is contacted.
func ParseMirror(spec string) (registry, mirror string, err error) {
	return embedded.ParseMirror(spec)
}
