package cli

import (
	"github.com/spf13/cobra"

	"github.com/multiarch-dev/multiarch/internal/app"
)

func newBinfmtLsCmd(dirs *binfmtDirs) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List binfmt_misc entries with their platform, flags and interpreter",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep, err := app.BinfmtList(cmd.Context(), app.BinfmtListOptions{BinfmtOptions: dirs.options(cmd)})
			if err != nil {
				return err
			}
			return printBinfmtList(cmd.OutOrStdout(), rep, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
