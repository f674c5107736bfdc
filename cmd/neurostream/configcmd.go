package main

import (
	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/pipeline/config"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check pipeline descriptions"}
	cmd.AddCommand(&cobra.Command{
		Use:     "validate FILE",
		Short:   "Check a pipeline YAML file and report every error with its key path",
		Long:    help("configcmd-validate.long"),
		Example: "  neurostream config validate configs/replay.yaml\n  neurostream config validate builtin:demo.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := readConfig(args[0])
			return cli.WithCode(cli.ExitUsage, config.Report(cmd.OutOrStdout(), args[0], c, err))
		},
	})
	return cmd
}
