package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/configs"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

func newRunCmd() *cobra.Command {
	var file, viewAddr string
	cmd := &cobra.Command{
		Use:   "run --config FILE",
		Short: "Run a pipeline described in YAML",
		Long: "Run reads a pipeline description (see configs/), applies NEUROSTREAM_* environment overrides,\n" +
			"checks it, runs it to the end of its input (or until interrupted: a soft drain, then a hard stop)\n" +
			"and prints a per-session summary, with dead letters counted per session and reason.\n\n" +
			"Exit codes (docs/operations.md, \"Exit codes\"):\n" +
			"  0    every input processed\n" +
			"  1    the run failed (a sink, source or file error)\n" +
			"  2    bad flags, or a configuration that does not load or validate\n" +
			"  3    nothing processed: every recording skipped, every chunk dead-lettered, or no input\n" +
			"  4    partly processed: some recordings skipped, or some chunks or windows dead-lettered\n" +
			"  130  interrupted (SIGINT; 143 for SIGTERM) before the end of a finite input; a Kafka\n" +
			"       source has no end, so a signal is its normal stop and the code is one of the above",
		Example: "  neurostream run --config configs/replay.yaml\n  NEUROSTREAM_OUTPUT_DIR=/tmp/r neurostream run --config configs/replay.yaml\n" +
			"  neurostream run --config builtin:demo.yaml",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := loadConfig(file)
			if err != nil {
				return err
			}
			if viewAddr != "" {
				return runWithView(cmd, c, viewAddr)
			}
			return runPipeline(cmd, c)
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "pipeline YAML file, or builtin:NAME.yaml for one of configs/ embedded in the binary")
	cmd.Flags().StringVar(&viewAddr, "view", "", "serve the live web view of the results on this address (host:port, e.g. 127.0.0.1:8080; docs/view.md);\n"+
		"after a finite input ends it keeps serving until interrupted")
	cmd.MarkFlagRequired("config")
	return cmd
}

// builtinPrefix names a configuration embedded from configs/.
const builtinPrefix = "builtin:"

// readConfig reads a file, or an embedded one named builtin:NAME, over
// the defaults, with NEUROSTREAM_* overrides; it does not validate.
func readConfig(file string) (*config.Config, error) {
	name, ok := strings.CutPrefix(file, builtinPrefix)
	if !ok {
		return config.Load(nil, file)
	}
	if _, err := fs.Stat(configs.FS, name); err != nil {
		names, _ := fs.Glob(configs.FS, "*.yaml") // a valid pattern: no error
		for i, n := range names {
			names[i] = builtinPrefix + n
		}
		return nil, fmt.Errorf("%s: no such embedded configuration (there are %s)", file, strings.Join(names, ", "))
	}
	return config.Load(configs.FS, name)
}

// loadConfig reads and validates a configuration (readConfig); its
// errors exit with exitUsage.
func loadConfig(file string) (*config.Config, error) {
	c, err := readConfig(file)
	if err != nil {
		return nil, withCode(exitUsage, err)
	}
	if err := c.Validate(); err != nil {
		return nil, withCode(exitUsage, fmt.Errorf("config %s:\n%w", file, err))
	}
	return c, nil
}

func runPipeline(cmd *cobra.Command, c *config.Config) error {
	return runPipelineUntil(cmd, c, nil)
}

// runPipelineUntil runs c; watch, when not nil, runs beside it and may end
// the run early with stop (a soft drain, as on SIGTERM). The error says
// why the run did not process all of its input, with its exit code.
func runPipelineUntil(cmd *cobra.Command, c *config.Config, watch func(ctx context.Context, r *pipeline.Runner, stop func()) error) error {
	return runPipelineWith(cmd, c, watch, nil)
}

