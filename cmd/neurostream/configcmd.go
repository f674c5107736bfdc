package main

import (
	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/pipeline/config"
)

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check pipeline descriptions"}
	cmd.AddCommand(&cobra.Command{
		Use:   "validate FILE",
		Short: "Check a pipeline YAML file and report every error with its key path",
		Long: "validate reads FILE as run would (defaults, then the file, then NEUROSTREAM_* overrides) and\n" +
			"prints one line per problem: the key path (e.g. stages[0].n_per_seg) and what was expected,\n" +
			"and a warning per key given under a deprecated name (nperseg, now n_per_seg), which still\n" +
			"works in this version. FILE may be builtin:NAME.yaml, one of configs/ embedded in the\n" +
			"binary. Exit code 2 when there is any problem; warnings alone exit 0.",
		Example: "  neurostream config validate configs/replay.yaml\n  neurostream config validate builtin:demo.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := readConfig(args[0])
			return withCode(exitUsage, config.Report(cmd.OutOrStdout(), args[0], c, err))
		},
	})
	return cmd
}
