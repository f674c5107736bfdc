package main

import (
	"fmt"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/simulate"
	"github.com/neurostream/neurostream/simulate/simwrite"
)

func newSimulateCmd() *cobra.Command {
	var (
		out               simwrite.Output
		cfg               = simulate.DefaultConfig()
		meg               string
		seizures          []string
		noAlpha, noBlinks bool
		seizureRate       float64
	)
	cmd := &cobra.Command{
		Use:     "simulate (--out FILE.edf | --chunks DIR)",
		Short:   "Generate synthetic EEG/MEG with known ground truth",
		Long:    help("simulate.long"),
		Example: help("simulate.example"),
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if (out.EDF == "") == (out.ChunkDir == "") {
				return fmt.Errorf("give exactly one of --out FILE.edf or --chunks DIR")
			}
			// simulate.Config takes 0 for "the default": a 0 given on the
			// command line must not silently become 256 Hz or 60 s.
			switch {
			case !(cfg.SampleRate > 0) || math.IsInf(cfg.SampleRate, 0):
				return fmt.Errorf("--rate: want a sample rate > 0 Hz, got %v", cfg.SampleRate)
			case !(cfg.Duration > 0) || math.IsInf(cfg.Duration, 0):
				return fmt.Errorf("--duration: want a duration > 0 s, got %v", cfg.Duration)
			case cfg.Montage.Channels < 1:
				return fmt.Errorf("--channels: want at least 1 EEG channel, got %d", cfg.Montage.Channels)
			case meg != "" && cmd.Flags().Changed("channels"):
				return fmt.Errorf("--channels sets the EEG montage; --meg %s has 102 sensor locations: leave --channels out", meg)
			}
			if cfg.Seizures.Events, err = simwrite.ParseSeizures(seizures); err != nil {
				return fmt.Errorf("--seizure %w", err)
			}
			cfg.StartTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			cfg.Alpha.Enabled, cfg.Blinks.Enabled, cfg.LineNoise.Enabled = !noAlpha, !noBlinks, cfg.LineNoise.Frequency > 0
			cfg.SSVEP.Enabled = len(cfg.SSVEP.Frequencies) > 0
			if cfg.Seizures.Enabled = len(cfg.Seizures.Events) > 0; seizureRate > 0 {
				cfg.Seizures.Enabled, cfg.Seizures.RatePerHour = true, seizureRate
			}
			if meg != "" {
				cfg.Montage.Kind, cfg.Montage.Sensors, cfg.Montage.Channels = "meg", meg, 0
			}
			written, err := simwrite.Write(cfg, out)
			if err != nil {
				return err
			}
			written.WriteText(cmd.OutOrStdout())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out.EDF, "out", "", "write an EDF+ file")
	f.StringVar(&out.ChunkDir, "chunks", "", "write wire chunks (Arrow IPC streams) into this folder")
	f.StringVar(&out.SeizureTSV, "events-tsv", "", "also write the simulated seizures as an SzCORE annotation `FILE` (a reference for neurostream score)")
	f.StringVar(&out.Session, "session", "sim", "session id of --chunks output")
	f.Float64Var(&out.ChunkSeconds, "chunk-seconds", 0.25, "chunk duration for --chunks")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed: the same seed gives the same samples")
	f.Float64Var(&cfg.Duration, "duration", 60, "duration in seconds")
	f.Float64Var(&cfg.SampleRate, "rate", 256, "sample rate in Hz")
	f.IntVar(&cfg.Montage.Channels, "channels", 19, "EEG channels: 19 is the 10-20 montage; fewer a subset of it, up to 82 add 10-10 electrodes (64: BioSemi 64), more a numbered net E1..En")
	f.StringVar(&meg, "meg", "", "simulate MEG instead of EEG: mag+grad, mag or grad")
	f.Float64SliceVar(&cfg.SSVEP.Frequencies, "ssvep", nil, "SSVEP stimulus frequencies in Hz (trials of 4 s, 2 s apart)")
	f.StringSliceVar(&seizures, "seizure", nil, "a seizure at ONSET:DURATION seconds (repeatable)")
	f.Float64Var(&seizureRate, "seizure-rate", 0, "random seizures per hour")
	f.BoolVar(&noAlpha, "no-alpha", false, "leave out the alpha rhythm")
	f.BoolVar(&noBlinks, "no-blinks", false, "leave out eye blinks")
	f.Float64Var(&cfg.LineNoise.Frequency, "line", 50, "line-noise frequency in Hz (0: none)")
	return cmd
}
