package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/edf"
	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/pipeline/wire"
	"github.com/neurostream/neurostream/simulate"
)

func newSimulateCmd() *cobra.Command {
	var (
		out, chunks, session, meg string
		eventsTSV                 string
		seed                      uint64
		duration, rate, chunkSec  float64
		channels                  int
		ssvep                     []float64
		seizures                  []string
		seizureRate               float64
		noAlpha, noBlinks         bool
		line                      float64
	)
	cmd := &cobra.Command{
		Use:   "simulate (--out FILE.edf | --chunks DIR)",
		Short: "Generate synthetic EEG/MEG with known ground truth",
		Long: "simulate generates a seeded, reproducible session: 1/f background mixed across channels, alpha,\n" +
			"line noise, eye blinks, SSVEP responses on occipital channels and evolving seizure discharges that\n" +
			"spread across channels. The ground truth (blink, ssvep/<f>Hz, seizure) is written as annotations.\n" +
			"--out writes EDF+ (16-bit, µV); --chunks writes the session as wire chunks, one Arrow IPC stream\n" +
			"file per chunk (SESSION-SEQ.arrows), exactly what a Kafka producer would send.",
		Example: "  neurostream simulate --out sim.edf --duration 600 --ssvep 8,10,12 --seizure 120:40\n" +
			"  neurostream simulate --chunks chunks/ --session s01 --duration 10",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (out == "") == (chunks == "") {
				return fmt.Errorf("give exactly one of --out FILE.edf or --chunks DIR")
			}
			// simulate.Config takes 0 for "the default": a 0 given on the
			// command line must not silently become 256 Hz or 60 s.
			fl := cmd.Flags()
			switch {
			case !(rate > 0) || math.IsInf(rate, 0):
				return fmt.Errorf("--rate: want a sample rate > 0 Hz, got %v", rate)
			case !(duration > 0) || math.IsInf(duration, 0):
				return fmt.Errorf("--duration: want a duration > 0 s, got %v", duration)
			case channels < 1:
				return fmt.Errorf("--channels: want at least 1 EEG channel, got %d", channels)
			case meg != "" && fl.Changed("channels"):
				return fmt.Errorf("--channels sets the EEG montage; --meg %s has 102 sensor locations: leave --channels out", meg)
			}
			cfg := simulate.DefaultConfig()
			cfg.Seed, cfg.Duration, cfg.SampleRate = seed, duration, rate
			cfg.StartTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			cfg.Alpha.Enabled, cfg.Blinks.Enabled = !noAlpha, !noBlinks
			cfg.LineNoise.Enabled = line > 0
			cfg.LineNoise.Frequency = line
			if meg != "" {
				cfg.Montage.Kind, cfg.Montage.Sensors = "meg", meg
			} else {
				cfg.Montage.Channels = channels
			}
			if len(ssvep) > 0 {
				cfg.SSVEP.Enabled, cfg.SSVEP.Frequencies = true, ssvep
			}
			for _, s := range seizures {
				on, dur, ok := strings.Cut(s, ":")
				o, err1 := strconv.ParseFloat(on, 64)
				d, err2 := strconv.ParseFloat(dur, 64)
				if !ok || err1 != nil || err2 != nil {
					return fmt.Errorf("--seizure %q: want ONSET:DURATION in seconds, e.g. 120:40", s)
				}
				cfg.Seizures.Enabled = true
				cfg.Seizures.Events = append(cfg.Seizures.Events, simulate.SeizureEvent{Onset: o, Duration: d})
			}
			if seizureRate > 0 {
				cfg.Seizures.Enabled, cfg.Seizures.RatePerHour = true, seizureRate
			}
			sim, err := simulate.New(cfg)
			if err != nil {
				return err
			}
			defer sim.Close()
			w := cmd.OutOrStdout()
			if eventsTSV != "" {
				n, err := writeSeizureTSV(eventsTSV, sim.Info())
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "wrote %s: %d seizures\n", eventsTSV, n)
			}
			if out != "" {
				if err := writeEDF(out, sim, "simulated", fmt.Sprintf("neurostream simulate seed %d", seed)); err != nil {
					return err
				}
				fmt.Fprintf(w, "wrote %s: %d channels, %g s at %g Hz, %d annotations\n", out, len(sim.Info().Channels), sim.Info().Duration(), sim.Info().SampleRate, len(sim.Info().Annotations))
				return nil
			}
			n, err := writeChunks(chunks, session, sim, chunkSec)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "wrote %d chunks of session %s to %s\n", n, session, chunks)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "write an EDF+ file")
	f.StringVar(&chunks, "chunks", "", "write wire chunks (Arrow IPC streams) into this folder")
	f.StringVar(&eventsTSV, "events-tsv", "", "also write the simulated seizures as an SzCORE annotation `FILE` (a reference for neurostream score)")
	f.StringVar(&session, "session", "sim", "session id of --chunks output")
	f.Float64Var(&chunkSec, "chunk-seconds", 0.25, "chunk duration for --chunks")
	f.Uint64Var(&seed, "seed", 1, "random seed: the same seed gives the same samples")
	f.Float64Var(&duration, "duration", 60, "duration in seconds")
	f.Float64Var(&rate, "rate", 256, "sample rate in Hz")
	f.IntVar(&channels, "channels", 19, "EEG channels: 19 is the 10-20 montage; fewer a subset of it, up to 82 add 10-10 electrodes (64: BioSemi 64), more a numbered net E1..En")
	f.StringVar(&meg, "meg", "", "simulate MEG instead of EEG: mag+grad, mag or grad")
	f.Float64SliceVar(&ssvep, "ssvep", nil, "SSVEP stimulus frequencies in Hz (trials of 4 s, 2 s apart)")
	f.StringSliceVar(&seizures, "seizure", nil, "a seizure at ONSET:DURATION seconds (repeatable)")
	f.Float64Var(&seizureRate, "seizure-rate", 0, "random seizures per hour")
	f.BoolVar(&noAlpha, "no-alpha", false, "leave out the alpha rhythm")
	f.BoolVar(&noBlinks, "no-blinks", false, "leave out eye blinks")
	f.Float64Var(&line, "line", 50, "line-noise frequency in Hz (0: none)")
	return cmd
}

