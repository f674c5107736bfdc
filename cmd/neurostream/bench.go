package main

import (
	"encoding/json"
	"io"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/dsp/dspbench"
	"github.com/neurostream/neurostream/pipeline/bciloop"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkabench"
)

func newBenchCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure throughput of the analysis code"}
	cmd.AddCommand(newBenchDSPCmd(), newBenchKafkaCmd(kafkabench.Latency), newBenchKafkaCmd(kafkabench.Throughput), newBenchBCILoopCmd())
	return cmd
}

// printResult prints a benchmark's result as JSON, indented by indent, or
// as its text.
func printResult(w io.Writer, asJSON bool, indent string, res interface{ WriteText(io.Writer) }) error {
	if !asJSON {
		res.WriteText(w)
		return nil
	}
	return printJSON(w, indent, res)
}

// printJSON writes v as JSON, indented by indent.
func printJSON(w io.Writer, indent string, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", indent)
	return enc.Encode(v)
}

func newBenchDSPCmd() *cobra.Command {
	cfg := dspbench.DefaultConfig()
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "dsp",
		Short:   "Welch PSD and all-pairs CSD + coherence throughput, single-threaded",
		Long:    help("bench-dsp.long"),
		Example: "  neurostream bench dsp\n  neurostream bench dsp --raw-f64 data.f64 --channels 64 --rate 256 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			runtime.GOMAXPROCS(1)
			x, err := dspbench.Data(cfg)
			if err != nil {
				return err
			}
			res, err := dspbench.Run(x, cfg)
			if err != nil {
				return err
			}
			return printResult(cmd.OutOrStdout(), asJSON, "", res)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.RawFile, "raw-f64", "", "little-endian float64 file, channel-major (channel 0's samples first)")
	f.IntVar(&cfg.Channels, "channels", cfg.Channels, "channels")
	f.Float64Var(&cfg.Rate, "rate", cfg.Rate, "sample rate in Hz")
	f.Float64Var(&cfg.Seconds, "seconds", cfg.Seconds, "duration of synthetic data in seconds")
	f.IntVar(&cfg.SegmentLen, "n-per-seg", cfg.SegmentLen, "Welch segment length (MNE's n_per_seg)")
	f.IntVar(&cfg.SegmentLen, "nperseg", cfg.SegmentLen, "Welch segment length")
	_ = f.MarkDeprecated("nperseg", "use --n-per-seg")
	f.IntVar(&cfg.Repeats, "repeats", cfg.Repeats, "runs per measurement; the best is reported")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// benchKafkaHelp is the help of `bench latency` and `bench throughput`.
var benchKafkaHelp = map[kafkabench.Mode]struct{ Use, Short, Long, Example string }{
	kafkabench.Latency: {
		Use:     "latency",
		Short:   "End-to-end latency through Kafka: chunk produced → window result at a downstream consumer",
		Long:    help("bench-latency.long"),
		Example: "  neurostream bench latency --brokers 127.0.0.1:9092\n  neurostream bench latency --sessions 16 --seconds 60 --json",
	},
	kafkabench.Throughput: {
		Use:     "throughput",
		Short:   "Sustained end-to-end throughput through Kafka, in channel-samples per second",
		Long:    help("bench-throughput.long"),
		Example: help("bench-throughput.example"),
	},
}

