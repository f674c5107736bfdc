package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/pipeline/lslin"
)

func newIngestCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "ingest", Short: "Publish live acquisition streams to Kafka as wire chunks"}
	cmd.AddCommand(newIngestLSLCmd())
	return cmd
}

func newIngestLSLCmd() *cobra.Command {
	var (
		cfg                     lslin.Config
		brokers                 []string
		typ, name, sourceID     string
		query, lslConfig        string
		markers                 []string
		stimEvents              []string
		markerDelay, gap, final time.Duration
	)
	cmd := &cobra.Command{
		Use:   "lsl",
		Short: "Publish a Lab Streaming Layer EEG/MEG stream to Kafka as one live session",
		Long: "ingest lsl resolves one EEG/MEG stream on the Lab Streaming Layer (by --type, --name, --source-id\n" +
			"or --query) and publishes it to --topic as wire chunks of --chunk-seconds, keyed by session, as\n" +
			"`replay` does for files: channel labels, types and units from the stream's XML (µV, mV → V),\n" +
			"time stamps corrected with liblsl's clock offsets and dejittered onto the session's sample\n" +
			"clock (gaps become wire gaps). Marker streams (--markers, string or integer) go into a stim\n" +
			"channel (--stim; integers as codes, strings through --stim-events) and to --events-topic.\n" +
			"The session is <source_id>_<UTC start>; it ends with a final chunk when the outlet is gone\n" +
			"for --lost-after or on SIGINT/SIGTERM. A restarted outlet (same source_id) continues the\n" +
			"session. Network settings come from liblsl's lsl_api.cfg (--lsl-config, $LSLAPICFG); without\n" +
			"one only this machine is searched. docs/lsl.md describes the mapping and its bounds.",
		Example: "  neurostream ingest lsl --type EEG\n" +
			"  neurostream ingest lsl --name BioSemi --markers PsychoPyMarkers --stim-events left=1,right=2\n" +
			"  LSLAPICFG=lab.cfg neurostream ingest lsl --source-id amp-serial-17 --brokers kafka:9092",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cfg.Query, err = streamQuery(query, typ, name, sourceID); err != nil {
				return withCode(exitUsage, err)
			}
			for _, m := range markers {
				q, err := markerQuery(m)
				if err != nil {
					return withCode(exitUsage, err)
				}
				cfg.Markers = append(cfg.Markers, q)
			}
			if cfg.StimCodes, err = parseStimEvents(stimEvents); err != nil {
				return withCode(exitUsage, err)
			}
			if lslConfig == "" {
				lslConfig = os.Getenv("LSLAPICFG")
			}
			if lslConfig != "" {
				if cfg.LSL, err = lsl.LoadConfig(lslConfig); err != nil {
					return withCode(exitUsage, err)
				}
			}
			cfg.Producer.Brokers = brokers
			cfg.MarkerDelay, cfg.GapThreshold, cfg.FinalWait = markerDelay, gap, final
			if markerDelay == 0 {
				cfg.MarkerDelay = -1 // none
			}
			if !(cfg.ChunkSeconds > 0) {
				return withCode(exitUsage, fmt.Errorf("--chunk-seconds: want a positive duration, got %v", cfg.ChunkSeconds))
			}
			res, err := lslin.Run(cmd.Context(), cfg)
			printIngest(cmd, cfg, res)
			return err
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&brokers, "brokers", defaultBrokers(), "Kafka bootstrap brokers, host:port (the default is $NEUROSTREAM_KAFKA when set)")
	f.StringVar(&cfg.Topic, "topic", "neurostream.raw", "input topic the wire chunks go to")
	f.StringVar(&cfg.EventsTopic, "events-topic", "neurostream.events", "topic for markers as JSON events (\"\": do not publish them)")
	f.IntVar(&cfg.Partitions, "partitions", 0, "partitions of topics that do not exist yet (0: the broker's default)")
	f.Float64Var(&cfg.ChunkSeconds, "chunk-seconds", 0.25, "duration of one wire chunk in seconds")
	f.StringVar(&typ, "type", "", "stream type to ingest (default EEG when no other selector is given)")
	f.StringVar(&name, "name", "", "stream name to ingest")
	f.StringVar(&sourceID, "source-id", "", "stream source_id to ingest")
	f.StringVar(&query, "query", "", "liblsl query selecting the stream, e.g. \"type='MEG' and starts-with(name,'Elekta')\"")
	f.StringSliceVar(&markers, "markers", nil, "marker streams, by name or type (or a query with '='), repeatable")
	f.StringVar(&cfg.StimChannel, "stim", "STI", "label of the stim channel the markers go into")
	f.StringSliceVar(&stimEvents, "stim-events", nil, "MARKER=CODE,...: stim codes of string markers (integer markers are their own codes)")
	f.DurationVar(&markerDelay, "marker-delay", 50*time.Millisecond, "hold complete chunks this long after their last sample arrived so late markers land on their sample (0: none)")
	f.DurationVar(&gap, "gap-threshold", 100*time.Millisecond, "time stamps later than the dejittered line by more than this suggest missing samples")
	f.DurationVar(&cfg.RecoverTimeout, "lost-after", 30*time.Second, "end the session when the outlet is gone this long")
	f.DurationVar(&cfg.ResolveTimeout, "resolve-timeout", 30*time.Second, "give up finding a stream after this long")
	f.DurationVar(&final, "final-wait", time.Second, "on SIGINT, wait this long for a sample to carry the final mark when none is left")
	f.StringVar(&lslConfig, "lsl-config", "", "liblsl's lsl_api.cfg for the network settings (default $LSLAPICFG; none: this machine only)")
	return cmd
}

