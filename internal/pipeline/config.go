package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigFile is the name of the configuration file looked for in the
// build context.
const ConfigFile = "multiarch.yaml"

// The classic CI script's environment.
const (
	EnvPlatforms = "DOCKER_PLATFORMS" // space or comma separated
	EnvBase      = "DOCKER_BASE"      // build-arg BASE
	EnvTags      = "TAGS"             // space separated (see Config.Tags)
	EnvImage     = "DOCKER_IMAGE"     // repository bare TAGS entries belong to
	EnvUsername  = "DOCKER_USERNAME"
	EnvPassword  = "DOCKER_PASSWORD"
)

// Config is one source of ci configuration. Empty fields (nil for the
// booleans) are unset and leave the value of a lower source in place.
// The YAML names are multiarch.yaml's.
type Config struct {
	Platforms []string `yaml:"platforms"`
	// Tags are full references, or bare tags ("latest", "1.0": no "/" and
	// no ":") of Image.
	Tags []string `yaml:"tags"`
	// Image is the repository bare tags are appended to.
	Image string `yaml:"image"`
	// Base is passed as the build argument BASE.
	Base      string            `yaml:"base"`
	BuildArgs map[string]string `yaml:"build_args"`
	// Test is the command run as `sh -c TEST` in every platform, before
	// the push and again on the pushed images.
	Test      string `yaml:"test"`
	StrictCPU *bool  `yaml:"strict_cpu"`
	// File is the Dockerfile, relative to the build context.
	File           string `yaml:"file"`
	Target         string `yaml:"target"`
	SetupEmulation *bool  `yaml:"setup_emulation"`
	// TagsFromGit adds the tags, labels and annotations of the commit
	// built (internal/gitmeta) to every repository named (WithGit).
	TagsFromGit *bool `yaml:"tags_from_git"`
	// Push false is PR mode (see prmode.go): nothing reaches a registry;
	// OCIDir keeps the exported OCI layout there.
	Push   *bool  `yaml:"push"`
	OCIDir string `yaml:"oci_dir"`
	// Username and Password log in to the registry of the first tag. Never
	// read from the file: credentials do not belong in a repository.
	Username string `yaml:"-"`
	Password string `yaml:"-"`
}

// ConfigError says a configuration source is wrong; Source names it.
type ConfigError struct {
	Source string
	Err    error
}

func (e *ConfigError) Error() string { return fmt.Sprintf("%s: %v", e.Source, e.Err) }
func (e *ConfigError) Unwrap() error { return e.Err }

// LoadFile reads a multiarch.yaml. A missing file is an empty Config;
// unknown fields are an error.
func LoadFile(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, nil
	}
	if err != nil {
		return Config{}, &ConfigError{Source: path, Err: err}
	}
	return ParseYAML(path, b)
}

// ParseYAML parses multiarch.yaml content; source names it in errors.
func ParseYAML(source string, b []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, &ConfigError{Source: source, Err: err}
	}
	return c, nil
}

// FromEnv reads the classic CI script's environment through getenv.
func FromEnv(getenv func(string) string) Config {
	return Config{
		Platforms: splitList(getenv(EnvPlatforms)),
		Base:      getenv(EnvBase),
		Tags:      strings.Fields(getenv(EnvTags)),
		Image:     getenv(EnvImage),
		Username:  getenv(EnvUsername),
		Password:  getenv(EnvPassword),
	}
}

// splitList splits on commas and white space.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// Merge layers sources: each later one overrides the fields it sets.
// Call it as Merge(file, env, flags). Build arguments merge key by key.
func Merge(layers ...Config) Config {
	var out Config
	for _, l := range layers {
		out.Platforms = pick(out.Platforms, l.Platforms)
		out.Tags = pick(out.Tags, l.Tags)
		out.Image = pickStr(out.Image, l.Image)
		out.Base = pickStr(out.Base, l.Base)
		out.Test = pickStr(out.Test, l.Test)
		out.File = pickStr(out.File, l.File)
		out.Target = pickStr(out.Target, l.Target)
		out.Username = pickStr(out.Username, l.Username)
		out.Password = pickStr(out.Password, l.Password)
		if l.StrictCPU != nil {
			out.StrictCPU = l.StrictCPU
		}
		if l.SetupEmulation != nil {
			out.SetupEmulation = l.SetupEmulation
		}
		if l.TagsFromGit != nil {
			out.TagsFromGit = l.TagsFromGit
		}
		if l.Push != nil {
			out.Push = l.Push
		}
		out.OCIDir = pickStr(out.OCIDir, l.OCIDir)
		for k, v := range l.BuildArgs {
			if out.BuildArgs == nil {
				out.BuildArgs = map[string]string{}
			}
			out.BuildArgs[k] = v
		}
	}
	return out
}

func pick(old, v []string) []string {
	if len(v) > 0 {
		return v
	}
	return old
}

func pickStr(old, v string) string {
	if v != "" {
		return v
	}
	return old
}
