package cli

import "github.com/spf13/cobra"

func newInspectCmd() *cobra.Command {
	return &cobra.Command{Use: "inspect", Short: "(not yet implemented)", Hidden: true}
}
