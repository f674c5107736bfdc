package config

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/neurostream/neurostream/internal/progress"
	"github.com/neurostream/neurostream/pipeline"
)

// RunOptions configure Config.Run. The zero value runs a pipeline as
// `neurostream run` does, with no report.
type RunOptions struct {
	// Report receives the end-of-run report (Run.Report), also when the
	// run failed; nil for none.
	Report io.Writer
	// Logger receives the run's log. Default: slog.Default().
	Logger *slog.Logger
	// EveryDeadLetter logs a warning for each dead letter; otherwise the
	// first of each session and reason is logged and the report counts
	// them all (a bad recording makes one per chunk). Default: false.
	EveryDeadLetter bool
	// Prepare, when not nil, is called on the built pipeline before it
	// runs: to add a sink, or wrap the dead-letter sink.
	Prepare func(*Built)
	// Watch, when not nil, runs beside the pipeline and may end it early
	// with stop (a soft drain, as on SIGTERM); the input then counts as
	// finite (Run.Finite). Its error, other than context.Canceled, is
	// joined to the run's.
	Watch func(ctx context.Context, r *pipeline.Runner, stop func()) error
	// MetricsListening, when not nil, learns the address the metrics
	// endpoints (metrics.listen) listen on.
	MetricsListening func(addr string)
	// Progress, when it is a terminal, shows a bar of a run over
	// recordings (files, simulations): the share of their samples read
	// and the recordings finished. Elsewhere (a pipe, a log file, nil)
	// nothing is written, and a Kafka run never has one. Default: nil.
	Progress io.Writer
}

// Run is a run of a pipeline: what it built and ran, and what came of it.
type Run struct {
	Config      *Config
	Built       *Built
	Runner      *pipeline.Runner
	DeadLetters *pipeline.DeadLetterTally
	Elapsed     time.Duration
	// Finite is whether the input ends (recordings, simulations, a
	// watched topic); a Kafka consumer's never does.
	Finite bool
}

// Run builds the pipeline c describes (c must have passed Validate), runs
// it to the end of its input or until ctx ends (then a soft drain and a
// hard stop at the drain deadline), and writes the report to opt.Report.
// The error is why the run failed (the Run is nil when it failed before
// running); or else an *Interrupted when ctx ended it before the end of a
// finite input; or else an *Incomplete when it did not process all of its
// input (Outcome).
func (c *Config) Run(ctx context.Context, opt RunOptions) (*Run, error) {
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	buildLog, tallyLog := log, log
	if opt.EveryDeadLetter {
		tallyLog = nil
	} else {
		buildLog = slog.New(pipeline.WithoutDeadLetterWarnings(log.Handler()))
	}
	b, err := c.Build(buildLog)
	if err != nil {
		return nil, err
	}
	run := &Run{Config: c, Built: b, Finite: b.KafkaSource == nil || opt.Watch != nil}
	run.DeadLetters = pipeline.NewDeadLetterTally(b.Options.DeadLetters, tallyLog)
	b.Options.DeadLetters = run.DeadLetters
	if opt.Prepare != nil {
		opt.Prepare(b)
	}
	var runner atomic.Pointer[pipeline.Runner]
	if c.Metrics.Listen != "" {
		reg := prometheus.NewRegistry()
		b.Options.Metrics = pipeline.NewMetrics(reg)
		addr, stop, err := b.ServeMetrics(c.Metrics.Listen, reg, runner.Load)
		if err != nil {
			return nil, err
		}
		defer stop()
		log.Info("metrics", "url", "http://"+addr+"/metrics")
		if opt.MetricsListening != nil {
			opt.MetricsListening(addr)
		}
	}
	if err := b.Prepare(ctx); err != nil {
		return nil, err
	}
	if run.Runner, err = pipeline.New(b.Options); err != nil {
		return nil, err
	}
	runner.Store(run.Runner)
	bar := RecordingProgress(opt.Progress, b.Source)
	err = run.run(ctx, opt.Watch)
	bar.Close()
	if opt.Report != nil {
		run.Report(opt.Report)
	}
	if err != nil {
		return run, err
	}
	if ctx.Err() != nil && run.Finite {
		return run, &Interrupted{context.Cause(ctx)}
	}
	return run, run.Outcome()
}

// RecordingProgress is the bar of a run over recordings when w is a
// terminal, nil (which Close accepts) otherwise: the share of the
// recordings' samples read and the recordings finished.
func RecordingProgress(w io.Writer, src *pipeline.RecordingSource) *progress.Reporter {
	if w == nil || src == nil || !progress.IsTerminal(w) {
		return nil
	}
	_, total, _, _ := src.Progress()
	return progress.New(w, progress.Config{Mode: progress.Bar, Total: total, Poll: func() (int64, string) {
		done, _, finished, n := src.Progress()
		return done, fmt.Sprintf("%d/%d recordings", finished, n)
	}})
}

