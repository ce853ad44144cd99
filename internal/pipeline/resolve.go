package pipeline

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/multiarch-dev/multiarch/internal/gitmeta"
	"github.com/multiarch-dev/multiarch/internal/platform"
	"github.com/multiarch-dev/multiarch/internal/registry"
)

// Plan is a checked configuration: what the pipeline will do.
type Plan struct {
	Platforms []platform.Platform
	// Tags are full references; the first one's registry is logged in to.
	Tags           []string
	BuildArgs      map[string]string
	Test           string
	StrictCPU      bool
	File, Target   string
	SetupEmulation bool
	Username       string
	Password       string
	// Labels go on every image config, Annotations on the index and every
	// manifest; Git is what they and the git tags were computed from (nil
	// without tags from git). See WithGit.
	Labels, Annotations map[string]string
	Git                 *gitmeta.Meta
	// NoPush is PR mode: build, test and verify into a local OCI layout,
	// OCIDir when set (else a temp directory, removed after the run).
	NoPush bool
	OCIDir string
}

// Login says whether credentials were given.
func (p Plan) Login() bool { return p.Username != "" || p.Password != "" }

// Registry is the registry of the first tag.
func (p Plan) Registry() string { return registry.Host(p.Tags[0]) }

// Errors of Resolve (wrapped in a *ConfigError naming the setting). The
// missing settings are set in ConfigFile, in the environment (EnvPlatforms,
// EnvTags, EnvImage) or by the caller's own means: the CLI says which.
var (
	ErrNoPlatforms  = errors.New("no platform to build")
	ErrNoTags       = errors.New("no tag to push")
	ErrNoImage      = errors.New("is a bare tag, but no image to append it to")
	ErrHalfLogin    = errors.New("give both the user and the password, or neither")
	ErrBadReference = errors.New("not an image reference")
)

// Resolve checks c and turns it into a Plan; nothing runs before it
// succeeds.
func (c Config) Resolve() (Plan, error) {
	p := Plan{Test: c.Test, File: c.File, Target: c.Target, Username: c.Username, Password: c.Password}
	p.StrictCPU = c.StrictCPU != nil && *c.StrictCPU
	p.SetupEmulation = c.SetupEmulation != nil && *c.SetupEmulation
	if len(c.Platforms) == 0 {
		return p, &ConfigError{Source: "platforms", Err: ErrNoPlatforms}
	}
	ps, err := platform.ParseList(strings.Join(c.Platforms, ","))
	if err != nil {
		return p, &ConfigError{Source: "platforms", Err: err}
	}
	p.Platforms = ps
	if err := c.resolvePR(&p); err != nil {
		return p, err
	}
	if p.Tags, err = c.fullTags(); err != nil {
		return p, err
	}
	p.BuildArgs = maps.Clone(c.BuildArgs)
	if c.Base != "" {
		if p.BuildArgs == nil {
			p.BuildArgs = map[string]string{}
		}
		p.BuildArgs["BASE"] = c.Base
	}
	if (p.Username == "") != (p.Password == "") {
		return p, &ConfigError{Source: "credentials", Err: ErrHalfLogin}
	}
	return p, nil
}

// fullTags expands bare tags against Image and checks every reference.
func (c Config) fullTags() ([]string, error) {
	if len(c.Tags) == 0 && c.prMode() {
		return nil, nil
	}
	if len(c.Tags) == 0 {
		return nil, &ConfigError{Source: "tags", Err: ErrNoTags}
	}
	out := make([]string, len(c.Tags))
	for i, t := range c.Tags {
		if !strings.ContainsAny(t, "/:") {
			if c.Image == "" {
				return nil, &ConfigError{Source: "tags", Err: fmt.Errorf("%q %w", t, ErrNoImage)}
			}
			t = c.Image + ":" + t
		}
		if err := registry.CheckReference(t); err != nil {
			return nil, &ConfigError{Source: "tags", Err: fmt.Errorf("%q: %w: %v", t, ErrBadReference, err)}
		}
		out[i] = t
	}
	return out, nil
}
