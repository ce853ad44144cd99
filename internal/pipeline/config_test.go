package pipeline

import (
	"errors"
	"strings"
	"testing"
)

func TestPrecedenceFlagsEnvFile(t *testing.T) {
	yes, no := true, false
	file, err := ParseYAML("multiarch.yaml", []byte(`
platforms: [linux/amd64, linux/arm64]
tags: [latest]
image: reg.example/file
base: file-base
build_args: {A: file, B: file}
test: echo file
strict_cpu: true
file: Dockerfile.ci
target: final
setup_emulation: true
`))
	if err != nil {
		t.Fatal(err)
	}
	env := FromEnv(envMap{EnvPlatforms: "linux/s390x  linux/arm/v6", EnvImage: "reg.example/env", EnvBase: "env-base",
		EnvUsername: "u", EnvPassword: "p"}.get)
	flags := Config{Tags: []string{"1.0", "other.example/x:y"}, BuildArgs: map[string]string{"B": "flag"}, StrictCPU: &no, SetupEmulation: &yes}
	p, err := Merge(file, env, flags).Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Platforms[0].String() + "," + p.Platforms[1].String(); got != "linux/s390x,linux/arm/v6" {
		t.Errorf("platforms %s: env beats the file", got)
	}
	if strings.Join(p.Tags, " ") != "reg.example/env:1.0 other.example/x:y" {
		t.Errorf("tags %v: flags beat the file, bare tags go to the env image", p.Tags)
	}
	if p.BuildArgs["A"] != "file" || p.BuildArgs["B"] != "flag" || p.BuildArgs["BASE"] != "env-base" {
		t.Errorf("build args %v", p.BuildArgs)
	}
	if p.StrictCPU || !p.SetupEmulation || p.Test != "echo file" || p.File != "Dockerfile.ci" || p.Target != "final" || !p.Login() {
		t.Errorf("plan %+v", p)
	}
	if p.Registry() != "reg.example" {
		t.Errorf("registry %s", p.Registry())
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := ParseYAML("m.yaml", []byte("platforms: [linux/amd64]\npassword: x\n")); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("credentials are not a file field: %v", err)
	}
	for name, c := range map[string]struct {
		c    Config
		want error
	}{
		"no platforms": {Config{Tags: []string{"r/x:1"}}, ErrNoPlatforms},
		"no tags":      {Config{Platforms: []string{"linux/amd64"}}, ErrNoTags},
		"bare tag":     {Config{Platforms: []string{"linux/amd64"}, Tags: []string{"latest"}}, ErrNoImage},
		"half login":   {Config{Platforms: []string{"linux/amd64"}, Tags: []string{"r/x:1"}, Username: "u"}, ErrHalfLogin},
	} {
		_, err := c.c.Resolve()
		var ce *ConfigError
		if !errors.Is(err, c.want) || !errors.As(err, &ce) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

type envMap map[string]string

func (m envMap) get(k string) string { return m[k] }
