package embedded

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/google/renameio/v2"
)

// Settings are what `builder up` was told beyond the defaults: registry
// mirrors, registries reached over plain HTTP, and the user's own
// buildkitd.toml. The state directory keeps them (settings.json), so a
// build or test that starts the builder on demand starts it with them,
// as a buildx builder keeps what it was created with.
type Settings struct {
	// Mirrors maps a registry (docker.io) to the mirrors BuildKit pulls
	// its images from first (host[:port][/path]).
	Mirrors map[string][]string `json:"mirrors,omitempty"`
	// Insecure are registries (mirrors among them) reached over plain
	// HTTP or with unverified TLS.
	Insecure []string `json:"insecure,omitempty"`
	// UserConfig is the user's buildkitd.toml (its text, copied when
	// given: later edits of the file need another `builder up`), and
	// UserConfigFile where it came from.
	UserConfig     string `json:"userConfig,omitempty"`
	UserConfigFile string `json:"userConfigFile,omitempty"`
}

// IsZero says nothing beyond the defaults is set.
func (s Settings) IsZero() bool {
	return len(s.Mirrors) == 0 && len(s.Insecure) == 0 && s.UserConfig == ""
}

// ParseMirror parses REGISTRY=MIRROR (MIRROR alone mirrors docker.io, as
// docker's registry-mirrors do). MIRROR is host[:port][/path], without a
// scheme: a loopback one is reached over plain HTTP, another one over
// HTTPS unless it is named insecure too.
func ParseMirror(spec string) (registry, mirror string, err error) {
	registry, mirror, ok := strings.Cut(spec, "=")
	if !ok {
		registry, mirror = "docker.io", spec
	}
	if err := checkHost(registry); err != nil {
		return "", "", fmt.Errorf("mirror %q: registry: %w (write REGISTRY=HOST[:PORT], e.g. docker.io=mirror.example.com)", spec, err)
	}
	if strings.Contains(mirror, "://") {
		return "", "", fmt.Errorf("mirror %q: %q has a scheme; write HOST[:PORT][/PATH] (a loopback mirror is reached over HTTP, another one needs --insecure-registry HOST for HTTP)", spec, mirror)
	}
	host, _, _ := strings.Cut(mirror, "/")
	if err := checkHost(host); err != nil {
		return "", "", fmt.Errorf("mirror %q: mirror: %w (write REGISTRY=HOST[:PORT][/PATH])", spec, err)
	}
	return registry, mirror, nil
}

// checkHost accepts host[:port] with nothing TOML or a URL would trip on.
func checkHost(h string) error {
	switch {
	case h == "":
		return errors.New("empty host")
	case strings.ContainsAny(h, "/ \"'\\=[]\t\n"):
		return fmt.Errorf("%q is not a HOST[:PORT]", h)
	}
	return nil
}

// mirrorHost is the host[:port] of a mirror (its path dropped).
func mirrorHost(m string) string {
	h, _, _ := strings.Cut(m, "/")
	return h
}

// isLoopback says host[:port] is localhost or a loopback address.
func isLoopback(hostport string) bool {
	h := hostport
	if sh, _, err := net.SplitHostPort(hostport); err == nil {
		h = sh
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// WithSettings replaces the kept settings (settings.json) with s: Up
// writes them, with the config they make, when it (re)starts the daemon.
// A user config that is not valid buildkitd TOML is a *ConfigFileError
// from New, before anything is touched. Without it New loads the kept
// ones.
func WithSettings(s Settings) Option {
	return func(e *Builder) error {
		for reg, ms := range s.Mirrors {
			for _, m := range ms {
				if _, _, err := ParseMirror(reg + "=" + m); err != nil {
					return err
				}
			}
		}
		for _, h := range s.Insecure {
			if err := checkHost(h); err != nil {
				return fmt.Errorf("insecure registry: %w", err)
			}
		}
		if s.UserConfig != "" {
			if _, err := parseUserConfig(s.UserConfigFile, s.UserConfig); err != nil {
				return err
			}
		}
		e.settings, e.settingsGiven = s, true
		return nil
	}
}

// Settings are the builder's settings: given (WithSettings) or kept.
func (e *Builder) Settings() Settings { return e.settings }

func (e *Builder) settingsFile() string { return filepath.Join(e.stateDir, "settings.json") }

// loadSettings reads the kept settings; none kept is the zero Settings.
func (e *Builder) loadSettings() error {
	b, err := os.ReadFile(e.settingsFile())
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		// No state dir yet (or not one): nothing kept; Up says what is
		// wrong with it.
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &e.settings); err != nil {
		return fmt.Errorf("%s: %w (remove it, or run `multiarch builder up --reset`)", e.settingsFile(), err)
	}
	if e.settings.UserConfig != "" {
		if _, err := parseUserConfig(e.settingsFile(), e.settings.UserConfig); err != nil {
			return err
		}
	}
	return nil
}

// saveSettings keeps the settings; zero settings remove the file.
func (e *Builder) saveSettings() error {
	if e.settings.IsZero() {
		if err := os.Remove(e.settingsFile()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	b, err := json.MarshalIndent(e.settings, "", "  ")
	if err != nil {
		return err
	}
	return renameio.WriteFile(e.settingsFile(), append(b, '\n'), 0o600)
}

// registryEntries are the [registry] entries of the generated config:
// insecure registries (plain HTTP, unverified TLS), mirrors, and plain
// HTTP for loopback mirrors (explicit, though BuildKit would default to
// it).
func registryEntries(insecure []string, mirrors map[string][]string) map[string]map[string]any {
	out := map[string]map[string]any{}
	entry := func(h string) map[string]any {
		if out[h] == nil {
			out[h] = map[string]any{}
		}
		return out[h]
	}
	for _, h := range insecure {
		entry(h)["http"], entry(h)["insecure"] = true, true
	}
	for reg, ms := range mirrors {
		entry(reg)["mirrors"] = slices.Clone(ms)
		for _, m := range ms {
			if h := mirrorHost(m); isLoopback(h) && !slices.Contains(insecure, h) {
				entry(h)["http"] = true
			}
		}
	}
	return out
}
