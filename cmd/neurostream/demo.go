package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/pipeline/demo"
)

func newDemoCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:     "demo",
		Short:   "Run the built-in demo: simulated sessions and a recording through Kafka, no services needed",
		Long:    help("demo.long"),
		Example: "  neurostream demo\n  neurostream demo --out /tmp/demo",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig("builtin:demo.yaml")
			if err != nil {
				return err
			}
			d, err := demo.Start(cmd.Context(), c, out)
			if err != nil {
				return err
			}
			defer d.Close()
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "wrote %s (simulated EEG, 19 channels, 120 s, seizure at 60–100 s)\n", d.Recording)
			fmt.Fprintf(w, "in-process Kafka broker on %s, input topic %s (%d partitions)\n", d.Brokers[0], demo.Topic, demo.Partitions)
			if err := runPipelineUntil(cmd, c, d.Wait); err != nil {
				return err
			}
			pattern := filepath.Join(out, "bandpower-*.parquet")
			fmt.Fprintf(w, "\nread the results with DuckDB: SELECT session, band, avg(power) FROM '%s' GROUP BY ALL\n"+
				"or pyarrow: pyarrow.parquet.read_table(sorted(glob.glob(%q))).to_pandas()\n", pattern, pattern)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "out", "folder for the recording and the result files")
	return cmd
}
