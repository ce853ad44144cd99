package cli

import "github.com/spf13/cobra"

func newBinfmtCmd() *cobra.Command {
	return &cobra.Command{Use: "binfmt", Short: "Manage QEMU handlers in binfmt_misc"}
}
