package cli

import (
	"encoding/json"

	"github.com/spf13/cobra"
)

// Docker CLI plugin mode: installed as ~/.docker/cli-plugins/docker-multiarch
// (or in /usr/local/lib/docker/cli-plugins), `docker multiarch ARGS` runs
// `docker-multiarch multiarch ARGS` after asking the binary for its
// metadata with `docker-multiarch docker-cli-plugin-metadata`.

// pluginMetadataCmd is the command the docker CLI calls to discover a plugin.
const pluginMetadataCmd = "docker-cli-plugin-metadata"

// pluginName is the first argument the docker CLI passes a plugin it runs:
// the plugin's own name.
const pluginName = "multiarch"

// pluginMetadata is the document the docker CLI reads (its
// cli-plugins/metadata.Metadata; SchemaVersion 0.1.0).
type pluginMetadata struct {
	SchemaVersion    string
	Vendor           string
	Version          string
	ShortDescription string
	URL              string
}

func newPluginMetadataCmd() *cobra.Command {
	return &cobra.Command{
		Use:    pluginMetadataCmd,
		Short:  "Print the Docker CLI plugin metadata (the docker CLI calls it)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "     ")
			return enc.Encode(pluginMetadata{
				SchemaVersion:    "0.1.0",
				Vendor:           "multiarch-dev",
				Version:          versionString(),
				ShortDescription: "Build, test, verify and publish multi-architecture images",
				URL:              "https://github.com/multiarch-dev/multiarch",
			})
		},
	}
}

// pluginArgs drops the plugin name the docker CLI puts before the
// command line (`docker multiarch build .` runs `docker-multiarch
// multiarch build .`), and after cobra's completion request when the
// docker CLI's completion asks the plugin (`docker-multiarch __complete
// multiarch build --pla`). No command is named multiarch, so the word is
// never a command of ours.
func pluginArgs(args []string) []string {
	switch {
	case len(args) > 0 && args[0] == pluginName:
		return args[1:]
	case len(args) > 1 && args[1] == pluginName &&
		(args[0] == cobra.ShellCompRequestCmd || args[0] == cobra.ShellCompNoDescRequestCmd):
		return append([]string{args[0]}, args[2:]...)
	}
	return args
}
