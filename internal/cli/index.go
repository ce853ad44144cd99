package cli

import "github.com/spf13/cobra"

func newIndexCmd() *cobra.Command {
	return &cobra.Command{Use: "index", Short: "(not yet implemented)", Hidden: true}
}
