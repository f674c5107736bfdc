package main

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/pipeline/config"
)

func newInspectCmd() *cobra.Command {
	var (
		dumpCSV     string
		annotations bool
		textOpt     config.Files
	)
	cmd := &cobra.Command{
		Use:     "inspect FILE|FOLDER",
		Short:   "Describe a recording: channels, types, units, rates, duration, annotations",
		Long:    help("inspect.long"),
		Example: help("inspect.example"),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, err := textOpt.Inspect(args[0], readNames)
			if err != nil {
				return err
			}
			defer in.Close()
			switch {
			case annotations:
				return in.WriteAnnotations(cmd.OutOrStdout())
			case dumpCSV == "-":
				return in.WriteCSV(os.Stdout)
			case dumpCSV != "":
				return in.WriteCSVFile(dumpCSV)
			}
			return in.Write(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&dumpCSV, "dump-csv", "", "write all samples in SI units to this CSV file (- for stdout)")
	cmd.Flags().BoolVar(&annotations, "annotations", false, "print annotations as TSV: onset, duration, description")
	readFlags(cmd.Flags(), filesTargets(&textOpt))
	return cmd
}