// newBenchKafkaCmd is `bench latency` or `bench throughput`.
func newBenchKafkaCmd(mode kafkabench.Mode) *cobra.Command {
	cfg := kafkabench.DefaultConfig(mode)
	var (
		sec    kafkaSecurityFlags
		asJSON bool
	)
	help := benchKafkaHelp[mode]
	cmd := &cobra.Command{Use: help.Use, Short: help.Short, Long: help.Long, Example: help.Example, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if cfg.Security, err = sec.security(cmd); err != nil {
				return err
			}
			rep, err := kafkabench.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			return printResult(cmd.OutOrStdout(), asJSON, "  ", rep)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&cfg.Brokers, "brokers", defaultBrokers(), "Kafka bootstrap brokers, host:port (the default is $NEUROSTREAM_KAFKA when set)")
	f.IntVar(&cfg.Sessions, "sessions", cfg.Sessions, "simulated sessions")
	f.IntVar(&cfg.Channels, "channels", cfg.Channels, "EEG channels per session")
	f.Float64Var(&cfg.Rate, "rate", cfg.Rate, "sample rate in Hz")
	f.Float64Var(&cfg.Seconds, "seconds", cfg.Seconds, "signal duration of each session in seconds")
	f.Float64Var(&cfg.ChunkSeconds, "chunk-seconds", cfg.ChunkSeconds, "wire chunk duration in seconds")
	f.Float64Var(&cfg.WindowSeconds, "window", cfg.WindowSeconds, "analysis window length in seconds")
	f.Float64Var(&cfg.HopSeconds, "hop", cfg.HopSeconds, "analysis window hop in seconds")
	f.IntVar(&cfg.Partitions, "partitions", cfg.Partitions, "partitions of the input and result topics")
	f.IntVar(&cfg.Workers, "workers", cfg.Workers, "pipeline workers")
	f.BoolVar(&cfg.KeepTopics, "keep-topics", false, "keep the benchmark's topics (default: delete them)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	f.DurationVar(&cfg.Timeout, "timeout", 0, "give up waiting for results after this long (default: 60s + 2× the signal duration)")
	f.StringVar(&cfg.SeizureModel, "seizure-model", "", "add a seizure stage with this model file (e.g. configs/models/seizure-sim.json) after psd; its window rows are a third result kind")
	f.DurationVar(&cfg.SourceMaxWait, "source-max-wait", 0, "override the Kafka source's MaxWait (default: the pipeline's own, as neurostream run uses it)")
	sec.register(cmd)
	if mode == kafkabench.Latency {
		f.Float64Var(&cfg.Pace, "pace", cfg.Pace, "publishing speed: 1 real time, N N× real time, 0 as fast as possible")
		f.BoolVar(&cfg.Aligned, "aligned", false, "publish every session's chunks at the same instants (worst case) instead of spread over the chunk period")
		f.BoolVar(&cfg.FreshTopics, "fresh-topics", false, "leave the new result topics empty (default: two records to each partition first, as topics that hold data)")
	} else {
		f.StringVar(&cfg.CPUProfile, "cpuprofile", "", "write a CPU profile of the processing (pipeline and consumer, not the publishing before it) to this file (go tool pprof)")
	}
	return cmd
}

func newBenchBCILoopCmd() *cobra.Command {
	var (
		cfg    bciloop.Config
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:     "bci-loop",
		Short:   "Closed-loop SSVEP latency: LSL outlet → ingest lsl → Kafka → ssvep stage → output.lsl → LSL inlet",
		Long:    help("bench-bci-loop.long"),
		Example: "  neurostream bench bci-loop --brokers 127.0.0.1:9092\n  neurostream bench bci-loop --brokers 127.0.0.1:9092 --trials --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := bciloop.Run(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			return printResult(cmd.OutOrStdout(), asJSON, "", &res)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&cfg.Brokers, "brokers", defaultBrokers(), "Kafka bootstrap brokers, host:port (the default is $NEUROSTREAM_KAFKA when set)")
	f.Float64Var(&cfg.Seconds, "seconds", 60, "seconds of simulated signal, played in real time")
	f.Float64Var(&cfg.Rate, "rate", 256, "sample rate in Hz")
	f.IntVar(&cfg.Push, "push", 1, "samples the outlet pushes at once, every push/rate seconds (an amplifier's block)")
	f.Float64Var(&cfg.ChunkSeconds, "chunk-seconds", 0.25, "the ingest's wire chunk duration in seconds")
	f.BoolVar(&cfg.Trials, "trials", false, "trial mode: one decision per trial onset, sent as LSL markers into the stim channel")
	f.DurationVar(&cfg.MarkerDelay, "marker-delay", 50*time.Millisecond, "the ingest's marker delay in trial mode")
	f.StringVar(&cfg.LSLConfigFile, "lsl-config", "", "liblsl's lsl_api.cfg (default $LSLAPICFG; none: this machine only)")
	f.BoolVar(&cfg.KeepTopics, "keep-topics", false, "keep the run's topic (default: delete it)")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}
