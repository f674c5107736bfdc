package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/simulate"
)

func newDemoCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the built-in demo: simulated sessions and a recording through the pipeline, no services needed",
		Long: "demo writes a simulated 19-channel EDF+ recording with a seizure to OUT/demo-recording.edf, then runs\n" +
			"the embedded configs/demo.yaml pipeline over three simulated sessions and that file: wire chunks,\n" +
			"per-session 2 s windows every 1 s, Welch PSD and band powers, Arrow IPC files under OUT. It prints\n" +
			"a per-session summary.",
		Example: "  neurostream demo\n  neurostream demo --out /tmp/demo",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig("builtin:demo.yaml")
			if err != nil {
				return err
			}
			c.Output.Dir = out
			recording := filepath.Join(out, "demo-recording.edf")
			c.Source.Files.Paths = []string{recording}

			cfg := simulate.DefaultConfig()
			cfg.Seed = 7
			cfg.Duration = 120
			cfg.StartTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			cfg.Seizures.Enabled = true
			cfg.Seizures.Events = []simulate.SeizureEvent{{Onset: 60, Duration: 40}}
			sim, err := simulate.New(cfg)
			if err != nil {
				return err
			}
			if err := writeEDF(recording, sim, "demo", "neurostream demo: simulated seizure at 60 s"); err != nil {
				return err
			}
			sim.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (simulated EEG, 19 channels, 120 s, seizure at 60–100 s)\n", recording)
			if err := runPipeline(cmd, c); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "\nread the results with pyarrow: pyarrow.ipc.open_file(%q).read_all().to_pandas()\n",
				filepath.Join(out, "bandpower.arrow"))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "out", "folder for the recording and the result files")
	return cmd
}