// run runs the pipeline, with watch, when not nil, beside it.
func (r *Run) run(ctx context.Context, watch func(ctx context.Context, r *pipeline.Runner, stop func()) error) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	watchErr := make(chan error, 1)
	if watch != nil {
		go func() { watchErr <- watch(ctx, r.Runner, stop) }()
	} else {
		watchErr <- nil
	}
	t0 := time.Now()
	err := r.Runner.Run(ctx)
	r.Elapsed = time.Since(t0)
	stop()
	if werr := <-watchErr; werr != nil && !errors.Is(werr, context.Canceled) {
		err = errors.Join(err, werr)
	}
	return err
}

// Report writes what the run did: its throughput, the summary of its
// results, the files and records it wrote, its dead letters per session
// and reason, and the recordings it warned about or skipped.
func (r *Run) Report(w io.Writer) {
	b, st := r.Built, r.Runner.Stats()
	var samples int64
	for _, s := range r.Runner.Sessions() {
		samples += s.Samples * int64(s.Channels)
	}
	fmt.Fprintf(w, "pipeline %q: %d sessions, %d chunks, %d windows in %.2fs (%.3g channel-samples/s)\n",
		r.Config.Name, len(r.Runner.Sessions()), st.Messages.Load(), st.Windows.Load(), r.Elapsed.Seconds(), float64(samples)/r.Elapsed.Seconds())
	fmt.Fprintln(w)
	b.Summary.Print(w)
	fmt.Fprintln(w)
	if b.Files != nil {
		b.Files.Report(w)
	}
	if b.SzCORE != nil {
		b.SzCORE.Report(w)
	}
	if ks := b.KafkaSink; ks != nil {
		fmt.Fprintf(w, "produced %d result records to Kafka topics %s* (one per result kind)\n", ks.Stats().Messages, r.Config.Output.Kafka.TopicPrefix)
	}
	if n := st.DeadLetters.Load(); n > 0 {
		fmt.Fprintf(w, "%d dead letters (%d gaps) in %s:\n", n, st.Gaps.Load(), b.DeadLetterPath)
		r.DeadLetters.Print(w)
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

// Interrupted is the outcome of a run over finite input that its context
// stopped before the end of the input, Cause being the context's cause. A
// Kafka consumer has no end: its context ending is its normal stop.
type Interrupted struct{ Cause error }

func (e *Interrupted) Error() string {
	return fmt.Sprintf("%v before the end of the input: the results so far are in the finished files", e.Cause)
}

func (e *Interrupted) Unwrap() error { return e.Cause }

// Incomplete is the outcome of a run, or of several, that did not
// process all of its input.
type Incomplete struct {
	// Nothing is set when none of the input was processed.
	Nothing bool
	// Reason says what was not processed.
	Reason string
}

func (e *Incomplete) Error() string { return e.Reason }

// Outcome is nil when the run processed all of its input (a consumer
// stopped before any message came has missed nothing), and otherwise an
// *Incomplete saying what it did not: recordings skipped, chunks
// dead-lettered, windows lost to stage errors, or no input at all.
func (r *Run) Outcome() error {
	var skipped []error
	recordings := 0
	if r.Built.Source != nil {
		skipped = r.Built.Source.Errors()
		specs, _ := r.Config.Recordings() // as Build listed them
		recordings = len(specs)
	}
	read := r.Runner.Stats().Messages.Load()
	setAside, lost := r.DeadLetters.Chunks()
	var why []string
	if len(skipped) > 0 {
		why = append(why, fmt.Sprintf("%d of %d recordings skipped", len(skipped), recordings))
	}
	if setAside > 0 {
		why = append(why, fmt.Sprintf("%d of %d chunks dead-lettered (%s)", setAside, read, r.DeadLetters.ChunkReasons()))
	}
	if lost > 0 {
		why = append(why, fmt.Sprintf("%d windows lost to stage errors", lost))
	}
	switch {
	case read == 0 && !r.Finite:
		return nil
	case read-setAside == 0:
		if len(why) == 0 {
			why = append(why, "no input")
		}
		return &Incomplete{Nothing: true, Reason: "nothing processed: " + strings.Join(why, ", ")}
	case len(why) > 0:
		return &Incomplete{Reason: fmt.Sprintf("partly processed: %s; see the summary above", strings.Join(why, ", "))}
	}
	return nil
}
