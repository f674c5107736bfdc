package config

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/pipeline"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/stages"
	"github.com/neurostream/neurostream/simulate"
)

// Validate checks every key and returns Errors, each naming its key path
// and what was expected, or nil. The sections are checked in the order of
// the file: run settings, source, stim, window, preprocess, stages,
// output.
func (c *Config) Validate() error {
	var errs Errors
	add := func(err error) { errs = append(errs, err) }
	c.validateRun(add)
	c.validateSource(add)
	c.validateStim(add)
	c.validateWindow(add)
	c.validatePreprocess(add)
	c.validateStages(add)
	c.validateOutput(add)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// ValidateInput checks what a run reads and how it windows it — the run
// settings, source, stim, window and preprocess sections — as Validate
// does, for a pipeline whose stages and outputs are the caller's (the
// trainers of pipeline/train).
func (c *Config) ValidateInput() error {
	var errs Errors
	add := func(err error) { errs = append(errs, err) }
	c.validateRun(add)
	c.validateSource(add)
	c.validateStim(add)
	c.validateWindow(add)
	c.validatePreprocess(add)
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// validateRun checks the keys of the run as a whole: workers, session
// idling, Kafka timeouts and partitions, wire limits, non_finite.
func (c *Config) validateRun(add func(error)) {
	if c.Workers < 1 {
		add(keyErr("workers", "want at least 1, got %d", c.Workers))
	}
	if !(c.SessionIdleSeconds >= 0) || math.IsInf(c.SessionIdleSeconds, 0) {
		add(keyErr("session_idle_seconds", "want a number of seconds ≥ 0 (0: sessions end only on a final chunk), got %v", c.SessionIdleSeconds))
	}
	for _, kv := range []struct {
		key string
		v   float64
	}{
		{"source.kafka.connect_timeout_seconds", c.Source.Kafka.ConnectTimeoutSeconds},
		{"source.kafka.checkpoint_interval_seconds", c.Source.Kafka.CheckpointIntervalSeconds},
		{"output.kafka.retry_timeout_seconds", c.Output.Kafka.RetryTimeoutSeconds},
		{"output.kafka.partitions", float64(c.Output.Kafka.Partitions)},
	} {
		if !(kv.v >= 0) || math.IsInf(kv.v, 0) {
			add(keyErr(kv.key, "want ≥ 0 (0: the default), got %v", kv.v))
		}
	}
	if err := c.Source.Limits.wire().Validate(); err != nil {
		add(keyErr("source.limits", "%v", err))
	}
	switch c.NonFinite {
	case "reject", "allow":
	default:
		add(keyErr("non_finite", "want reject or allow, got %q", c.NonFinite))
	}
}

// validateSource checks source: chunking and pace, one kind of input,
// the Kafka topic and group, the files and the simulated sessions.
func (c *Config) validateSource(add func(error)) {
	s := c.Source
	if !(s.ChunkSeconds > 0) || math.IsInf(s.ChunkSeconds, 0) {
		add(keyErr("source.chunk_seconds", "want a positive duration in seconds, got %v", s.ChunkSeconds))
	}
	if s.Pace < 0 {
		add(keyErr("source.pace", "want 0 (as fast as possible) or a positive speed-up, got %v", s.Pace))
	}
	kafkaIn := len(s.Kafka.Brokers) > 0
	switch {
	case kafkaIn && (len(s.Files.Paths) > 0 || s.Simulate.Sessions > 0):
		add(keyErr("source", "source.kafka excludes source.files and source.simulate: use one"))
	case !kafkaIn && len(s.Files.Paths) == 0 && s.Simulate.Sessions == 0:
		add(keyErr("source", "no input: set source.files.paths, source.simulate.sessions or source.kafka.brokers"))
	}
	if kafkaIn {
		if s.Kafka.Topic == "" {
			add(keyErr("source.kafka.topic", "empty"))
		}
		if s.Kafka.GroupID == "" {
			add(keyErr("source.kafka.group_id", "empty"))
		}
	}
	c.validateFiles(add)
	if s.Simulate.Sessions < 0 {
		add(keyErr("source.simulate.sessions", "want ≥ 0, got %d", s.Simulate.Sessions))
	}
	if s.Simulate.Sessions > 0 {
		if err := s.Simulate.Config.Validate(); err != nil {
			add(keyErr("source.simulate", "%v", err))
		}
	}
}

// validateFiles checks source.files: paths, the rate plain-text files
// need, and the unit.
func (c *Config) validateFiles(add func(error)) {
	f := c.Source.Files
	for i, p := range f.Paths {
		switch {
		case p == "":
			add(keyErr(fmt.Sprintf("source.files.paths[%d]", i), "empty path"))
		case f.SampleRate == 0 && f.TimeColumn == "" && open.Detect(p) == open.KindText:
			// Folders are listed when the run starts; a text file among
			// them is skipped then, with the same message.
			add(keyErr("source.files.sample_rate", "required for the plain-text recording %s (source.files.paths[%d]): its rate in Hz, or source.files.time_column naming a column of timestamps", p, i))
		}
	}
	if f.SampleRate < 0 {
		add(keyErr("source.files.sample_rate", "want a rate in Hz, got %v", f.SampleRate))
	}
	if f.ChannelFiles != "" {
		if _, err := filepath.Match(f.ChannelFiles, ""); err != nil {
			add(keyErr("source.files.channel_files", "want a file-name pattern such as \"ch*.inp\": %v", err))
		} else if f.SampleRate == 0 && f.TimeColumn == "" {
			add(keyErr("source.files.sample_rate", "required for recordings of plain-text channel files (source.files.channel_files): their rate in Hz"))
		}
	}
	for i, l := range f.ChannelLabels {
		if l == "" {
			add(keyErr(fmt.Sprintf("source.files.channel_labels[%d]", i), "empty label"))
		}
	}
	switch f.Unit {
	case "V", "mV", "uV", "µV", "nV":
	default:
		add(keyErr("source.files.unit", "want V, mV, uV or nV, got %q", f.Unit))
	}
}

// validateStim checks source.stim: positive codes, distinct
// descriptions, events for a channel.
func (c *Config) validateStim(add func(error)) {
	st := c.Source.Stim
	for i, e := range st.Events {
		key := fmt.Sprintf("source.stim.events[%d]", i)
		if e.Code <= 0 {
			add(keyErr(key+".code", "want a positive event code, got %d", e.Code))
		}
		if e.Description == "" {
			add(keyErr(key+".description", "empty: give the annotation description to match"))
		} else if j := slices.IndexFunc(st.Events, func(o StimEvent) bool { return o.Description == e.Description }); j < i {
			add(keyErr(key+".description", "%q repeats source.stim.events[%d]", e.Description, j))
		}
	}
	if st.Channel != "" && len(st.Events) == 0 {
		add(keyErr("source.stim.events", "required with source.stim.channel: list {description, code} pairs"))
	}
}

// validateWindow checks window: event-locked windows (a length, no hop)
// or sliding ones (length and hop in samples or in seconds), and the
// warm-up.
func (c *Config) validateWindow(add func(error)) {
	w := c.Window
	ev := w.Events
	for i, code := range ev.Codes {
		if code <= 0 {
			add(keyErr(fmt.Sprintf("window.events.codes[%d]", i), "want a positive event code, got %d", code))
		}
	}
	if ev.StimChannel == "" && (len(ev.Codes) > 0 || ev.OffsetSeconds != 0) {
		add(keyErr("window.events.stim_channel", "required with window.events.codes or offset_seconds"))
	}
	if ev.StimChannel != "" {
		c.validateEventWindow(add)
	} else {
		c.validateSlidingWindow(add)
	}
	if w.WarmupSeconds < 0 {
		add(keyErr("window.warmup_seconds", "want ≥ 0, got %v", w.WarmupSeconds))
	}
}

// validateEventWindow checks the window of window.events: a length, no
// hop, and no resample step that would smear the stim channel.
func (c *Config) validateEventWindow(add func(error)) {
	w := c.Window
	switch {
	case w.Hop != 0 || w.HopSeconds != 0:
		add(keyErr("window.hop", "not used with window.events (one window per event): remove it"))
	case w.Length != 0 && w.LengthSeconds != 0:
		add(keyErr("window", "set length (samples) or length_seconds, not both"))
	case w.Length < 0 || w.LengthSeconds < 0 || (w.Length == 0 && !(w.LengthSeconds > 0)):
		add(keyErr("window.length_seconds", "want a window length > 0 after each event"))
	}
	for i, st := range c.Preprocess {
		if st.Type == "resample" {
			add(keyErr(fmt.Sprintf("preprocess[%d]", i), "resample would smear the stim channel's event codes that window.events reads; resample the recordings beforehand"))
		}
	}
}

// validateSlidingWindow checks a sliding window: length and hop, in
// samples or in seconds.
func (c *Config) validateSlidingWindow(add func(error)) {
	w := c.Window
	samples := w.Length != 0 || w.Hop != 0
	seconds := w.LengthSeconds != 0 || w.HopSeconds != 0
	switch {
	case samples && seconds:
		add(keyErr("window", "set length/hop (samples) or length_seconds/hop_seconds, not both"))
	case samples:
		if w.Length < 1 {
			add(keyErr("window.length", "want ≥ 1 sample, got %d", w.Length))
		}
		if w.Hop < 1 {
			add(keyErr("window.hop", "want ≥ 1 sample, got %d", w.Hop))
		}
	case seconds:
		if !(w.LengthSeconds > 0) {
			add(keyErr("window.length_seconds", "want > 0, got %v", w.LengthSeconds))
		}
		if !(w.HopSeconds > 0) {
			add(keyErr("window.hop_seconds", "want > 0, got %v", w.HopSeconds))
		}
	default:
		add(keyErr("window", "not set: give length and hop in samples or length_seconds and hop_seconds"))
	}
}

// validatePreprocess checks each preprocess step's type and options.
func (c *Config) validatePreprocess(add func(error)) {
	for i, st := range c.Preprocess {
		key := fmt.Sprintf("preprocess[%d]", i)
		if _, serrs := stages.BuildPreprocess(st.Type, st.Name, st.Options); serrs != nil {
			for _, e := range expandDecodeErrors(serrs) {
				add(prefixed(key, e))
			}
		}
	}
}

// validateStages checks the stages: at least one, distinct names, each
// one's type and options, and their options against the sample rates the
// configuration fixes (stageRates).
func (c *Config) validateStages(add func(error)) {
	if len(c.Stages) == 0 {
		add(keyErr("stages", "no stage: add at least one (types: %v)", stages.Types()))
	}
	names := map[string]int{}
	rates := c.stageRates()
	for i, st := range c.Stages {
		key := fmt.Sprintf("stages[%d]", i)
		name := st.Name
		if name == "" {
			name = st.Type
		}
		if j, ok := names[name]; ok {
			add(keyErr(key+".name", "%q already names stages[%d]", name, j))
		}
		names[name] = i
		sb, serrs := stages.Build(st.Type, st.Name, st.Options)
		for _, e := range expandDecodeErrors(serrs) {
			add(prefixed(key, e))
		}
		if rc, ok := sb.(stages.RateChecker); ok {
			for _, r := range rates {
				for _, e := range rc.CheckRate(r.rate, r.windowLength) {
					add(prefixed(key, fmt.Errorf("%w (sessions of %s)", e, r.from)))
				}
			}
		}
	}
}

// validateOutput checks output: SzCORE files, the result files, that
// there is an output at all, kafka.security where Kafka is used,
// output.lsl and output.kafka.
func (c *Config) validateOutput(add func(error)) {
	o := c.Output
	if o.SzCORE != "" && !slices.ContainsFunc(c.Stages, func(st Stage) bool { return st.Type == "seizure" }) {
		add(keyErr("output.szcore", "needs a seizure stage, whose events it writes"))
	}
	switch o.Format {
	case "parquet", "arrow":
	default:
		add(keyErr("output.format", "want parquet or arrow, got %q", o.Format))
	}
	if o.PartRows < 1 {
		add(keyErr("output.part_rows", "want at least 1 row, got %d", o.PartRows))
	}
	if o.PartSeconds < 0 || math.IsNaN(o.PartSeconds) {
		add(keyErr("output.part_seconds", "want a duration ≥ 0 s (0: no time limit), got %v", o.PartSeconds))
	}
	if o.RowGroupRows < 1 {
		add(keyErr("output.row_group_rows", "want at least 1 row, got %d", o.RowGroupRows))
	}
	if o.Dir == "" && len(o.Kafka.Brokers) == 0 && len(o.LSL.Kinds) == 0 {
		add(keyErr("output", "no output: set output.dir, output.kafka.brokers or output.lsl.kinds"))
	}
	if len(c.Source.Kafka.Brokers) > 0 || len(o.Kafka.Brokers) > 0 {
		// Reads the files too: a missing CA file or an expired client
		// certificate is reported now, not at the first connection.
		if err := c.Kafka.Security.Apply(&pkafka.Connection{}); err != nil {
			for _, e := range SecurityErrors(err, securityName) {
				add(e)
			}
		}
	}
	c.validateLSL(add)
	c.validateKafkaOutput(add)
}

// validateKafkaOutput checks output.kafka when its brokers are set.
func (c *Config) validateKafkaOutput(add func(error)) {
	ko := c.Output.Kafka
	if len(ko.Brokers) == 0 {
		return
	}
	switch ko.Acks {
	case "all", "one":
	default:
		add(keyErr("output.kafka.acks", "want all or one, got %q", ko.Acks))
	}
	if ko.DeadLetterTopic == "" {
		add(keyErr("output.kafka.dead_letter_topic", "empty"))
	}
}

// validateLSL checks output.lsl: known kinds, each made by a stage.
func (c *Config) validateLSL(add func(error)) {
	o := c.Output.LSL
	stageFor := map[string]string{"ssvep": "ssvep", "seizure": "seizure", "bandpower": "psd"}
	for i, k := range o.Kinds {
		st, ok := stageFor[k]
		switch {
		case !ok:
			add(keyErr(fmt.Sprintf("output.lsl.kinds[%d]", i), "want ssvep, seizure or bandpower, got %q", k))
		case !slices.ContainsFunc(c.Stages, func(s Stage) bool { return s.Type == st }):
			add(keyErr(fmt.Sprintf("output.lsl.kinds[%d]", i), "%s results come from a %s stage, and there is none", k, st))
		}
	}
	switch o.SSVEPFormat {
	case "", "string", "float":
	default:
		add(keyErr("output.lsl.ssvep_format", "want string or float, got %q", o.SSVEPFormat))
	}
	switch o.BandPower {
	case "", "power", "relative":
	default:
		add(keyErr("output.lsl.band_power", "want power or relative, got %q", o.BandPower))
	}
	if o.ConfigFile != "" {
		if _, err := lsl.LoadConfig(o.ConfigFile); err != nil {
			add(keyErr("output.lsl.config_file", "%v", err))
		}
	}
}

// prefixed puts a stage's key path under its place in the stage list.
func prefixed(key string, err error) error {
	var ke *KeyError
	if errors.As(err, &ke) {
		return keyErr(key+"."+ke.Key, "%s", ke.Msg)
	}
	return fmt.Errorf("%s.%w", key, err)
}

// stageRate is a sample rate and window length the stages will see.
type stageRate struct {
	rate         float64
	windowLength int64 // samples; 0 when not known
	from         string
}

// stageRates lists the sample rates the configuration fixes for the
// stages, after the preprocess steps (a resample changes the rate): the
// simulated sessions' and source.files.sample_rate (plain-text files).
// Recordings carry their own rates, which only a session knows.
func (c *Config) stageRates() []stageRate {
	var in []stageRate
	if sim := c.Source.Simulate; sim.Sessions > 0 && sim.Config.Validate() == nil {
		rate := sim.Config.SampleRate
		if rate == 0 {
			rate = simulate.DefaultConfig().SampleRate
		}
		in = append(in, stageRate{rate: rate, from: "source.simulate"})
	}
	if f := c.Source.Files; len(f.Paths) > 0 && f.SampleRate > 0 {
		in = append(in, stageRate{rate: f.SampleRate, from: "source.files.sample_rate"})
	}
	var out []stageRate
	for _, r := range in {
		si := pipeline.SessionInfo{SampleRate: r.rate, Channels: []formats.Channel{
			{Label: "a", Type: formats.EEG, Unit: "V", SampleRate: r.rate},
			{Label: "b", Type: formats.EEG, Unit: "V", SampleRate: r.rate},
		}}
		known := true
		for _, st := range c.Preprocess {
			p, errs := stages.BuildPreprocess(st.Type, st.Name, st.Options)
			if errs != nil {
				known = false // reported above
				break
			}
			var err error
			if _, si, err = p.NewSession(si); err != nil {
				known = false // the step fails at this rate: a session reports it
				break
			}
		}
		if !known {
			continue
		}
		r.rate = si.SampleRate
		switch w := c.Window; {
		case w.Length > 0:
			r.windowLength = w.Length
		case w.LengthSeconds > 0:
			r.windowLength = int64(math.Round(w.LengthSeconds * r.rate))
		}
		if !slices.ContainsFunc(out, func(o stageRate) bool { return o.rate == r.rate && o.windowLength == r.windowLength }) {
			out = append(out, r)
		}
	}
	return out
}
