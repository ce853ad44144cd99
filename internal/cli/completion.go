package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
	"github.com/multiarch-dev/multiarch/internal/platform"
)

// imageArgCommands are the commands whose first argument is an image
// reference, completed with the tags of the repository typed so far.
var imageArgCommands = map[string]bool{
	"multiarch inspect": true, "multiarch verify": true, "multiarch test": true,
}

// registerCompletions adds shell completion (cobra's `completion bash|zsh|
// fish` command and its hidden __complete) of every --platform flag with
// the platform table's names, every --builder flag with the stored
// builders' names, and the image argument of inspect, verify and test with
// the tags of its repository.
func registerCompletions(root *cobra.Command) {
	var visit func(*cobra.Command)
	visit = func(c *cobra.Command) {
		if c.Flags().Lookup("platform") != nil {
			_ = c.RegisterFlagCompletionFunc("platform", completePlatforms)
		}
		if c.Flags().Lookup("builder") != nil {
			_ = c.RegisterFlagCompletionFunc("builder", completeBuilders)
		}
		if imageArgCommands[c.CommandPath()] && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = completeImage
		}
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(root)
}

// completePlatforms completes the last platform of a comma-separated list
// (and the PLATFORM of SRC=PLATFORM): what is before it is kept.
func completePlatforms(_ *cobra.Command, _ []string, word string) ([]string, cobra.ShellCompDirective) {
	head := word[:strings.LastIndexAny(word, ",=")+1]
	var out []string
	for _, p := range platform.All() {
		if c := head + p.String(); strings.HasPrefix(c, word) {
			out = append(out, c)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
}

// completeBuilders completes the names of the stored builders.
func completeBuilders(_ *cobra.Command, _ []string, word string) ([]string, cobra.ShellCompDirective) {
	list, err := app.ListBuilders(appEnv())
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, b := range list.Builders {
		if strings.HasPrefix(b.Name, word) {
			out = append(out, b.Name)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeImage completes the first argument, an image reference, with
// the tags of its repository (app.CompleteTags: only once a registry host
// and a ':' are typed, within a short deadline); a word that is a path is
// left to the shell's file completion.
func completeImage(cmd *cobra.Command, args []string, word string) ([]string, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveDefault
	}
	tags := app.CompleteTags(cmd.Context(), word, registryOptions(cmd))
	if len(tags) == 0 {
		return nil, cobra.ShellCompDirectiveDefault
	}
	return tags, cobra.ShellCompDirectiveNoFileComp
}
