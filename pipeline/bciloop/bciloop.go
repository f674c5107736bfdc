// Package bciloop measures neurostream's closed BCI loop on one machine:
// an LSL outlet plays a simulated SSVEP session in real time, `ingest lsl`
// (pipeline/lslin) publishes it to Kafka, the pipeline of
// configs/ssvep-speller.yaml (FBCCA) reads it and `output.lsl`
// (pipeline/lslout) sends each decision to an LSL inlet. The latency of a
// window is the time from the push of the sample that completes it to the
// arrival of its decision; `neurostream bench bci-loop` prints it.
package bciloop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/config"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/lslin"
	"github.com/neurostream/neurostream/simulate"
)

// Config configures a run. Zero fields take the default named at the end
// of their comment.
type Config struct {
	// Brokers are the Kafka bootstrap brokers. Required.
	Brokers []string
	// Seconds of simulated signal, played in real time. Default: 60.
	Seconds float64
	// Rate is the sample rate in Hz. Default: 256.
	Rate float64
	// ChunkSeconds is the ingest's wire chunk. Default: 0.25 (the hop,
	// so each window completes at a chunk's last sample).
	ChunkSeconds float64
	// Push is how many samples the outlet pushes at once (an amplifier's
	// block), every Push/Rate seconds. Default: 1.
	Push int
	// Trials runs trial mode (configs/ssvep-trials.yaml): a marker
	// stream carries the simulation's trial onsets, the ingest writes
	// them in a stim channel, and the pipeline decides once per trial
	// over the 2 s after its onset. Default: false (asynchronous mode, a
	// decision every 0.25 s over the last 2 s).
	Trials bool
	// MarkerDelay is the ingest's marker delay in trial mode (negative:
	// none). Default: 50ms.
	MarkerDelay time.Duration
	// Seed of the simulation. Default: 1.
	Seed uint64
	// LSLConfigFile is liblsl's lsl_api.cfg for every LSL part. Default:
	// $LSLAPICFG, else this machine only (lslin.ThisMachine).
	LSLConfigFile string
	// Partitions of the input topic. Default: 1.
	Partitions int
	// KeepTopics keeps the run's topics. Default: false (deleted).
	KeepTopics bool
	// Wait is how long decisions are waited for after the last push.
	// Default: 5s.
	Wait time.Duration
	// Logger default: slog.Default().
	Logger *slog.Logger
}

// Decision is one decision as the inlet received it.
type Decision struct {
	Window      int64 `json:"window"`
	StartSample int64 `json:"start_sample"`
	Decision    int   `json:"decision"`
	// EventCode is the trial's code in trial mode (target index + 1).
	EventCode *int `json:"event_code"`
	// Latency is from the push of the window's last sample to the
	// decision's arrival, in ms.
	Latency float64 `json:"-"`
}