// writeSeizureTSV writes the "seizure" annotations of a simulation as an
// SzCORE annotation file (one bckg row when there are none) and returns
// how many seizures it wrote.
func writeSeizureTSV(path string, info *formats.Info) (int, error) {
	var evs []szcore.Event
	for _, a := range info.Annotations {
		if a.Description == "seizure" {
			evs = append(evs, szcore.Event{Onset: a.Onset, Duration: a.Duration, EventType: "sz", Confidence: math.NaN()})
		}
	}
	n := len(evs)
	if n == 0 {
		evs = []szcore.Event{{Duration: info.Duration(), EventType: szcore.Background, Confidence: math.NaN()}}
	}
	for i := range evs {
		evs[i].RecordingDuration, evs[i].DateTime = info.Duration(), info.StartTime.UTC().Truncate(time.Second)
	}
	return n, szcore.WriteFile(path, evs)
}

// writeEDF writes rec as EDF+C with 1 s data records.
func writeEDF(path string, rec formats.Recording, patient, recording string) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	return edf.WriteRecording(f, rec, edf.WriteOptions{Patient: patient, Recording: recording, RecordDuration: 1})
}

// writeChunks writes rec as wire chunk files dir/SESSION-SEQ.arrows.
func writeChunks(dir, session string, rec formats.Recording, seconds float64) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	in := rec.Info()
	n := max(1, int64(seconds*in.SampleRate+0.5))
	c := wire.Chunk{Session: session, SampleRate: in.SampleRate, Channels: in.Channels, Data: make([][]float32, len(in.Channels))}
	if !in.StartTime.IsZero() {
		c.StartTimeNS = in.StartTime.UnixNano()
	}
	buf := make([][]float64, len(in.Channels))
	for i := range buf {
		buf[i] = make([]float64, n)
	}
	enc := wire.NewEncoder(memory.DefaultAllocator)
	var b []byte
	count := 0
	for start := int64(0); start < in.NSamples; start += n {
		stop := min(start+n, in.NSamples)
		for i := range buf {
			buf[i] = buf[i][:stop-start]
		}
		if err := rec.ReadSamples(buf, start, stop); err != nil {
			return count, err
		}
		for i, col := range buf {
			c.Data[i] = c.Data[i][:0]
			for _, v := range col {
				c.Data[i] = append(c.Data[i], float32(v))
			}
		}
		c.FirstSample = start
		c.Final = stop == in.NSamples
		var err error
		if b, err = enc.Encode(b, &c); err != nil {
			return count, err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%06d.arrows", session, c.Seq)), b, 0o644); err != nil {
			return count, err
		}
		c.Seq++
		count++
	}
	return count, nil
}
