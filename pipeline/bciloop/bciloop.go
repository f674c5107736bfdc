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
	// Correct counts trial-mode decisions equal to the trial's target;
	// -1 in asynchronous mode.
	Correct int `json:"correct"`
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
	log := cfg.Logger
	net := lslin.ThisMachine()
	if cfg.LSLConfigFile != "" {
		var err error
		if net, err = lsl.LoadConfig(cfg.LSLConfigFile); err != nil {
			return Result{}, fmt.Errorf("bci loop: %w", err)
		}
	}
	id := fmt.Sprintf("bci-loop-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9)
	topic, group, prefix := "bench."+id+".raw", "bench."+id, "bench-"+id

	// The session, rendered ahead: the outlet must not wait for it.
	sim := simulate.DefaultConfig()
	// One sample more than the seconds: it completes no window, and is
	// left for the ingest's final chunk.
	sim.Seed, sim.SampleRate, sim.Duration = cfg.Seed, cfg.Rate, cfg.Seconds+1/cfg.Rate
	sim.Background.Enabled, sim.Alpha.Enabled, sim.LineNoise.Enabled, sim.Blinks.Enabled = true, true, true, true
	sim.SSVEP.Enabled, sim.SSVEP.Frequencies = true, frequencies
	ss, err := simulate.New(sim)
	if err != nil {
		return Result{}, err
	}
	data, err := formats.ReadAll(ss)
	info := ss.Info()
	ss.Close()
	if err != nil {
		return Result{}, err
	}
	n := len(data[0])
	nch := len(info.Channels)
	L := int64(math.Round(windowSeconds * cfg.Rate))
	hop := int64(math.Round(hopSeconds * cfg.Rate))
	type trial struct {
		onset int64
		code  int
		desc  string
	}
	var trials []trial
	codes := map[string]int{}
	for k, f := range frequencies {
		codes[fmt.Sprintf("ssvep/%gHz", f)] = k + 1
	}
	for _, a := range info.Annotations {
		if c, ok := codes[a.Description]; ok {
			if s := int64(math.Round(a.Onset * cfg.Rate)); s+L <= int64(n) {
				trials = append(trials, trial{s, c, a.Description})
			}
		}
	}

	// Topics first: the pipeline's source does not wait for its topic.
	conn := pkafka.Connection{Brokers: cfg.Brokers}
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err = pkafka.EnsureTopics(tctx, conn, []string{topic}, cfg.Partitions)
	cancel()
	if err != nil {
		return Result{}, fmt.Errorf("bci loop: %w", err)
	}
	if !cfg.KeepTopics {
		defer deleteTopics(cfg.Brokers, []string{topic}, log)
	}

	// The pipeline: configs/ssvep-speller.yaml (or ssvep-trials.yaml)
	// reading the topic, results over LSL only.
	pc := config.Default()
	pc.Name, pc.Workers = "bci-loop", 1
	pc.Source.Kafka = config.KafkaSource{Kafka: config.Kafka{Brokers: cfg.Brokers}, Topic: topic, GroupID: group}
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
		LSL: config.LSLOutput{Kinds: []string{"ssvep"}, Prefix: prefix, ConfigFile: cfg.LSLConfigFile}}
	if err := pc.Validate(); err != nil {
		return Result{}, fmt.Errorf("bci loop: pipeline: %w", err)
	}
	built, err := pc.Build(log)
	if err != nil {
		return Result{}, fmt.Errorf("bci loop: pipeline: %w", err)
	}
	runner, err := pipeline.New(built.Options)
	if err != nil {
		built.LSL.Close()
		return Result{}, err
	}
	pctx, stopPipeline := context.WithCancel(context.WithoutCancel(ctx))
	pipeDone := make(chan error, 1)
	go func() { pipeDone <- runner.Run(pctx) }()
	defer func() {
		stopPipeline()
		<-pipeDone
	}()

	// The stimulus program's side: an inlet of the decisions.
	dq, _ := lsl.Prop("source_id", prefix+"-ssvep")
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	found, err := lsl.Resolve(rctx, net, dq, 1)
	cancel()
	if err != nil {
		return Result{}, fmt.Errorf("bci loop: the decisions' stream: %w", err)
	}
	dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	decIn, err := lsl.NewInlet(dctx, found[0], lsl.InletConfig{Config: net})
	cancel()
	if err != nil {
		return Result{}, fmt.Errorf("bci loop: the decisions' stream: %w", err)
	}
	defer decIn.Close()

	// The amplifier (and, in trial mode, the stimulus program's markers).
	eegID := prefix + "-eeg"
	ei := lsl.StreamInfo{Name: eegID, Type: "EEG", ChannelCount: nch, NominalRate: cfg.Rate, Format: lsl.FormatFloat32, SourceID: eegID}
	var chs []lsl.ChannelInfo
	for _, c := range info.Channels {
		chs = append(chs, lsl.ChannelInfo{Label: c.Label, Unit: "microvolts", Type: "EEG"})
	}
	ei.SetChannels(chs)
	amp, err := lsl.NewOutlet(ei, lsl.OutletConfig{Config: net})
	if err != nil {
		return Result{}, fmt.Errorf("bci loop: %w", err)
	}
	defer amp.Close()
	var mk *lsl.Outlet
	icfg := lslin.Config{
		LSL: net, Producer: pkafka.ProducerConfig{Connection: conn, Logger: log}, Topic: topic,
		ChunkSeconds: cfg.ChunkSeconds, Logger: log,
	}
	icfg.Query, _ = lsl.Prop("source_id", eegID)
	if cfg.Trials {
		mkID := prefix + "-markers"
		mk, err = lsl.NewOutlet(lsl.StreamInfo{Name: mkID, Type: "Markers", ChannelCount: 1, Format: lsl.FormatString, SourceID: mkID}, lsl.OutletConfig{Config: net})
		if err != nil {
			return Result{}, fmt.Errorf("bci loop: %w", err)
		}
		defer mk.Close()
		q, _ := lsl.Prop("source_id", mkID)
		icfg.Markers, icfg.StimCodes, icfg.MarkerDelay = []string{q}, codes, cfg.MarkerDelay
	}
	ictx, stopIngest := context.WithCancel(context.WithoutCancel(ctx))
	defer stopIngest()
	type ingestDone struct {
		res lslin.Result
		err error
	}
	ingDone := make(chan ingestDone, 1)
	go func() {
		r, err := lslin.Run(ictx, icfg)
		ingDone <- ingestDone{r, err}
	}()

	// Decisions.
	push := make([]float64, n) // LSL clock at each sample's push
	var mu sync.Mutex
	var decisions []Decision
	got := make(chan struct{}, 1)
	readCtx, stopRead := context.WithCancel(context.WithoutCancel(ctx))
	readDone := make(chan error, 1)
	go func() {
		var c lsl.Chunk
		for {
			if err := decIn.Pull(readCtx, &c, 0); err != nil {
				readDone <- err
				return
			}
			at := lsl.LocalClock()
			mu.Lock()
			for _, s := range c.Strings {
				var d Decision
				if err := json.Unmarshal([]byte(s), &d); err != nil {
					log.Warn("bci loop: a decision that is not JSON", "text", s)
					continue
				}
				if last := d.StartSample + L - 1; last >= 0 && last < int64(n) && push[last] > 0 {
					d.Latency = 1e3 * (at - push[last])
				} else {
					d.Latency = math.NaN()
				}
				decisions = append(decisions, d)
			}
			mu.Unlock()
			select {
			case got <- struct{}{}:
			default:
			}
		}
	}()
	defer func() {
		stopRead()
		<-readDone
	}()

	// Wait until the ingest reads the amplifier and the pipeline owns its
	// partitions, then play the session in real time.
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := amp.WaitForConsumers(wctx); err != nil {
		return Result{}, fmt.Errorf("bci loop: the ingest did not connect: %w", err)
	}
	if mk != nil {
		if err := mk.WaitForConsumers(wctx); err != nil {
			return Result{}, fmt.Errorf("bci loop: the ingest did not connect to the markers: %w", err)
		}
	}
	for built.KafkaSource.Stats().Partitions < cfg.Partitions {
		select {
		case <-wctx.Done():
			return Result{}, fmt.Errorf("bci loop: the pipeline was not assigned its partitions: %w", wctx.Err())
		case e := <-pipeDone:
			return Result{}, fmt.Errorf("bci loop: the pipeline stopped: %w", e)
		case <-time.After(10 * time.Millisecond):
		}
	}
	time.Sleep(200 * time.Millisecond) // the ingest's clock offsets
	log.Info("bci loop: playing", "seconds", cfg.Seconds, "channels", nch, "rate", cfg.Rate, "trials", len(trials))
	nextTrial := 0
	sample := make([]float32, nch*cfg.Push)
	t0 := time.Now()
	for k := 0; k < n; k += cfg.Push {
		m := min(cfg.Push, n-k)
		due := t0.Add(time.Duration(float64(k+m-1) / cfg.Rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			select {
			case <-ctx.Done():
				return Result{}, ctx.Err()
			case <-time.After(d):
			}
		}
		c := lsl.Chunk{Format: lsl.FormatFloat32, Channels: nch, Float32: sample[:m*nch]}
		for i := range m {
			for ch := range nch {
				c.Float32[i*nch+ch] = float32(data[ch][k+i] * 1e6)
			}
		}
		now := lsl.LocalClock()
		if err := amp.PushChunk(&c); err != nil {
			return Result{}, err
		}
		mu.Lock()
		for i := range m {
			// A block's samples are stamped back from its push (liblsl's
			// push_chunk): the last one completes any window it ends.
			push[k+i] = now
		}
		mu.Unlock()
		for ; mk != nil && nextTrial < len(trials) && trials[nextTrial].onset < int64(k+m); nextTrial++ {
			tr := trials[nextTrial]
			ts := now - float64(int64(k+m-1)-tr.onset)/cfg.Rate
			if err := mk.PushString([]string{tr.desc}, ts); err != nil {
				return Result{}, err
			}
		}
	}
	// Wait for the last decisions.
	expected := int((int64(n)-L)/hop + 1)
	if cfg.Trials {
		expected = len(trials)
	}
	deadline := time.After(cfg.Wait)
wait:
	for {
		mu.Lock()
		k := len(decisions)
		mu.Unlock()
		if k >= expected {
			break
		}
		select {
		case <-got:
		case <-deadline:
			break wait
		case <-ctx.Done():
			return Result{}, ctx.Err()
		}
	}
	stopIngest()
	ing := <-ingDone
	if ing.err != nil {
		return Result{}, fmt.Errorf("bci loop: ingest: %w", ing.err)
	}
	mu.Lock()
	res := summarize(slices.Clone(decisions), expected, cfg.Trials, func(start int64) int {
		for _, tr := range trials {
			if tr.onset == start {
				return tr.code
			}
		}
		return 0
	})
	mu.Unlock()
	res.Ingest = ing.res.Stats
	if err := runner.Failure(); err != nil {
		return res, fmt.Errorf("bci loop: pipeline: %w", err)
	}
	return res, nil
}

// summarize computes the figures over the first decision of each window.
func summarize(ds []Decision, expected int, trials bool, code func(start int64) int) Result {
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
		if trials && d.Decision+1 == code(d.StartSample) {
			res.Correct++
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