// Result is what a run measured. Latencies are in milliseconds.
type Result struct {
	Mode string `json:"mode"`
	// Expected windows (or trials) of the session, decisions received
	// for them (N), missing and duplicated ones.
	Expected   int `json:"expected"`
	N          int `json:"n"`
	Missing    int `json:"missing"`
	Duplicates int `json:"duplicates"`
	// P50, P99, Max and Mean of the latencies.
	P50  float64 `json:"p50_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
	// Correct counts trial-mode decisions equal to the target of the
	// trial whose onset is nearest the decision's window (within
	// onsetTolerance samples); -1 in asynchronous mode.
	Correct int `json:"correct"`
	// OnsetError is the largest distance, in samples, between a trial's
	// true onset and the onset the loop placed it at from its LSL marker
	// (clock offset and dejitter over time stamps); 0 in asynchronous
	// mode.
	OnsetError int64 `json:"onset_error_samples"`
	// Ingest says what the ingest did.
	Ingest lslin.Stats `json:"ingest"`
	// Decisions, in arrival order.
	Decisions []Decision `json:"-"`
}

func (c *Config) setDefaults() {
	if c.Seconds == 0 {
		c.Seconds = 60
	}
	if c.Rate == 0 {
		c.Rate = 256
	}
	if c.ChunkSeconds == 0 {
		c.ChunkSeconds = 0.25
	}
	if c.Push == 0 {
		c.Push = 1
	}
	if c.MarkerDelay == 0 {
		c.MarkerDelay = 50 * time.Millisecond
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Partitions == 0 {
		c.Partitions = 1
	}
	if c.Wait == 0 {
		c.Wait = 5 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.LSLConfigFile == "" {
		c.LSLConfigFile = os.Getenv("LSLAPICFG")
	}
}

// Validate names the first field out of range.
func (c *Config) Validate() error {
	switch {
	case len(c.Brokers) == 0:
		return errors.New("bci loop: Brokers: required")
	case !(c.Seconds >= 0) || math.IsInf(c.Seconds, 0):
		return fmt.Errorf("bci loop: Seconds: want a duration, got %v", c.Seconds)
	case !(c.Rate >= 0) || math.IsInf(c.Rate, 0):
		return fmt.Errorf("bci loop: Rate: want a rate in Hz, got %v", c.Rate)
	case c.Push < 0:
		return fmt.Errorf("bci loop: Push: must not be negative, got %d", c.Push)
	case c.Partitions < 0:
		return fmt.Errorf("bci loop: Partitions: must not be negative, got %d", c.Partitions)
	}
	return nil
}

const (
	windowSeconds = 2.0
	hopSeconds    = 0.25
)

var frequencies = []float64{8, 11, 13, 15}

// Run runs the loop once.
func Run(ctx context.Context, cfg Config) (Result, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	if cfg.Seconds < windowSeconds+1 {
		return Result{}, fmt.Errorf("bci loop: Seconds: %v is shorter than a window (%v s) and a second", cfg.Seconds, windowSeconds)
	}
	l, err := newLoop(cfg)
	if err != nil {
		return Result{}, err
	}
	defer l.close()
	if err := l.start(ctx); err != nil {
		return Result{}, err
	}
	if err := l.waitReady(ctx); err != nil {
		return Result{}, err
	}
	if err := l.play(ctx); err != nil {
		return Result{}, err
	}
	return l.finish(ctx)
}

// loop is one run's parts. Each part started adds its stop to undo, and
// close stops them in reverse: the decisions' reader, the ingest, the
// outlets, the decisions' inlet, the pipeline, and last the topic.
type loop struct {
	cfg  Config
	log  *slog.Logger
	net  lsl.Config
	conn pkafka.Connection
	// topic, group and prefix name the run's Kafka topic, consumer group
	// and LSL streams.
	topic, group, prefix string
	sess                 *session

	built    *config.Built
	runner   *pipeline.Runner
	pipeDone chan error
	decIn    *lsl.Inlet
	amp, mk  *lsl.Outlet // mk: trial mode only
	ingest   *ingestRun
	dec      *decisionLog

	undo []func()
}

// session is the simulated SSVEP session, rendered ahead: the outlet must
// not wait for it.
type session struct {
	data   [][]float64
	info   *formats.Info
	n, nch int
	// L and hop are the window's length and hop in samples.
	L, hop int64
	// codes are the stim codes of the targets' annotations; trials the
	// annotations whose window fits in the session.
	codes  map[string]int
	trials []trial
}

type trial struct {
	onset int64
	code  int
	desc  string
}

func newLoop(cfg Config) (*loop, error) {
	l := &loop{cfg: cfg, log: cfg.Logger, net: lslin.ThisMachine(), conn: pkafka.Connection{Brokers: cfg.Brokers}}
	if cfg.LSLConfigFile != "" {
		var err error
		if l.net, err = lsl.LoadConfig(cfg.LSLConfigFile); err != nil {
			return nil, fmt.Errorf("bci loop: %w", err)
		}
	}
	id := fmt.Sprintf("bci-loop-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
	l.topic, l.group, l.prefix = "bench."+id+".raw", "bench."+id, "bench-"+id
	var err error
	l.sess, err = render(cfg)
	return l, err
}

// render simulates the session cfg describes.
func render(cfg Config) (*session, error) {
	sim := simulate.DefaultConfig()
	// One sample more than the seconds: it completes no window, and is
	// left for the ingest's final chunk.
	sim.Seed, sim.SampleRate, sim.Duration = cfg.Seed, cfg.Rate, cfg.Seconds+1/cfg.Rate
	sim.Background.Enabled, sim.Alpha.Enabled, sim.LineNoise.Enabled, sim.Blinks.Enabled = true, true, true, true
	sim.SSVEP.Enabled, sim.SSVEP.Frequencies = true, frequencies
	ss, err := simulate.New(sim)
	if err != nil {
		return nil, err
	}
	data, err := formats.ReadAll(ss)
	info := ss.Info()
	ss.Close()
	if err != nil {
		return nil, err
	}
	s := &session{
		data: data, info: info, n: len(data[0]), nch: len(info.Channels),
		L:     int64(math.Round(windowSeconds * cfg.Rate)),
		hop:   int64(math.Round(hopSeconds * cfg.Rate)),
		codes: map[string]int{},
	}
	for k, f := range frequencies {
		s.codes[fmt.Sprintf("ssvep/%gHz", f)] = k + 1
	}
	for _, a := range info.Annotations {
		if c, ok := s.codes[a.Description]; ok {
			if on := int64(math.Round(a.Onset * cfg.Rate)); on+s.L <= int64(s.n) {
				s.trials = append(s.trials, trial{on, c, a.Description})
			}
		}
	}
	return s, nil
}

// code returns the code of the trial with onset start, 0 if none.
// onsetTolerance is how far, in samples, a placed onset may be from the
// true one and still count as that trial: a marker's time stamp is
// mapped onto the sample clock through a fitted clock, which under load
// can land one sample either side (3.9 ms at 256 Hz); trials are seconds
// apart.
const onsetTolerance = 2

// code returns the code of the trial nearest start, and the distance in
// samples; code 0 when none is within onsetTolerance.
func (s *session) code(start int64) (code int, dist int64) {
	dist = math.MaxInt64
	for _, tr := range s.trials {
		if d := abs(tr.onset - start); d < dist {
			code, dist = tr.code, d
		}
	}
	if dist > onsetTolerance {
		return 0, dist
	}
	return code, dist
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func (l *loop) close() {
	for i := len(l.undo) - 1; i >= 0; i-- {
		l.undo[i]()
	}
}

// start makes the topic and starts the pipeline, the decisions' inlet, the
// outlets, the ingest and the decisions' reader, in that order.
func (l *loop) start(ctx context.Context) error {
	// Topics first: the pipeline's source does not wait for its topic.
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := pkafka.EnsureTopics(tctx, l.conn, []string{l.topic}, l.cfg.Partitions)
	cancel()
	if err != nil {
		return fmt.Errorf("bci loop: %w", err)
	}
	if !l.cfg.KeepTopics {
		l.undo = append(l.undo, func() { deleteTopics(l.cfg.Brokers, []string{l.topic}, l.log) })
	}
	if err := l.startPipeline(ctx); err != nil {
		return err
	}
	if err := l.openDecisions(ctx); err != nil {
		return err
	}
	if err := l.openOutlets(); err != nil {
		return err
	}
	l.startIngest(ctx)
	l.dec = readDecisions(ctx, l.decIn, l.sess, l.log)
	l.undo = append(l.undo, l.dec.stop)
	return nil
}

// startPipeline runs configs/ssvep-speller.yaml (or ssvep-trials.yaml),
// reading the topic, results over LSL only.
func (l *loop) startPipeline(ctx context.Context) error {
	cfg := l.cfg
	pc := config.Default()
	pc.Name, pc.Workers = "bci-loop", 1
	pc.Source.Kafka = config.KafkaSource{Kafka: config.Kafka{Brokers: cfg.Brokers}, Topic: l.topic, GroupID: l.group}
	pc.Window = config.Window{LengthSeconds: windowSeconds, HopSeconds: hopSeconds}
	if cfg.Trials {
		pc.Window = config.Window{LengthSeconds: windowSeconds, Events: config.Events{StimChannel: "STI", Codes: []int{1, 2, 3, 4}}}
	}
	pc.Preprocess = []config.Stage{{Type: "notch", Options: map[string]any{"freq": 50.0}}}
	pc.Stages = []config.Stage{{Type: "ssvep", Options: map[string]any{
		"method": "fbcca", "frequencies": frequencies, "harmonics": 5, "sub_bands": 5,
		"channels": []string{"O1", "O2", "P3", "Pz", "P4"},
	}}}
	pc.Output = config.Output{Dir: "", Format: "parquet", PartRows: 1, RowGroupRows: 1,
		LSL: config.LSLOutput{Kinds: []string{"ssvep"}, Prefix: l.prefix, ConfigFile: cfg.LSLConfigFile}}
	if err := pc.Validate(); err != nil {
		return fmt.Errorf("bci loop: pipeline: %w", err)
	}
	built, err := pc.Build(l.log)
	if err != nil {
		return fmt.Errorf("bci loop: pipeline: %w", err)
	}
	runner, err := pipeline.New(built.Options)
	if err != nil {
		built.LSL.Close()
		return err
	}
	l.built, l.runner = built, runner
	pctx, stopPipeline := context.WithCancel(context.WithoutCancel(ctx))
	l.pipeDone = make(chan error, 1)
	go func() { l.pipeDone <- runner.Run(pctx) }()
	l.undo = append(l.undo, func() {
		stopPipeline()
		<-l.pipeDone
	})
	return nil
}

// openDecisions opens the stimulus program's side: an inlet of the
// decisions.
func (l *loop) openDecisions(ctx context.Context) error {
	dq, _ := lsl.Prop("source_id", l.prefix+"-ssvep")
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	found, err := lsl.Resolve(rctx, l.net, dq, 1)
	cancel()
	if err != nil {
		return fmt.Errorf("bci loop: the decisions' stream: %w", err)
	}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	l.decIn, err = lsl.NewInlet(dctx, found[0], lsl.InletConfig{Config: l.net})
	cancel()
	if err != nil {
		return fmt.Errorf("bci loop: the decisions' stream: %w", err)
	}
	l.undo = append(l.undo, func() { l.decIn.Close() })
	return nil
}

// openOutlets opens the amplifier and, in trial mode, the stimulus
// program's markers.
func (l *loop) openOutlets() error {
	eegID := l.prefix + "-eeg"
	ei := lsl.StreamInfo{Name: eegID, Type: "EEG", ChannelCount: l.sess.nch, NominalRate: l.cfg.Rate, Format: lsl.FormatFloat32, SourceID: eegID}
	var chs []lsl.ChannelInfo
	for _, c := range l.sess.info.Channels {
		chs = append(chs, lsl.ChannelInfo{Label: c.Label, Unit: "microvolts", Type: "EEG"})
	}
	ei.SetChannels(chs)
	var err error
	if l.amp, err = lsl.NewOutlet(ei, lsl.OutletConfig{Config: l.net}); err != nil {
		return fmt.Errorf("bci loop: %w", err)
	}
	l.undo = append(l.undo, func() { l.amp.Close() })
	if !l.cfg.Trials {
		return nil
	}
	mkID := l.prefix + "-markers"
	if l.mk, err = lsl.NewOutlet(lsl.StreamInfo{Name: mkID, Type: "Markers", ChannelCount: 1, Format: lsl.FormatString, SourceID: mkID}, lsl.OutletConfig{Config: l.net}); err != nil {
		return fmt.Errorf("bci loop: %w", err)
	}
	l.undo = append(l.undo, func() { l.mk.Close() })
	return nil
}

// ingestRun is the ingest running in the background.
type ingestRun struct {
	stop context.CancelFunc
	done chan ingestDone
}

type ingestDone struct {
	res lslin.Result
	err error
}

// startIngest runs `ingest lsl` on the amplifier (and the markers).
func (l *loop) startIngest(ctx context.Context) {
	icfg := lslin.Config{
		LSL: l.net, Producer: pkafka.ProducerConfig{Connection: l.conn, Logger: l.log}, Topic: l.topic,
		ChunkSeconds: l.cfg.ChunkSeconds, Logger: l.log,
	}
	icfg.Query, _ = lsl.Prop("source_id", l.prefix+"-eeg")
	if l.mk != nil {
		q, _ := lsl.Prop("source_id", l.prefix+"-markers")
		icfg.Markers, icfg.StimCodes, icfg.MarkerDelay = []string{q}, l.sess.codes, l.cfg.MarkerDelay
	}
	ictx, stop := context.WithCancel(context.WithoutCancel(ctx))
	l.ingest = &ingestRun{stop: stop, done: make(chan ingestDone, 1)}
	l.undo = append(l.undo, stop)
	go func() {
		r, err := lslin.Run(ictx, icfg)
		l.ingest.done <- ingestDone{r, err}
	}()
}

// decisionLog reads the decisions' inlet in the background and keeps each
// decision with its latency from push, the LSL clock at each sample's
// push, which play fills in.
type decisionLog struct {
	mu        sync.Mutex
	push      []float64
	decisions []Decision
	// got is signalled after each chunk of decisions.
	got  chan struct{}
	stop func()
}

func readDecisions(ctx context.Context, in *lsl.Inlet, sess *session, log *slog.Logger) *decisionLog {
	d := &decisionLog{push: make([]float64, sess.n), got: make(chan struct{}, 1)}
	readCtx, stopRead := context.WithCancel(context.WithoutCancel(ctx))
	readDone := make(chan error, 1)
	go func() {
		var c lsl.Chunk
		for {
			if err := in.Pull(readCtx, &c, 0); err != nil {
				readDone <- err
				return
			}
			d.add(c.Strings, lsl.LocalClock(), sess, log)
			select {
			case d.got <- struct{}{}:
			default:
			}
		}
	}()
	d.stop = func() {
		stopRead()
		<-readDone
	}
	return d
}

// add keeps the decisions of texts, received at LSL time at.
func (d *decisionLog) add(texts []string, at float64, sess *session, log *slog.Logger) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range texts {
		var dec Decision
		if err := json.Unmarshal([]byte(s), &dec); err != nil {
			log.Warn("bci loop: a decision that is not JSON", "text", s)
			continue
		}
		if last := dec.StartSample + sess.L - 1; last >= 0 && last < int64(sess.n) && d.push[last] > 0 {
			dec.Latency = 1e3 * (at - d.push[last])
		} else {
			dec.Latency = math.NaN()
		}
		d.decisions = append(d.decisions, dec)
	}
}

// pushed records the LSL time of the push of samples [from, to).
func (d *decisionLog) pushed(from, to int, now float64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := from; i < to; i++ {
		d.push[i] = now
	}
}

func (d *decisionLog) len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.decisions)
}

// waitReady waits until the ingest reads the amplifier (and the markers)
// and the pipeline owns its partitions.
func (l *loop) waitReady(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := l.amp.WaitForConsumers(wctx); err != nil {
		return fmt.Errorf("bci loop: the ingest did not connect: %w", err)
	}
	if l.mk != nil {
		if err := l.mk.WaitForConsumers(wctx); err != nil {
			return fmt.Errorf("bci loop: the ingest did not connect to the markers: %w", err)
		}
	}
	for l.built.KafkaSource.Stats().Partitions < l.cfg.Partitions {
		select {
		case <-wctx.Done():
			return fmt.Errorf("bci loop: the pipeline was not assigned its partitions: %w", wctx.Err())
		case e := <-l.pipeDone:
			return fmt.Errorf("bci loop: the pipeline stopped: %w", e)
		case <-time.After(10 * time.Millisecond):
		}
	}
	time.Sleep(200 * time.Millisecond) // the ingest's clock offsets
	return nil
}

// play pushes the session in real time, Push samples at once, and in
// trial mode each trial's marker, stamped at its onset.
func (l *loop) play(ctx context.Context) error {
	cfg, sess := l.cfg, l.sess
	n, nch := sess.n, sess.nch
	l.log.Info("bci loop: playing", "seconds", cfg.Seconds, "channels", nch, "rate", cfg.Rate, "trials", len(sess.trials))
	nextTrial := 0
	sample := make([]float32, nch*cfg.Push)
	t0 := time.Now()
	for k := 0; k < n; k += cfg.Push {
		m := min(cfg.Push, n-k)
		due := t0.Add(time.Duration(float64(k+m-1) / cfg.Rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		c := lsl.Chunk{Format: lsl.FormatFloat32, Channels: nch, Float32: sample[:m*nch]}
		for i := range m {
			for ch := range nch {
				c.Float32[i*nch+ch] = float32(sess.data[ch][k+i] * 1e6)
			}
		}
		now := lsl.LocalClock()
		if err := l.amp.PushChunk(&c); err != nil {
			return err
		}
		// A block's samples are stamped back from its push (liblsl's
		// push_chunk): the last one completes any window it ends.
		l.dec.pushed(k, k+m, now)
		for ; l.mk != nil && nextTrial < len(sess.trials) && sess.trials[nextTrial].onset < int64(k+m); nextTrial++ {
			tr := sess.trials[nextTrial]
			ts := now - float64(int64(k+m-1)-tr.onset)/cfg.Rate
			if err := l.mk.PushString([]string{tr.desc}, ts); err != nil {
				return err
			}
		}
	}
	return nil
}

// awaitDecisions waits until expected decisions arrived, or Wait passed.
func (l *loop) awaitDecisions(ctx context.Context, expected int) error {
	deadline := time.After(l.cfg.Wait)
	for l.dec.len() < expected {
		select {
		case <-l.dec.got:
		case <-deadline:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// finish waits for the last decisions (Wait at most), stops the ingest
// and sums up.
func (l *loop) finish(ctx context.Context) (Result, error) {
	sess := l.sess
	expected := int((int64(sess.n)-sess.L)/sess.hop + 1)
	if l.cfg.Trials {
		expected = len(sess.trials)
	}
	if err := l.awaitDecisions(ctx, expected); err != nil {
		return Result{}, err
	}
	l.ingest.stop()
	ing := <-l.ingest.done
	if ing.err != nil {
		return Result{}, fmt.Errorf("bci loop: ingest: %w", ing.err)
	}
	l.dec.mu.Lock()
	res := summarize(slices.Clone(l.dec.decisions), expected, l.cfg.Trials, sess.code)
	l.dec.mu.Unlock()
	res.Ingest = ing.res.Stats
	if err := l.runner.Failure(); err != nil {
		return res, fmt.Errorf("bci loop: pipeline: %w", err)
	}
	return res, nil
}

// summarize computes the figures over the first decision of each window.
func summarize(ds []Decision, expected int, trials bool, code func(start int64) (int, int64)) Result {
	res := Result{Mode: "async", Expected: expected, Decisions: ds, Correct: -1}
	if trials {
		res.Mode, res.Correct = "trials", 0
	}
	seen := map[int64]bool{}
	var lat []float64
	for _, d := range ds {
		if seen[d.StartSample] {
			res.Duplicates++
			continue
		}
		seen[d.StartSample] = true
		if !math.IsNaN(d.Latency) {
			lat = append(lat, d.Latency)
		}
		if trials {
			c, dist := code(d.StartSample)
			res.OnsetError = max(res.OnsetError, dist)
			if d.Decision+1 == c {
				res.Correct++
			}
		}
	}
	res.N = len(seen)
	res.Missing = max(0, expected-res.N)
	if len(lat) == 0 {
		return res
	}
	sort.Float64s(lat)
	q := func(p float64) float64 { return lat[min(len(lat)-1, int(math.Ceil(p*float64(len(lat))))-1)] }
	res.P50, res.P99, res.Max = q(0.5), q(0.99), lat[len(lat)-1]
	for _, v := range lat {
		res.Mean += v
	}
	res.Mean /= float64(len(lat))
	return res
}

func deleteTopics(brokers, topics []string, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t := &kafkago.Transport{}
	defer t.CloseIdleConnections()
	cl := &kafkago.Client{Addr: kafkago.TCP(brokers...), Transport: t}
	if _, err := cl.DeleteTopics(ctx, &kafkago.DeleteTopicsRequest{Topics: topics}); err != nil {
		log.Warn("bci loop: delete topics", "topics", strings.Join(topics, ","), "err", err)
	}
}
