// Package lslout publishes pipeline results as Lab Streaming Layer
// streams, so that a stimulus or feedback program gets SSVEP decisions,
// seizure alarms and band powers with a plain LSL inlet (pylsl,
// liblsl, LabRecorder) instead of a Kafka client.
//
// A Sink is a pipeline.Sink. Its outlets exist from New on, so a program
// can connect before the first session starts: one irregular marker
// stream per kind for SSVEP decisions and seizure alarms and events (every
// session's rows, the session named in each marker), and one regular
// stream per session for band powers, created at the session's first
// band-power window and closed at its end. Pushing to an outlet queues
// the sample for each connected inlet and never waits, so Write never
// blocks a worker. docs/bci.md is the user's guide.
//
// Time stamps are on this machine's LSL clock: a result's window start
// time (unix ns, start_time_ns + start_sample/rate of its session) minus
// the offset between the wall clock and the LSL clock at the write. A
// session ingested from LSL (`neurostream ingest lsl`) has start_time_ns
// from its first sample's corrected time stamp, so a decision's time
// stamp is, within the clocks' resolution and the amplifier's rate error
// since the session began, the LSL time of its window's first sample:
// a stimulus program compares it with its own markers' time stamps.
package lslout

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// Config configures a Sink. Zero fields take the default named at the end
// of their comment.
type Config struct {
	// LSL is the network configuration of the outlets (lsl.LoadConfig
	// reads liblsl's lsl_api.cfg). Default: this machine only.
	LSL lsl.Config
	// Kinds are the result kinds published: arrowout.KindSSVEP,
	// KindSeizure, KindBandPower. Required.
	Kinds []arrowout.Kind
	// Prefix names the streams Prefix-ssvep, Prefix-seizure and
	// Prefix-bandpower (also their source_id; a band-power stream's is
	// Prefix-bandpower/<session>). Default: neurostream.
	Prefix string
	// SSVEPFormat is the SSVEP stream's format: "string" (one JSON
	// object per decision) or "float" (double64 channels decision,
	// frequency, score, margin, start_sample). Default: string.
	SSVEPFormat string
	// BandPowerValue selects what a band-power stream carries: "power"
	// (channel unit squared, V² for EEG) or "relative". Default: power.
	BandPowerValue string
	// BandPowerRate is the band-power streams' nominal rate in Hz
	// (1 / hop seconds); 0 declares them irregular. Default: 0.
	BandPowerRate float64
	// MaxBuffered is how much an outlet keeps for an inlet that does not
	// read, in seconds of its rate (100 samples/s for irregular streams).
	// Default: 360s (liblsl's).
	MaxBuffered time.Duration
	// Logger default: slog.Default().
	Logger *slog.Logger
	// Clock is the LSL clock. Default: lsl.LocalClock.
	Clock func() float64
}

// Stream formats and band-power values.
const (
	FormatString = "string"
	FormatFloat  = "float"
	ValuePower   = "power"
	ValueRel     = "relative"
)

// Validate names the first field out of range.
func (c *Config) Validate() error {
	if len(c.Kinds) == 0 {
		return errors.New("lsl output: Kinds: name at least one of ssvep, seizure, bandpower")
	}
	for i, k := range c.Kinds {
		switch k {
		case arrowout.KindSSVEP, arrowout.KindSeizure, arrowout.KindBandPower:
		default:
			return fmt.Errorf("lsl output: Kinds[%d]: %q is not published over LSL (ssvep, seizure, bandpower)", i, k)
		}
	}
	switch c.SSVEPFormat {
	case "", FormatString, FormatFloat:
	default:
		return fmt.Errorf("lsl output: SSVEPFormat: want string or float, got %q", c.SSVEPFormat)
	}
	switch c.BandPowerValue {
	case "", ValuePower, ValueRel:
	default:
		return fmt.Errorf("lsl output: BandPowerValue: want power or relative, got %q", c.BandPowerValue)
	}
	if !(c.BandPowerRate >= 0) || math.IsInf(c.BandPowerRate, 0) {
		return fmt.Errorf("lsl output: BandPowerRate: want a rate ≥ 0 Hz, got %v", c.BandPowerRate)
	}
	if c.MaxBuffered < 0 {
		return fmt.Errorf("lsl output: MaxBuffered: must not be negative, got %v", c.MaxBuffered)
	}
	return nil
}