// runPipelineWith is runPipelineUntil with prepare, when not nil, called
// on the built pipeline before it runs (to add a sink).
func runPipelineWith(cmd *cobra.Command, c *config.Config, watch func(ctx context.Context, r *pipeline.Runner, stop func()) error, prepare func(b *config.Built)) error {
	// The runtime logs every dead letter; a bad recording makes one per
	// chunk. They are counted per session and reason instead (the first
	// of each logged), unless -v asks for all of them.
	logger := slog.Default()
	verbose := logger.Enabled(cmd.Context(), slog.LevelDebug)
	if !verbose {
		logger = slog.New(dropRecords{logger.Handler(), slog.LevelWarn, deadLetterMsg})
	}
	b, err := c.Build(logger)
	if err != nil {
		return err
	}
	tally := newDeadLetterTally(b.Options.DeadLetters, slog.Default(), !verbose)
	b.Options.DeadLetters = tally
	if prepare != nil {
		prepare(b)
	}
	var stopMetrics func()
	var runner atomic.Pointer[pipeline.Runner]
	if c.Metrics.Listen != "" {
		reg := prometheus.NewRegistry()
		b.Options.Metrics = pipeline.NewMetrics(reg)
		var addr string
		if addr, stopMetrics, err = serveMetrics(c.Metrics.Listen, reg, b, &runner); err != nil {
			return err
		}
		slog.Info("metrics", "url", "http://"+addr+"/metrics")
		if metricsHook != nil {
			metricsHook(addr)
		}
		defer stopMetrics()
	}
	if err := b.Prepare(cmd.Context()); err != nil {
		return err
	}
	r, err := pipeline.New(b.Options)
	if err != nil {
		return err
	}
	runner.Store(r)
	ctx, stop := context.WithCancel(cmd.Context())
	defer stop()
	watchErr := make(chan error, 1)
	if watch != nil {
		go func() { watchErr <- watch(ctx, r, stop) }()
	} else {
		watchErr <- nil
	}
	t0 := time.Now()
	err = r.Run(ctx)
	elapsed := time.Since(t0)
	stop()
	if werr := <-watchErr; werr != nil && !errors.Is(werr, context.Canceled) {
		err = errors.Join(err, werr)
	}
	out := cmd.OutOrStdout()
	printRun(out, c, b, r, tally, elapsed)
	if err != nil {
		return err
	}
	recordings := 0
	if b.Source != nil {
		specs, _ := c.Recordings() // as Build listed them
		recordings = len(specs)
	}
	// The demo's Kafka topic holds a finite input, as files do.
	finite := b.KafkaSource == nil || watch != nil
	return runOutcome(cmd.Context(), b, finite, recordings, r, tally)
}

// runOutcome is nil when the run processed all of its input, or else an
// error saying what it did not process, with its exit code.
//
// A signal stops a run over finite input early: an interruption. A Kafka
// source has no end, so a signal is its normal stop.
func runOutcome(ctx context.Context, b *config.Built, finite bool, recordings int, r *pipeline.Runner, tally *deadLetterTally) error {
	var sig interrupted
	if errors.As(context.Cause(ctx), &sig) && finite {
		return &exitError{exitSignal + int(sig.sig), fmt.Errorf("%v before the end of the input: the results so far are in the finished files", sig)}
	}
	var skipped []error
	if b.Source != nil {
		skipped = b.Source.Errors()
	}
	read := r.Stats().Messages.Load()
	setAside, lost := tally.chunks()
	var why []string
	if len(skipped) > 0 {
		why = append(why, fmt.Sprintf("%d of %d recordings skipped", len(skipped), recordings))
	}
	if setAside > 0 {
		why = append(why, fmt.Sprintf("%d of %d chunks dead-lettered (%s)", setAside, read, tally.chunkReasons()))
	}
	if lost > 0 {
		why = append(why, fmt.Sprintf("%d windows lost to stage errors", lost))
	}
	switch {
	case read == 0 && !finite:
		return nil // a consumer stopped before any message came: nothing to miss
	case read-setAside == 0:
		if len(why) == 0 {
			why = append(why, "no input")
		}
		return &exitError{exitNothing, fmt.Errorf("nothing processed: %s", strings.Join(why, ", "))}
	case len(why) > 0:
		return &exitError{exitPartial, fmt.Errorf("partly processed: %s; see the summary above", strings.Join(why, ", "))}
	}
	return nil
}

func printRun(w io.Writer, c *config.Config, b *config.Built, r *pipeline.Runner, tally *deadLetterTally, elapsed time.Duration) {
	st := r.Stats()
	var samples int64
	for _, s := range r.Sessions() {
		samples += s.Samples * int64(s.Channels)
	}
	fmt.Fprintf(w, "pipeline %q: %d sessions, %d chunks, %d windows in %.2fs (%.3g channel-samples/s)\n",
		c.Name, len(r.Sessions()), st.Messages.Load(), st.Windows.Load(), elapsed.Seconds(), float64(samples)/elapsed.Seconds())
	fmt.Fprintln(w)
	b.Summary.Print(w)
	fmt.Fprintln(w)
	if b.Files != nil {
		for _, k := range arrowout.Kinds() {
			if n := b.Files.Rows(k); n > 0 {
				switch first, last, parts := b.Files.Finished(k); parts {
				case 0: // not finished: the run failed
					fmt.Fprintf(w, "wrote %d %s rows, in no finished file\n", n, k)
				case 1:
					fmt.Fprintf(w, "wrote %s (%d rows)\n", first, n)
				default:
					fmt.Fprintf(w, "wrote %s … %s (%d rows)\n", first, filepath.Base(last), n)
				}
			}
		}
	}
	if sz := b.SzCORE; sz != nil {
		fmt.Fprintf(w, "wrote %d SzCORE annotation files under %s\n", len(sz.Files()), c.Output.SzCORE)
		if u := sz.Unfinished(); len(u) > 0 {
			fmt.Fprintf(w, "no SzCORE file for %d sessions that did not end: %s\n", len(u), strings.Join(u, ", "))
		}
	}
	if ks := b.KafkaSink; ks != nil {
		fmt.Fprintf(w, "produced %d result records to Kafka topics %s* (one per result kind)\n", ks.Stats().Messages, c.Output.Kafka.TopicPrefix)
	}
	if n := st.DeadLetters.Load(); n > 0 {
		fmt.Fprintf(w, "%d dead letters (%d gaps) in %s:\n", n, st.Gaps.Load(), b.DeadLetterPath)
		tally.print(w)
	}
	if b.Source != nil {
		for _, msg := range b.Source.Warnings() {
			fmt.Fprintf(w, "warning: %s\n", msg)
		}
		for _, err := range b.Source.Errors() {
			fmt.Fprintf(w, "skipped: %v\n", err)
		}
	}
}

