package cli

import "github.com/spf13/cobra"

func newVerifyCmd() *cobra.Command {
	return &cobra.Command{Use: "verify", Short: "(not yet implemented)", Hidden: true}
}
