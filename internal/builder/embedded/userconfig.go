package embedded

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"strings"

	bkconfig "github.com/moby/buildkit/cmd/buildkitd/config"
	"github.com/pelletier/go-toml/v2"
)

// ConfigFileError says the user's buildkitd.toml (File) is not one
// buildkitd would take: bad TOML or a key buildkitd does not know, at Line
// (0: unknown).
type ConfigFileError struct {
	File string
	Line int
	Key  string
	Err  error
}

func (e *ConfigFileError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Key != "" {
		return fmt.Sprintf("%s: %s: %v", where, e.Key, e.Err)
	}
	return fmt.Sprintf("%s: %v", where, e.Err)
}

func (e *ConfigFileError) Unwrap() error { return e.Err }

// Forced are the keys of the generated config a user config cannot
// change: without them the embedded builder is not multiarch's (its
// socket, state, trace socket) or cannot build (the OCI worker through
// multiarch's runc wrapper; the containerd worker off, there is no
// containerd).
var Forced = []string{"root", "grpc.address", "otel.socketPath", "worker.oci.enabled", "worker.oci.binary", "worker.containerd.enabled"}

// parseUserConfig parses text (from file) as buildkitd.toml: valid TOML
// whose keys buildkitd knows, with values of the types it wants (decoded
// strictly into BuildKit's own config type). Else a *ConfigFileError.
func parseUserConfig(file, text string) (map[string]any, error) {
	var m map[string]any
	if err := toml.Unmarshal([]byte(text), &m); err != nil {
		return nil, configFileError(file, err)
	}
	dec := toml.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	var c bkconfig.Config
	if err := dec.Decode(&c); err != nil {
		return nil, configFileError(file, err)
	}
	return m, nil
}

func configFileError(file string, err error) error {
	var se *toml.StrictMissingError
	if errors.As(err, &se) && len(se.Errors) > 0 {
		d := se.Errors[0]
		row, _ := d.Position()
		return &ConfigFileError{File: file, Line: row, Key: strings.Join(d.Key(), "."),
			Err: errors.New("buildkitd has no such setting (see https://docs.docker.com/build/buildkit/toml-configuration/)")}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, _ := de.Position()
		return &ConfigFileError{File: file, Line: row, Key: strings.Join(de.Key(), "."), Err: errors.New(de.Error())}
	}
	return &ConfigFileError{File: file, Err: err}
}

// mergeUserConfig is the generated config with the user's merged in:
// the user's keys win (tables merge key by key, [registry."docker.io"]
// included), except the Forced ones.
func mergeUserConfig(root, address, traceSocket, runcWrapper string, regs map[string]map[string]any, s Settings) (string, error) {
	user, err := parseUserConfig(s.UserConfigFile, s.UserConfig)
	if err != nil {
		return "", err
	}
	reg := map[string]any{}
	for h, e := range regs {
		reg[h] = maps.Clone(e)
	}
	ours := map[string]any{
		"registry":              reg,
		"worker":                map[string]any{"oci": map[string]any{}, "containerd": map[string]any{}},
		"insecure-entitlements": grantedEntitlements,
	}
	merged := mergeMaps(ours, user)
	forced := map[string]any{
		"root":   root,
		"grpc":   map[string]any{"address": []string{address}},
		"otel":   map[string]any{"socketPath": traceSocket},
		"worker": map[string]any{"oci": map[string]any{"enabled": true, "binary": runcWrapper}, "containerd": map[string]any{"enabled": false}},
	}
	merged = mergeMaps(merged, forced)
	if len(reg) == 0 {
		if r, ok := merged["registry"].(map[string]any); ok && len(r) == 0 {
			delete(merged, "registry")
		}
	}
	var b bytes.Buffer
	b.WriteString("# Written by multiarch (`multiarch builder up`); changes are overwritten.\n")
	fmt.Fprintf(&b, "# Merged with %s; multiarch keeps its own %s.\n", s.UserConfigFile, strings.Join(Forced, ", "))
	enc := toml.NewEncoder(&b)
	enc.SetIndentTables(true)
	if err := enc.Encode(merged); err != nil {
		return "", err
	}
	return b.String(), nil
}

// mergeMaps returns base with over laid on top: tables merge key by key,
// every other value of over replaces base's.
func mergeMaps(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	for k, v := range over {
		bm, ok1 := out[k].(map[string]any)
		om, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = mergeMaps(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}