func (c *Config) setDefaults() {
	if c.Prefix == "" {
		c.Prefix = "neurostream"
	}
	if c.SSVEPFormat == "" {
		c.SSVEPFormat = FormatString
	}
	if c.BandPowerValue == "" {
		c.BandPowerValue = ValuePower
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Clock == nil {
		c.Clock = lsl.LocalClock
	}
}

// SSVEPChannels labels the float SSVEP stream's channels.
var SSVEPChannels = []string{"decision", "frequency", "score", "margin", "start_sample"}

// Sink publishes results as LSL streams (see the package doc).
type Sink struct {
	cfg     Config
	kinds   map[arrowout.Kind]bool
	ssvep   *lsl.Outlet
	seizure *lsl.Outlet

	mu       sync.Mutex
	bands    map[string]*bandStream // by session
	ictal    map[string]bool        // seizure state by session
	closed   bool
	warnings map[string]bool
	counts   map[arrowout.Kind]int64
}

type bandStream struct {
	out   *lsl.Outlet
	index map[[2]string]int // (channel, band) → channel of the stream
	vals  []float64
}

// New opens the outlets of cfg's marker kinds.
func New(cfg Config) (*Sink, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.setDefaults()
	s := &Sink{cfg: cfg, kinds: map[arrowout.Kind]bool{}, bands: map[string]*bandStream{}, ictal: map[string]bool{},
		warnings: map[string]bool{}, counts: map[arrowout.Kind]int64{}}
	for _, k := range cfg.Kinds {
		s.kinds[k] = true
	}
	var err error
	if s.kinds[arrowout.KindSSVEP] {
		info := lsl.StreamInfo{Name: cfg.Prefix + "-ssvep", Type: "Markers", ChannelCount: 1, Format: lsl.FormatString, SourceID: cfg.Prefix + "-ssvep"}
		if cfg.SSVEPFormat == FormatFloat {
			info.ChannelCount, info.Format = len(SSVEPChannels), lsl.FormatDouble64
			var chs []lsl.ChannelInfo
			for _, l := range SSVEPChannels {
				chs = append(chs, lsl.ChannelInfo{Label: l, Type: "SSVEP"})
			}
			info.SetChannels(chs)
		} else {
			info.SetChannels([]lsl.ChannelInfo{{Label: "decision", Type: "SSVEP", Unit: "json"}})
		}
		if s.ssvep, err = s.outlet(info); err != nil {
			return nil, err
		}
	}
	if s.kinds[arrowout.KindSeizure] {
		info := lsl.StreamInfo{Name: cfg.Prefix + "-seizure", Type: "Markers", ChannelCount: 1, Format: lsl.FormatString, SourceID: cfg.Prefix + "-seizure"}
		info.SetChannels([]lsl.ChannelInfo{{Label: "seizure", Type: "Seizure", Unit: "json"}})
		if s.seizure, err = s.outlet(info); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Sink) outlet(info lsl.StreamInfo) (*lsl.Outlet, error) {
	info.Desc.Append("neurostream", "").Append("producer", "neurostream pipeline")
	out, err := lsl.NewOutlet(info, lsl.OutletConfig{Config: s.cfg.LSL, MaxBuffered: s.cfg.MaxBuffered, Logger: s.cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("lsl output: %w", err)
	}
	return out, nil
}

// Outlets returns the marker streams' outlets (SSVEP, seizure; nil for a
// kind not published), for programs that embed the pipeline.
func (s *Sink) Outlets() (ssvep, seizure *lsl.Outlet) { return s.ssvep, s.seizure }

// Counts returns how many samples were pushed per kind.
func (s *Sink) Counts() map[arrowout.Kind]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[arrowout.Kind]int64, len(s.counts))
	for k, v := range s.counts {
		out[k] = v
	}
	return out
}

// lslTime maps a unix time in ns to this machine's LSL clock.
func (s *Sink) lslTime(ns int64) float64 {
	now := time.Now()
	local := s.cfg.Clock()
	return local + float64(ns-now.UnixNano())/1e9
}

// Write implements pipeline.Sink: it pushes the rows of the published
// kinds and returns without waiting for any inlet.
func (s *Sink) Write(_ context.Context, results []arrowout.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("lsl output: write after Close")
	}
	for _, r := range results {
		if r.Record == nil {
			continue
		}
		var err error
		switch {
		case r.Kind == arrowout.KindSSVEP && s.ssvep != nil:
			err = s.writeSSVEP(r)
		case r.Kind == arrowout.KindSeizure && s.seizure != nil:
			err = s.writeSeizure(r)
		case r.Kind == arrowout.KindBandPower && s.kinds[arrowout.KindBandPower]:
			err = s.writeBandPower(r)
		case r.Kind == arrowout.KindSessionEnd:
			s.endSession(r.Key.Session)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// columns finds named columns of a record's schema.
type columns struct {
	kind arrowout.Kind
	rec  arrow.Record
	err  error
}

func (c *columns) col(name string) arrow.Array {
	idx := c.rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		if c.err == nil {
			c.err = fmt.Errorf("lsl output: %s result has no column %q", c.kind, name)
		}
		return nil
	}
	return c.rec.Column(idx[0])
}

// ssvepMarker is the JSON of one decision on the string SSVEP stream.
type ssvepMarker struct {
	Session     string   `json:"session"`
	Window      int64    `json:"window"`
	StartSample int64    `json:"start_sample"`
	Decision    int32    `json:"decision"`
	Frequency   *float64 `json:"frequency"` // null for rest
	Score       *float64 `json:"score"`
	Margin      *float64 `json:"margin"` // null with one target
	EventCode   *int32   `json:"event_code,omitempty"`
}

func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func (s *Sink) writeSSVEP(r arrowout.Result) error {
	c := columns{kind: r.Kind, rec: r.Record}
	win, start := c.col("window"), c.col("start_sample")
	dec, freq, score, margin, code := c.col("decision"), c.col("frequency"), c.col("score"), c.col("margin"), c.col("event_code")
	if c.err != nil {
		return c.err
	}
	startTime := c.col("start_time").(*array.Timestamp)
	for i := range int(r.Record.NumRows()) {
		ts := s.lslTime(int64(startTime.Value(i)))
		m := ssvepMarker{
			Session: r.Key.Session, Window: win.(*array.Int64).Value(i), StartSample: start.(*array.Int64).Value(i),
			Decision: dec.(*array.Int32).Value(i), Frequency: finite(freq.(*array.Float64).Value(i)),
			Score: finite(score.(*array.Float64).Value(i)), Margin: finite(margin.(*array.Float64).Value(i)),
		}
		if ec := code.(*array.Int32); ec.IsValid(i) {
			v := ec.Value(i)
			m.EventCode = &v
		}
		var err error
		if s.cfg.SSVEPFormat == FormatFloat {
			err = s.ssvep.PushFloat64([]float64{float64(m.Decision), freq.(*array.Float64).Value(i), score.(*array.Float64).Value(i),
				margin.(*array.Float64).Value(i), float64(m.StartSample)}, ts)
		} else {
			b, _ := json.Marshal(m) // plain fields, NaN replaced: cannot fail
			err = s.ssvep.PushString([]string{string(b)}, ts)
		}
		if err != nil {
			return fmt.Errorf("lsl output: ssvep: %w", err)
		}
		s.counts[arrowout.KindSSVEP]++
	}
	return nil
}

// seizureMarker is the JSON of one alarm or event on the seizure stream.
type seizureMarker struct {
	Session string `json:"session"`
	// Type is "alarm" (the detector's state turned ictal at this window),
	// "alarm_end" (it turned back) or "event" (a seizure event became
	// final).
	Type        string   `json:"type"`
	Window      int64    `json:"window"`
	StartSample int64    `json:"start_sample"`
	Probability *float64 `json:"probability,omitempty"`
	Smoothed    *float64 `json:"smoothed,omitempty"`
	Onset       *float64 `json:"onset_seconds,omitempty"`
	Offset      *float64 `json:"offset_seconds,omitempty"`
	Confidence  *float64 `json:"confidence,omitempty"`
	OnsetSample *int64   `json:"onset_sample,omitempty"`
	Channels    []string `json:"channels,omitempty"`
}

func (s *Sink) writeSeizure(r arrowout.Result) error {
	c := columns{kind: r.Kind, rec: r.Record}
	win, start, rowType, state := c.col("window"), c.col("start_sample"), c.col("row_type"), c.col("state")
	prob, smooth := c.col("probability"), c.col("smoothed")
	onset, offset, conf, chans := c.col("onset_seconds"), c.col("offset_seconds"), c.col("confidence"), c.col("channels")
	onsetSample, onsetTime := c.col("onset_sample"), c.col("onset_time")
	if c.err != nil {
		return c.err
	}
	startTime := c.col("start_time").(*array.Timestamp)
	for i := range int(r.Record.NumRows()) {
		m := seizureMarker{Session: r.Key.Session, Window: win.(*array.Int64).Value(i), StartSample: start.(*array.Int64).Value(i)}
		ts := s.lslTime(int64(startTime.Value(i)))
		switch rowType.(*array.String).Value(i) {
		case arrowout.SeizureRowWindow:
			ictal := state.(*array.String).Value(i) == arrowout.SeizureIctal
			if ictal == s.ictal[r.Key.Session] {
				continue
			}
			s.ictal[r.Key.Session] = ictal
			m.Type = "alarm"
			if !ictal {
				m.Type = "alarm_end"
			}
			m.Probability = finite(prob.(*array.Float64).Value(i))
			m.Smoothed = finite(smooth.(*array.Float64).Value(i))
		case arrowout.SeizureRowEvent:
			m.Type = "event"
			m.Onset, m.Offset = finite(onset.(*array.Float64).Value(i)), finite(offset.(*array.Float64).Value(i))
			m.Confidence = finite(conf.(*array.Float64).Value(i))
			os := onsetSample.(*array.Int64).Value(i)
			m.OnsetSample = &os
			ls := chans.(*array.List)
			vals := ls.ListValues().(*array.String)
			lo, hi := ls.ValueOffsets(i)
			for j := lo; j < hi; j++ {
				m.Channels = append(m.Channels, vals.Value(int(j)))
			}
			ts = s.lslTime(int64(onsetTime.(*array.Timestamp).Value(i)))
		default:
			continue
		}
		b, _ := json.Marshal(m)
		if err := s.seizure.PushString([]string{string(b)}, ts); err != nil {
			return fmt.Errorf("lsl output: seizure: %w", err)
		}
		s.counts[arrowout.KindSeizure]++
	}
	return nil
}

func (s *Sink) writeBandPower(r arrowout.Result) error {
	c := columns{kind: r.Kind, rec: r.Record}
	ch, band, unit := c.col("channel"), c.col("band"), c.col("unit")
	val := c.col(s.cfg.BandPowerValue)
	if c.err != nil {
		return c.err
	}
	chs, bands, units, vals := ch.(*array.String), band.(*array.String), unit.(*array.String), val.(*array.Float64)
	n := int(r.Record.NumRows())
	if n == 0 {
		return nil
	}
	bs := s.bands[r.Key.Session]
	if bs == nil {
		info := lsl.StreamInfo{Name: s.cfg.Prefix + "-bandpower", Type: "BandPower", ChannelCount: n, NominalRate: s.cfg.BandPowerRate,
			Format: lsl.FormatDouble64, SourceID: s.cfg.Prefix + "-bandpower/" + r.Key.Session}
		var list []lsl.ChannelInfo
		bs = &bandStream{index: map[[2]string]int{}, vals: make([]float64, n)}
		for i := range n {
			u := units.Value(i) + "²"
			if s.cfg.BandPowerValue == ValueRel {
				u = "1"
			}
			list = append(list, lsl.ChannelInfo{Label: chs.Value(i) + "/" + bands.Value(i), Unit: u, Type: "BandPower"})
			bs.index[[2]string{chs.Value(i), bands.Value(i)}] = i
		}
		info.SetChannels(list)
		info.Desc.Append("neurostream", "").Append("session", r.Key.Session)
		out, err := lsl.NewOutlet(info, lsl.OutletConfig{Config: s.cfg.LSL, MaxBuffered: s.cfg.MaxBuffered, Logger: s.cfg.Logger})
		if err != nil {
			return fmt.Errorf("lsl output: band powers of session %s: %w", r.Key.Session, err)
		}
		bs.out = out
		s.bands[r.Key.Session] = bs
	}
	for i := range bs.vals {
		bs.vals[i] = math.NaN()
	}
	for i := range n {
		if k, ok := bs.index[[2]string{chs.Value(i), bands.Value(i)}]; ok {
			bs.vals[k] = vals.Value(i)
		} else if !s.warnings["bands:"+r.Key.Session] {
			s.warnings["bands:"+r.Key.Session] = true
			s.cfg.Logger.Warn("lsl output: a band-power row not in the session's stream is left out", "session", r.Key.Session, "channel", chs.Value(i), "band", bands.Value(i))
		}
	}
	startTime := c.col("start_time").(*array.Timestamp)
	if err := bs.out.PushFloat64(bs.vals, s.lslTime(int64(startTime.Value(0)))); err != nil {
		return fmt.Errorf("lsl output: band powers of session %s: %w", r.Key.Session, err)
	}
	s.counts[arrowout.KindBandPower]++
	return nil
}

// endSession closes the session's band-power stream and forgets its state.
func (s *Sink) endSession(session string) {
	if bs := s.bands[session]; bs != nil {
		bs.out.Close()
		delete(s.bands, session)
	}
	delete(s.ictal, session)
	delete(s.warnings, "bands:"+session)
}

// Close implements pipeline.Sink: it closes every outlet.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	for id, bs := range s.bands {
		bs.out.Close()
		delete(s.bands, id)
	}
	for _, o := range []*lsl.Outlet{s.ssvep, s.seizure} {
		if o != nil {
			o.Close()
		}
	}
	return nil
}
