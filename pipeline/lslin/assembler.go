package lslin

import (
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// Event is one marker as the events topic carries it: the JSON value
// `neurostream replay` writes for an annotation, so consumers of the
// events topic read both alike.
type Event struct {
	Session string `json:"session"`
	// Onset is in seconds from the session's sample 0: the marker's
	// fractional sample index over the nominal rate, so that
	// Onset·rate rounds to Sample.
	Onset    float64 `json:"onset"`
	Duration float64 `json:"duration"`
	// Description is the marker's text (channels joined by "/"), or its
	// integer in decimal.
	Description string `json:"description"`
	// Sample is the sample of the session the marker belongs to: the one
	// whose dejittered time is nearest to the marker's corrected time.
	Sample int64 `json:"sample"`
}

// marker is one marker sample, its time corrected onto this machine's LSL
// clock.
type marker struct {
	t    float64
	code int // stim code; ≤ 0: none
	desc string
	seq  int64 // arrival order, to keep equal times stable
	// arrival is when the marker was pulled (for the late warning).
	arrival time.Time
}

// asmConfig is what the assembler needs of Config and the stream.
type asmConfig struct {
	rate      float64
	chunkLen  int64
	channels  []formats.Channel // data channels, then the stim channel if stim
	stim      bool
	gapThr    float64       // seconds
	confirm   float64       // seconds of time stamps that confirm a gap
	maxHold   time.Duration // longest a suspected gap holds samples
	delay     time.Duration // marker delay; < 0: none
	halfLife  float64
	sessionID func(startUnixNS int64) string
	logger    *slog.Logger
	// now and local are the wall and LSL clocks (tests replace them).
	now   func() time.Time
	local func() float64
}

// block is a run of consecutive unpublished samples [first, end) that
// becomes one chunk.
type block struct {
	first, end  int64
	cols        [][]float32
	full        bool // reached its chunk boundary, or cut by a gap
	lastArrival time.Time
}

// held is a sample kept back while a suspected gap is decided.
type held struct {
	vals    []float32
	t       float64
	arrival time.Time
}

// assembler turns the samples and markers of one LSL session into wire
// chunks and events (docs/lsl.md, "neurostream ingest lsl"). It is not
// safe for concurrent use: Run's loop owns it.
type assembler struct {
	cfg  asmConfig
	nch  int // data channels
	emit func(m pipeline.Message, c *wire.Chunk)
	evt  func(Event)

	started bool
	session string
	startNS int64
	fit     clockFit
	next    int64 // index of the next sample taken in
	blocks  []*block
	hold    []held
	holdAt  time.Time
	markers []marker
	mseq    int64
	seq     int64
	// published is one past the last sample published.
	published int64
	enc       *wire.Encoder
	chunk     wire.Chunk
	final     bool
	warnings  map[string]int

	stats Stats
}

// Stats counts what an ingest did.
type Stats struct {
	Session string `json:"session"`
	// Samples taken in and published, chunks published.
	Samples int64 `json:"samples"`
	Chunks  int64 `json:"chunks"`
	// Gaps found in the time stamps or at reconnections, and the samples
	// they left out.
	Gaps    int64 `json:"gaps"`
	Missing int64 `json:"missing_samples"`
	// Markers placed in the stim channel (or, without a code, only sent
	// as events); Late ones arrived after their sample was published and
	// went to the first unpublished sample; Dropped ones fell before the
	// session's first sample or after its last.
	Markers int64 `json:"markers"`
	Late    int64 `json:"late_markers"`
	Dropped int64 `json:"dropped_markers"`
	// Stalls are suspected gaps the later time stamps disproved (samples
	// stamped when a stalled source sent them).
	Stalls int64 `json:"stalls"`
	// MaxResidual is the largest |time stamp − fitted time| seen, in
	// seconds: the jitter J of the dejitter's bound.
	MaxResidual float64 `json:"max_residual_s"`
	// Final is set when the last chunk published carries
	// neurostream.final=true.
	Final bool `json:"final"`
}

func newAssembler(cfg asmConfig, emit func(pipeline.Message, *wire.Chunk), evt func(Event)) *assembler {
	nch := len(cfg.channels)
	if cfg.stim {
		nch--
	}
	return &assembler{cfg: cfg, nch: nch, emit: emit, evt: evt, enc: wire.NewEncoder(memory.DefaultAllocator),
		fit: newClockFit(cfg.rate, cfg.halfLife), warnings: map[string]int{}}
}

// warn logs msg at most three times per kind, then counts silently.
func (a *assembler) warn(kind, msg string, args ...any) {
	a.warnings[kind]++
	if a.warnings[kind] <= 3 {
		a.cfg.logger.Warn(msg, append([]any{"session", a.session}, args...)...)
	}
}

// unixNS maps a time on this machine's LSL clock to Unix ns.
func (a *assembler) unixNS(t float64) int64 {
	now := a.cfg.now()
	return now.UnixNano() + int64(math.Round((t-a.cfg.local())*1e9))
}

// wall maps a time on the LSL clock to a time.Time comparable with now.
func (a *assembler) wall(t float64) time.Time {
	return a.cfg.now().Add(time.Duration((t - a.cfg.local()) * float64(time.Second)))
}

// samples takes in a pulled chunk: n samples of nch values each
// (sample-major), time stamps corrected onto this machine's LSL clock.
// recovered says the inlet reconnected before the first of them.
func (a *assembler) samples(vals []float32, ts []float64, recovered bool, arrival time.Time) {
	if a.final {
		return
	}
	for i, t := range ts {
		v := vals[i*a.nch : (i+1)*a.nch]
		if !a.started {
			a.start(t)
		} else if i == 0 && recovered {
			a.recovery(t, arrival)
		}
		a.sample(v, t, arrival)
	}
	a.checkHold(arrival)
}

func (a *assembler) start(t float64) {
	a.started = true
	a.startNS = a.unixNS(t)
	a.session = a.cfg.sessionID(a.startNS)
	a.stats.Session = a.session
	a.fit.reset(0, t)
	a.chunk = wire.Chunk{Session: a.session, SampleRate: a.cfg.rate, StartTimeNS: a.startNS, Channels: a.cfg.channels}
}

// sample takes in one sample stamped t.
func (a *assembler) sample(v []float32, t float64, arrival time.Time) {
	if len(a.hold) > 0 {
		a.hold = append(a.hold, held{slices.Clone(v), t, arrival})
		a.checkHold(arrival)
		return
	}
	var r float64
	if a.fit.samples > 0 {
		r = t - a.fit.at(a.next)
	}
	if r > a.cfg.gapThr {
		// Later than the line allows: samples may be missing, or a
		// stalled source sent a burst stamped on sending. Hold them
		// until the time stamps that follow tell which.
		a.hold = append(a.hold, held{slices.Clone(v), t, arrival})
		a.holdAt = a.cfg.now()
		return
	}
	a.take(v, t, arrival, r)
}

// take appends a sample at index a.next and updates the fit with it.
func (a *assembler) take(v []float32, t float64, arrival time.Time, r float64) {
	if math.Abs(r) <= a.cfg.gapThr {
		a.fit.update(a.next, t)
		a.stats.MaxResidual = max(a.stats.MaxResidual, math.Abs(r))
	}
	a.put(v, arrival)
}

// put appends a sample's values at index a.next.
func (a *assembler) put(v []float32, arrival time.Time) {
	n := a.next
	var b *block
	if k := len(a.blocks); k > 0 && !a.blocks[k-1].full && a.blocks[k-1].end == n {
		b = a.blocks[k-1]
	} else {
		b = &block{first: n, end: n, cols: make([][]float32, len(a.cfg.channels))}
		for c := range b.cols {
			b.cols[c] = make([]float32, 0, a.cfg.chunkLen)
		}
		a.blocks = append(a.blocks, b)
	}
	for c, x := range v {
		b.cols[c] = append(b.cols[c], x)
	}
	if a.cfg.stim {
		b.cols[a.nch] = append(b.cols[a.nch], 0)
	}
	b.end++
	b.lastArrival = arrival
	if b.end%a.cfg.chunkLen == 0 {
		b.full = true
	}
	a.next++
	a.stats.Samples++
}

// gap leaves m samples out before the next one.
func (a *assembler) gap(m int64) {
	if k := len(a.blocks); k > 0 {
		a.blocks[k-1].full = true
	}
	a.next += m
	a.stats.Gaps++
	a.stats.Missing += m
	a.warn("gap", "gap in the stream: samples missing", "before_sample", a.next, "missing", m)
}

// recovery handles the first sample after the inlet reconnected: the
// samples pushed while no connection existed are missing, as many as its
// time stamp says.
func (a *assembler) recovery(t float64, arrival time.Time) {
	a.decideHold(arrival, true)
	r := t - a.fit.at(a.next)
	m := int64(math.Round(r * a.cfg.rate))
	switch {
	case m >= 1:
		a.gap(m)
	case r < -a.cfg.gapThr:
		a.warn("rewind", "reconnected outlet's time stamps are earlier than the stream's: continuing without a gap, the dejitter starts again",
			"seconds", -r)
		a.fit.reset(a.next, t)
		a.fit.samples = 0
	}
}

// checkHold decides a suspected gap when the held samples allow it.
func (a *assembler) checkHold(now time.Time) {
	if len(a.hold) > 0 {
		a.decideHold(now, false)
	}
}

// decideHold settles a suspected gap: no gap when the newest held sample
// is back near the line (a stall); a gap of the held samples' median
// deviation when they span the confirmation time on their own time
// stamps, or when force or MaxHold says decide now.
func (a *assembler) decideHold(now time.Time, force bool) {
	h := a.hold
	if len(h) == 0 {
		return
	}
	dev := make([]float64, len(h))
	for k := range h {
		dev[k] = h[k].t - a.fit.at(a.next+int64(k))
	}
	last := dev[len(dev)-1]
	span := h[len(h)-1].t - h[0].t
	sort.Float64s(dev)
	med := dev[len(dev)/2]
	switch {
	case last <= a.cfg.gapThr/2:
		a.stats.Stalls++
		a.warn("stall", "samples arrived late and in a burst (stamped when sent): no gap", "samples", len(h))
	case span >= a.cfg.confirm || force || now.Sub(a.holdAt) >= a.cfg.maxHold:
		if m := int64(math.Round(med * a.cfg.rate)); m >= 1 && med > a.cfg.gapThr {
			a.gap(m)
		} else {
			a.stats.Stalls++
		}
	default:
		return
	}
	a.hold = nil
	for _, s := range h {
		a.take(s.vals, s.t, s.arrival, s.t-a.fit.at(a.next))
	}
}

// addMarker queues a marker for the stim channel and the events topic.
func (a *assembler) addMarker(m marker) {
	if a.final {
		return
	}
	m.seq = a.mseq
	a.mseq++
	i := sort.Search(len(a.markers), func(i int) bool { return a.markers[i].t > m.t })
	a.markers = slices.Insert(a.markers, i, m)
}

// due returns when release has something to do (the zero Time: nothing
// waits for a time).
func (a *assembler) due() time.Time {
	var d time.Time
	if len(a.hold) > 0 {
		d = a.holdAt.Add(a.cfg.maxHold)
	}
	if len(a.blocks) > 0 && a.blocks[0].full {
		if t := a.releaseAt(a.blocks[0]); d.IsZero() || t.Before(d) {
			d = t
		}
	}
	return d
}

// releaseAt is when a full block may be published: at once without a
// marker delay, else the delay after its last sample arrived. Arrival,
// not the sample's time stamp, so that a backlog (at start, after a
// stall of this process, from a source faster than real time) still
// gives the marker readers the delay to catch up.
func (a *assembler) releaseAt(b *block) time.Time {
	if a.cfg.delay < 0 {
		return time.Time{}
	}
	return b.lastArrival.Add(a.cfg.delay)
}

// release publishes every full block whose time has come.
func (a *assembler) release(now time.Time) error {
	if len(a.hold) > 0 && now.Sub(a.holdAt) >= a.cfg.maxHold {
		a.decideHold(now, true)
	}
	for len(a.blocks) > 0 {
		b := a.blocks[0]
		if !b.full || now.Before(a.releaseAt(b)) {
			return nil
		}
		if err := a.publish(b, false); err != nil {
			return err
		}
	}
	return nil
}

// finish publishes everything held, the last chunk marked final (an
// empty final chunk when no sample is left to carry the mark). It reports
// false only when the session never published a chunk.
func (a *assembler) finish() (bool, error) {
	if a.final {
		return a.stats.Final, nil
	}
	a.decideHold(a.cfg.now(), true)
	for len(a.blocks) > 0 {
		if err := a.publish(a.blocks[0], len(a.blocks) == 1); err != nil {
			return false, err
		}
	}
	if !a.stats.Final && a.stats.Chunks > 0 {
		// No sample left to carry the mark: the wire's empty final chunk.
		if err := a.publishEmptyFinal(); err != nil {
			return false, err
		}
	}
	a.final = true
	for range a.markers {
		a.stats.Dropped++
	}
	if len(a.markers) > 0 {
		a.warn("dropped", "markers after the session's last sample dropped", "markers", len(a.markers))
	}
	a.markers = nil
	return a.stats.Final, nil
}

// publishEmptyFinal publishes a chunk with no rows that only marks the
// session's end (docs/wire-format.md, "Session end").
func (a *assembler) publishEmptyFinal() error {
	c := &a.chunk
	cols := make([][]float32, len(c.Channels))
	for i := range cols {
		cols[i] = []float32{}
	}
	c.FirstSample, c.Seq, c.Data, c.Final = a.published, a.seq, cols, true
	v, err := a.enc.Encode(nil, c)
	if err != nil {
		return fmt.Errorf("session %s chunk %d: encode: %w", a.session, a.seq, err)
	}
	a.emit(pipeline.Message{Key: a.session, Value: v, Origin: fmt.Sprintf("lsl session %s chunk %d (end)", a.session, a.seq), Time: a.cfg.now()}, c)
	a.seq++
	a.stats.Chunks++
	a.stats.Final = true
	return nil
}

// pending reports whether unpublished samples are held.
func (a *assembler) pending() bool { return len(a.blocks) > 0 || len(a.hold) > 0 }

// publish places the markers that fall in b (or before it, late), then
// encodes and emits b as a chunk and drops it.
func (a *assembler) publish(b *block, final bool) error {
	a.place(b)
	c := &a.chunk
	c.FirstSample, c.Seq, c.Data, c.Final = b.first, a.seq, b.cols, final
	v, err := a.enc.Encode(nil, c)
	if err != nil {
		return fmt.Errorf("session %s chunk %d: encode: %w", a.session, a.seq, err)
	}
	a.emit(pipeline.Message{Key: a.session, Value: v, Origin: fmt.Sprintf("lsl session %s chunk %d", a.session, a.seq), Time: a.cfg.now()}, c)
	a.seq++
	a.stats.Chunks++
	a.stats.Final = final
	a.published = b.end
	a.blocks = a.blocks[1:]
	return nil
}

// place writes the markers whose sample is before b.end into b's stim
// column and sends them as events. A marker whose sample was published
// already (it arrived later than the marker delay) goes to b's first
// sample: a trial window then opens late, rather than never.
func (a *assembler) place(b *block) {
	k := 0
	for ; k < len(a.markers); k++ {
		m := a.markers[k]
		idx := a.fit.index(m.t)
		s := int64(math.Round(idx))
		if s >= b.end {
			break
		}
		if s < 0 {
			a.stats.Dropped++
			a.warn("early", "marker before the session's first sample dropped", "marker", m.desc, "seconds_before", -idx/a.cfg.rate)
			continue
		}
		a.stats.Markers++
		a.evt(Event{Session: a.session, Onset: idx / a.cfg.rate, Description: m.desc, Sample: s})
		if !a.cfg.stim || m.code <= 0 {
			continue
		}
		at := s
		switch {
		case s < b.first && s >= a.published:
			// In a gap: its sample was never received.
			a.stats.Late++
			at = b.first
			a.warn("ingap", "marker falls in a gap of the stream: written at the first sample after it", "marker", m.desc, "sample", s, "written_at", at)
		case s < b.first:
			a.stats.Late++
			at = b.first
			a.warn("late", "marker arrived after its sample was published: written at the first unpublished sample (raise the marker delay)",
				"marker", m.desc, "sample", s, "written_at", at, "arrived_after_its_time", m.arrival.Sub(a.wall(m.t)))
		}
		b.cols[a.nch][at-b.first] = float32(m.code)
	}
	a.markers = a.markers[k:]
}