// streamQuery builds the stream's query from the selectors.
func streamQuery(query, typ, name, sourceID string) (string, error) {
	var parts []string
	for _, p := range []struct{ prop, v string }{{"type", typ}, {"name", name}, {"source_id", sourceID}} {
		if p.v == "" {
			continue
		}
		q, err := lsl.Prop(p.prop, p.v)
		if err != nil {
			return "", fmt.Errorf("--%s: %w", strings.ReplaceAll(p.prop, "_", "-"), err)
		}
		parts = append(parts, q)
	}
	switch {
	case query != "" && len(parts) > 0:
		return "", errors.New("--query: give it alone, or --type, --name and --source-id")
	case query != "":
		return query, nil
	case len(parts) == 0:
		return "type='EEG'", nil
	}
	return strings.Join(parts, " and "), nil
}

// markerQuery reads a --markers value: a query when it holds '=', else a
// stream name or type.
func markerQuery(m string) (string, error) {
	if strings.Contains(m, "=") {
		return m, nil
	}
	n, err := lsl.Prop("name", m)
	if err != nil {
		return "", fmt.Errorf("--markers %q: %w", m, err)
	}
	t, _ := lsl.Prop("type", m)
	return n + " or " + t, nil
}

func parseStimEvents(events []string) (map[string]int, error) {
	codes := map[string]int{}
	for _, e := range events {
		d, c, ok := strings.Cut(e, "=")
		code, err := strconv.Atoi(c)
		if !ok || d == "" || err != nil || code <= 0 {
			return nil, fmt.Errorf("--stim-events %q: want MARKER=CODE with a positive integer code", e)
		}
		codes[d] = code
	}
	return codes, nil
}

func printIngest(cmd *cobra.Command, cfg lslin.Config, res lslin.Result) {
	if res.Session == "" {
		return
	}
	w := cmd.OutOrStdout()
	rate := res.Stream.NominalRate
	fmt.Fprintf(w, "ingested %q as session %s: %d chunks, %d samples (%.1f s at %g Hz) to %s in %.1f s; ended: %s\n",
		res.Stream.Name, res.Session, res.Chunks, res.Samples, float64(res.Samples)/rate, rate, cfg.Topic, res.Elapsed.Seconds(), res.Ended)
	fmt.Fprintf(w, "gaps %d (%d samples missing), stalls %d, reconnections %d, largest time-stamp residual %.2f ms, final chunk %v\n",
		res.Gaps, res.Missing, res.Stalls, res.Reconnects, 1e3*res.MaxResidual, res.Final)
	if len(cfg.Markers) > 0 {
		fmt.Fprintf(w, "markers %d (%d late, %d dropped)", res.Markers, res.Late, res.Dropped)
		if cfg.EventsTopic != "" {
			fmt.Fprintf(w, " to %s and stim channel %s", cfg.EventsTopic, cfg.StimChannel)
		}
		fmt.Fprintln(w)
	}
}