// metricsHook, when set (by tests), learns the metrics server's address.
var metricsHook func(addr string)

// serveMetrics exposes /metrics (Prometheus), /healthz (liveness) and
// /readyz (readiness) until the returned stop is called, and returns the
// address it listens on. Consumer lag and the Kafka source's counters are
// read from the source; health from the runner once it exists.
func serveMetrics(addr string, reg *prometheus.Registry, b *config.Built, runner *atomic.Pointer[pipeline.Runner]) (string, func(), error) {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if ks := b.KafkaSource; ks != nil {
		// The sum of the per-partition lags; absent (not 0) while the log
		// ends cannot be read. Per partition: NewSourceCollector.
		reg.MustRegister(pkafka.NewSourceCollector(ks), sumLag{ks})
		for _, c := range []struct {
			name, help string
			v          func(pkafka.SourceStats) int64
		}{
			{"neurostream_kafka_fetch_errors_total", "Failed fetches from input partitions.", func(s pkafka.SourceStats) int64 { return s.FetchErrors }},
			{"neurostream_kafka_commit_errors_total", "Failed offset commits.", func(s pkafka.SourceStats) int64 { return s.CommitErrors }},
			{"neurostream_kafka_join_errors_total", "Failed attempts to join the consumer group.", func(s pkafka.SourceStats) int64 { return s.JoinErrors }},
			{"neurostream_kafka_generations_total", "Consumer-group generations this process took part in (rebalances).", func(s pkafka.SourceStats) int64 { return s.Generations }},
		} {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: c.name, Help: c.help},
				func() float64 { return float64(c.v(ks.Stats())) }))
		}
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "neurostream_kafka_assigned_partitions", Help: "Input partitions assigned to this process in the current generation.",
		}, func() float64 { return float64(ks.Stats().Partitions) }))
	}
	if ks := b.KafkaSink; ks != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "neurostream_kafka_produce_errors_total", Help: "Result writes that failed after the writer's retries.",
		}, func() float64 { return float64(ks.Stats().Errors) }))
	}
	if kd := b.KafkaDeadLetters; kd != nil {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "neurostream_kafka_dead_letter_errors_total", Help: "Dead-letter writes that failed after the writer's retries.",
		}, func() float64 { return float64(kd.Stats().Errors) }))
	}
	failure := func() error {
		if r := runner.Load(); r != nil {
			return r.Failure()
		}
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	// Liveness: false once a sink failure stopped the workers, so an
	// orchestrator restarts a process that can no longer make progress.
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := failure(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "failed: %v\n", err)
			return
		}
		io.WriteString(w, "ok\n")
	})
	// Readiness: running, not failed, and (with a Kafka source) a member
	// of a consumer-group generation.
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		var why string
		switch {
		case runner.Load() == nil:
			why = "starting"
		case failure() != nil:
			why = fmt.Sprintf("failed: %v", failure())
		case b.KafkaSource != nil:
			if ok, reason := b.KafkaSource.Ready(); !ok {
				why = reason
			}
		}
		if why != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, why+"\n")
			return
		}
		io.WriteString(w, "ready\n")
	})
	ln, err := net.Listen("tcp", metricsAddr(addr))
	if err != nil {
		return "", nil, fmt.Errorf("metrics.listen: %w", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return ln.Addr().String(), func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

// metricsAddr is metrics.listen with host 127.0.0.1 where it names none
// (":9464", "9464"): the endpoints have no authentication, so they reach
// other interfaces only where the configuration names them
// ("0.0.0.0:9464"; docs/operations.md, "Security").
func metricsAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	switch {
	case err != nil && strings.Trim(listen, "0123456789") == "":
		return net.JoinHostPort("127.0.0.1", listen) // a port alone
	case err == nil && host == "":
		return net.JoinHostPort("127.0.0.1", port)
	}
	return listen // net.Listen reports what is wrong with it
}

// sumLag exports neurostream_consumer_lag, the source's total lag, only
// while it is known.
type sumLag struct{ src *pkafka.Source }

var sumLagDesc = prometheus.NewDesc("neurostream_consumer_lag",
	"Messages behind the log end over the assigned input partitions (committed offsets); absent while unknown.", nil, nil)

func (l sumLag) Describe(ch chan<- *prometheus.Desc) { ch <- sumLagDesc }
func (l sumLag) Collect(ch chan<- prometheus.Metric) {
	if lag := l.src.Lag(); lag >= 0 {
		ch <- prometheus.MustNewConstMetric(sumLagDesc, prometheus.GaugeValue, float64(lag))
	}
}
