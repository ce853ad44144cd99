package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/builder/embedded"
)

// upSettingsFlags are builder up's settings of the embedded builder,
// kept in its state dir until changed (app.UpSettings).
type upSettingsFlags struct {
	s app.UpSettings
}

func (f *upSettingsFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.s.Mirrors, "mirror", nil, "pull REGISTRY's images from MIRROR first: `REGISTRY=HOST[:PORT][/PATH]` (HOST alone: docker.io), repeatable; replaces the kept mirrors")
	fs.StringArrayVar(&f.s.Insecure, "insecure-registry", nil, "reach `HOST[:PORT]` (a registry or mirror) over plain HTTP or unverified TLS, repeatable; replaces the kept ones")
	fs.StringVar(&f.s.ConfigFile, "buildkitd-config", "", "merge this buildkitd.toml `FILE` into the generated config (its keys win, except the socket, root and worker multiarch needs); replaces the kept one")
	fs.BoolVar(&f.s.Reset, "reset", false, "drop the kept mirrors, insecure registries and buildkitd config first")
}

// settings are the flags' settings; app leaves the kept ones alone when
// no flag was given (UpSettings.any).
func (f *upSettingsFlags) settings() *app.UpSettings { return &f.s }

// renderSettings says what the embedded builder runs with beyond the
// defaults (its kept settings s; configFile its generated config).
func renderSettings(w io.Writer, s embedded.Settings, configFile string) {
	regs := make([]string, 0, len(s.Mirrors))
	for r := range s.Mirrors {
		regs = append(regs, r)
	}
	slices.Sort(regs)
	for _, r := range regs {
		fmt.Fprintf(w, "mirror:    %s -> %s\n", r, strings.Join(s.Mirrors[r], ", "))
	}
	if len(s.Insecure) > 0 {
		fmt.Fprintf(w, "insecure:  %s\n", strings.Join(s.Insecure, ", "))
	}
	if s.UserConfigFile != "" {
		fmt.Fprintf(w, "config:    %s merged into %s (multiarch keeps %s)\n", s.UserConfigFile, configFile, strings.Join(embedded.Forced, ", "))
	}
}

// mirrorHint says how to give the embedded builder a mirror of domain
// when it is the builder be that could not reach it.
func mirrorHint(be *app.BuilderError, domain string) []string {
	if be == nil || be.Source != app.SourceEmbedded {
		return nil
	}
	return []string{fmt.Sprintf("to give the embedded builder a mirror of %s: `multiarch builder up --mirror %s=HOST[:PORT]` (kept for later builds)", domain, domain)}
}
