package view

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/apache/arrow/go/v17/arrow"

	"github.com/neurostream/neurostream/internal/resultcols"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// point is one window's entry in a bounded series. upd is the hub's update
// counter when the point was last written, so a page that saw updates up
// to u is sent the points with upd > u.
type point[T any] struct {
	win int64
	t   float64 // window start time, unix seconds
	upd int64
	v   T
}

// series keeps the last max points of one session's result, in window
// order. A result for the window of the last point replaces it (a result
// split into parts, or re-sent after a restart); one for an older window
// is dropped: the series shows each window once.
type series[T any] struct {
	max int
	pts []point[T]
	// trimmed is the largest upd of a point dropped for room: a page
	// that has not seen it needs the whole series again.
	trimmed int64
}

// upsert adds or replaces the point of window win and returns it, or nil
// for a window older than the last point.
func (s *series[T]) upsert(win int64, t float64, upd int64) *point[T] {
	if n := len(s.pts); n > 0 {
		last := &s.pts[n-1]
		switch {
		case win == last.win:
			last.upd = upd
			return last
		case win < last.win:
			return nil
		}
	}
	if len(s.pts) >= 2*s.max { // amortized: copy once per max points
		drop := len(s.pts) - s.max + 1
		for _, p := range s.pts[:drop] {
			s.trimmed = max(s.trimmed, p.upd)
		}
		s.pts = append(s.pts[:0], s.pts[drop:]...)
	}
	s.pts = append(s.pts, point[T]{win: win, t: t, upd: upd})
	return &s.pts[len(s.pts)-1]
}

// since returns the points a page that has seen updates up to u lacks,
// and whether they are the whole series (the page must start over).
func (s *series[T]) since(u int64) (pts []point[T], full bool) {
	first := max(0, len(s.pts)-s.max)
	if u < s.trimmed || u == 0 {
		return s.pts[first:], true
	}
	i := len(s.pts)
	for i > first && s.pts[i-1].upd > u {
		i--
	}
	return s.pts[i:], false
}

// event is a finalised seizure event.
type event struct {
	Onset       float64 `json:"onset"`  // seconds from the session's sample 0
	Offset      float64 `json:"offset"` // seconds
	OnsetTime   float64 `json:"onset_time"`
	OffsetTime  float64 `json:"offset_time"`
	Confidence  num     `json:"confidence"`
	onsetSample int64
}

type seizurePoint struct {
	p, smoothed float64
	ictal       bool
}

type ssvepPoint struct {
	decision         int64
	frequency, score float64
}

type ssvepLatest struct {
	Window      int64     `json:"window"`
	Time        float64   `json:"t"`
	Method      string    `json:"method"`
	Decision    int64     `json:"decision"`
	Frequency   num       `json:"frequency"`
	Score       num       `json:"score"`
	Margin      num       `json:"margin"`
	Scores      []num     `json:"scores"`
	Frequencies []float64 `json:"frequencies"`
}

// Bounds on what one session keeps.
const (
	maxEvents   = 256
	maxAlarms   = 256
	rateWindows = 32 // arrivals kept to measure a session's window rate
)

// session is what the view knows of one session; the hub's lock guards
// it.
type session struct {
	id  string
	upd int64 // last change of anything shown in the session list

	// Health.
	windows     int64 // distinct windows seen
	lastWindow  int64
	lastTimeNS  int64
	arrival     time.Time
	arrivals    []time.Time // of the last rateWindows new windows
	lag         float64     // arrival of the latest window − its start time, s
	behind      int64       // Kafka records behind on its partition; −1 unknown
	deadLetters int64
	ended       string
	sampleRate  float64
	rows        map[arrowout.Kind]int64

	// psd: the latest window, channel by channel.
	psdUpd    int64
	psdWindow int64
	psdTime   float64
	psdStart  float64
	psdStep   float64
	psdUnit   string
	channels  []string
	psd       [][]float64 // by channel index; nil where the window lacks it
	dominant  float64     // NaN unknown
	spec      series[[]float32]
	specStart float64
	specStep  float64

	// bandpower: relative power, v[b][c] by band and channel index.
	bands      []string
	bpChannels []string
	bp         series[[][]float32]

	// coherence of the latest window: per "method/band", value by pair.
	cohUpd    int64
	cohWindow int64
	cohTime   float64
	cohLabels []string
	cohKeys   []string
	coh       map[string]map[[2]int]float64

	// seizure
	seizure   series[seizurePoint]
	events    []event
	alarms    []float64
	lastState string
	szUpd     int64 // events and alarms

	// ssvep
	ssvep     series[ssvepPoint]
	ssvepLast *ssvepLatest
	ssvepUpd  int64

	// tokens: per 0.5 s frame (the point's window is the frame index),
	// the token of each channel (by index into tokChannels; −1 where the
	// frame lacks the channel).
	tok         series[[]int32]
	tokChannels []string
	tokMax      int32 // largest token id seen
}

func newSession(id string, history, specHistory, tokHistory int) *session {
	return &session{
		id: id, lastWindow: -1, psdWindow: -1, cohWindow: -1, behind: -1,
		lag: math.NaN(), dominant: math.NaN(),
		rows:    map[arrowout.Kind]int64{},
		spec:    series[[]float32]{max: specHistory},
		bp:      series[[][]float32]{max: history},
		seizure: series[seizurePoint]{max: history},
		ssvep:   series[ssvepPoint]{max: history},
		tok:     series[[]int32]{max: tokHistory},
		coh:     map[string]map[[2]int]float64{},
	}
}

// index returns the position of s in *list, appending it when new.
func index(list *[]string, s string) int {
	if i := slices.Index(*list, s); i >= 0 {
		return i
	}
	*list = append(*list, s)
	return len(*list) - 1
}

// seen records a row of window win (start time tNS) arriving at now.
func (s *session) seen(win, tNS int64, now time.Time, behind int64, upd int64) {
	s.upd = upd
	s.arrival = now
	if behind >= 0 {
		s.behind = behind
	}
	if win <= s.lastWindow {
		return
	}
	s.windows++
	s.lastWindow, s.lastTimeNS = win, tNS
	s.lag = now.Sub(time.Unix(0, tNS)).Seconds()
	if len(s.arrivals) == rateWindows {
		s.arrivals = append(s.arrivals[:0], s.arrivals[1:]...)
	}
	s.arrivals = append(s.arrivals, now)
}

// rate is the session's window rate in windows per second over its last
// arrivals (NaN with fewer than two).
func (s *session) rate() float64 {
	n := len(s.arrivals)
	if n < 2 {
		return math.NaN()
	}
	d := s.arrivals[n-1].Sub(s.arrivals[0]).Seconds()
	if d <= 0 {
		return math.NaN()
	}
	return float64(n-1) / d
}

// secs converts unix ns to unix seconds.
func secs(ns int64) float64 { return float64(ns) / 1e9 }

// applyPSD takes the psd rows of rec.
func (h *Hub) applyPSD(c *resultcols.Columns, n int, now time.Time, behind, upd int64) {
	sess, win, start := c.Strings("session"), c.Ints("window"), c.Ints("start_time")
	ch, unit := c.Strings("channel"), c.Strings("unit")
	fs, step, psd := c.Floats("freq_start"), c.Floats("freq_step"), c.FloatLists("psd")
	if c.Err() != nil {
		return
	}
	touched := map[*session]bool{}
	for i := range n {
		s := h.session(sess(i))
		w, _ := win(i)
		t, _ := start(i)
		s.seen(w, t, now, behind, upd)
		if w < s.psdWindow {
			continue
		}
		if w > s.psdWindow {
			s.psdWindow, s.psdTime = w, secs(t)
			for k := range s.psd {
				s.psd[k] = nil
			}
		}
		s.psdStart, s.psdStep, s.psdUnit = fs(i), step(i), unit(i)
		k := index(&s.channels, ch(i))
		for len(s.psd) < len(s.channels) {
			s.psd = append(s.psd, nil)
		}
		s.psd[k] = append(s.psd[k][:0], psd(i)...)
		s.psdUpd = upd
		touched[s] = true
	}
	for s := range touched {
		mean := meanSpectrum(s.psd)
		if p := s.spec.upsert(s.psdWindow, s.psdTime, upd); p != nil {
			if s.specStart != s.psdStart || s.specStep != s.psdStep {
				// A new frequency grid: the old columns do not line up.
				s.spec.pts = s.spec.pts[len(s.spec.pts)-1:]
				s.spec.trimmed = upd
				s.specStart, s.specStep = s.psdStart, s.psdStep
			}
			p.v = p.v[:0]
			for _, v := range mean {
				p.v = append(p.v, float32(math.Log10(v)))
			}
		}
		if f, ok := DominantFrequency(s.specStart, s.specStep, s.recentSpectrum()); ok {
			s.dominant = f
		}
	}
}

// DominantWindows is how many windows the dominant frequency averages
// over: one window's spectrum of a narrow-band rhythm peaks a bin off as
// often as not (its power fluctuates), the average of a few does not.
const DominantWindows = 10

// recentSpectrum returns the mean over the last DominantWindows windows
// of the channel-mean PSD.
func (s *session) recentSpectrum() []float64 {
	pts := s.spec.pts[max(0, len(s.spec.pts)-DominantWindows):]
	if len(pts) == 0 {
		return nil
	}
	n := len(pts[0].v)
	for _, p := range pts {
		n = min(n, len(p.v)) // one grid (applyPSD), but be safe
	}
	sum := make([]float64, n)
	for _, p := range pts {
		for k := range sum {
			sum[k] += math.Pow(10, float64(p.v[k]))
		}
	}
	for k := range sum {
		sum[k] /= float64(len(pts))
	}
	return sum
}

// meanSpectrum returns the mean over the channels present of their
// spectra, up to the shortest one.
func meanSpectrum(psd [][]float64) []float64 {
	var mean []float64
	n := 0
	for _, p := range psd {
		if p == nil {
			continue
		}
		if mean == nil || len(p) < len(mean) {
			if mean == nil {
				mean = make([]float64, len(p))
			} else {
				mean = mean[:len(p)]
			}
		}
		for k := range mean {
			mean[k] += p[k]
		}
		n++
	}
	for k := range mean {
		mean[k] /= float64(n)
	}
	return mean
}

func (h *Hub) applyBandPower(c *resultcols.Columns, n int, now time.Time, behind, upd int64) {
	sess, win, start := c.Strings("session"), c.Ints("window"), c.Ints("start_time")
	ch, band, rel := c.Strings("channel"), c.Strings("band"), c.Floats("relative")
	if c.Err() != nil {
		return
	}
	for i := range n {
		s := h.session(sess(i))
		w, _ := win(i)
		t, _ := start(i)
		s.seen(w, t, now, behind, upd)
		p := s.bp.upsert(w, secs(t), upd)
		if p == nil {
			continue
		}
		b, k := index(&s.bands, band(i)), index(&s.bpChannels, ch(i))
		for len(p.v) <= b {
			p.v = append(p.v, nil)
		}
		for len(p.v[b]) <= k {
			p.v[b] = append(p.v[b], float32(math.NaN()))
		}
		p.v[b][k] = float32(rel(i))
	}
}

func (h *Hub) applyCoherence(c *resultcols.Columns, n int, now time.Time, behind, upd int64) {
	sess, win, start := c.Strings("session"), c.Ints("window"), c.Ints("start_time")
	seed, target := c.Strings("seed"), c.Strings("target")
	method, band, value := c.Strings("method"), c.Strings("band"), c.Floats("value")
	if c.Err() != nil {
		return
	}
	for i := range n {
		s := h.session(sess(i))
		w, _ := win(i)
		t, _ := start(i)
		s.seen(w, t, now, behind, upd)
		if w < s.cohWindow {
			continue
		}
		if w > s.cohWindow {
			s.cohWindow, s.cohTime = w, secs(t)
			clear(s.coh)
		}
		key := method(i) + "/" + band(i)
		m := s.coh[key]
		if m == nil {
			m = map[[2]int]float64{}
			s.coh[key] = m
			index(&s.cohKeys, key)
		}
		a, b := index(&s.cohLabels, seed(i)), index(&s.cohLabels, target(i))
		m[[2]int{a, b}] = value(i)
		s.cohUpd = upd
	}
}

func (h *Hub) applySeizure(c *resultcols.Columns, n int, now time.Time, behind, upd int64) {
	sess, win, start := c.Strings("session"), c.Ints("window"), c.Ints("start_time")
	rowType, prob, smoothed, state := c.Strings("row_type"), c.Floats("probability"), c.Floats("smoothed"), c.Strings("state")
	onset, offset, conf := c.Floats("onset_seconds"), c.Floats("offset_seconds"), c.Floats("confidence")
	onsetSample, onsetTime, offsetTime := c.Ints("onset_sample"), c.Ints("onset_time"), c.Ints("offset_time")
	if c.Err() != nil {
		return
	}
	for i := range n {
		s := h.session(sess(i))
		w, _ := win(i)
		t, _ := start(i)
		switch rowType(i) {
		case "window":
			s.seen(w, t, now, behind, upd)
			p := s.seizure.upsert(w, secs(t), upd)
			if p == nil {
				continue
			}
			st := state(i)
			p.v = seizurePoint{p: prob(i), smoothed: smoothed(i), ictal: st == "ictal"}
			if st == "ictal" && s.lastState != "ictal" && len(s.alarms) < maxAlarms {
				s.alarms = append(s.alarms, secs(t))
				s.szUpd = upd
			}
			s.lastState = st
		case "event":
			// Keyed by the window that finalised it, which has its own
			// window row, or at a session's end by the window that would
			// have come next.
			s.upd, s.arrival = upd, now
			os, _ := onsetSample(i)
			if slices.ContainsFunc(s.events, func(e event) bool { return e.onsetSample == os }) {
				continue // re-sent after a restart
			}
			on, _ := onsetTime(i)
			off, _ := offsetTime(i)
			if len(s.events) == maxEvents {
				s.events = append(s.events[:0], s.events[1:]...)
			}
			s.events = append(s.events, event{Onset: onset(i), Offset: offset(i), OnsetTime: secs(on), OffsetTime: secs(off),
				Confidence: num(conf(i)), onsetSample: os})
			s.szUpd = upd
		default: // end
			s.upd, s.arrival = upd, now
		}
	}
}

func (h *Hub) applySSVEP(c *resultcols.Columns, n int, now time.Time, behind, upd int64) {
	sess, win, start := c.Strings("session"), c.Ints("window"), c.Ints("start_time")
	method, decision := c.Strings("method"), c.Ints("decision")
	freq, score, margin := c.Floats("frequency"), c.Floats("score"), c.Floats("margin")
	scores, freqs := c.FloatLists("scores"), c.FloatLists("frequencies")
	if c.Err() != nil {
		return
	}
	for i := range n {
		s := h.session(sess(i))
		w, _ := win(i)
		t, _ := start(i)
		s.seen(w, t, now, behind, upd)
		p := s.ssvep.upsert(w, secs(t), upd)
		if p == nil {
			continue
		}
		d, _ := decision(i)
		p.v = ssvepPoint{decision: d, frequency: freq(i), score: score(i)}
		l := &ssvepLatest{Window: w, Time: secs(t), Method: method(i), Decision: d,
			Frequency: num(freq(i)), Score: num(score(i)), Margin: num(margin(i)),
			Frequencies: slices.Clone(freqs(i))}
		for _, v := range scores(i) {
			l.Scores = append(l.Scores, num(v))
		}
		s.ssvepLast, s.ssvepUpd = l, upd
	}
}

func (h *Hub) applySessionEnd(c *resultcols.Columns, n int, now time.Time, upd int64) {
	sess, reason, rate := c.Strings("session"), c.Strings("reason"), c.Floats("sample_rate")
	if c.Err() != nil {
		return
	}
	for i := range n {
		s := h.session(sess(i))
		s.ended, s.sampleRate, s.upd, s.arrival = reason(i), rate(i), upd, now
	}
}

// Token frames (docs/schemas.md, tokens): frame j covers samples
// [tokenHop·j, tokenHop·j + 2·tokenHop) of the session's 200 Hz clock.
const (
	tokenRate = 200
	tokenHop  = 100
)

// applyTokens takes the tokens rows of rec. A window's rows come channel
// by channel, each with its frames (window 0 writes several), so they are
// put in frame order first; a frame older than the strip's last was sent
// again (a restart) and is dropped.
func (h *Hub) applyTokens(c *resultcols.Columns, n int, now time.Time, behind, upd int64) {
	sess, win, start, startT := c.Strings("session"), c.Ints("window"), c.Ints("start_sample"), c.Ints("start_time")
	ch, frame, token := c.Strings("channel"), c.Ints("frame"), c.Ints("token")
	if c.Err() != nil {
		return
	}
	type cell struct {
		frame int64
		t     float64
		ch    int
		token int32
	}
	cells := map[*session][]cell{}
	for i := range n {
		s := h.session(sess(i))
		w, _ := win(i)
		t, _ := startT(i)
		ss, _ := start(i)
		s.seen(w, t, now, behind, upd)
		j, _ := frame(i)
		id, _ := token(i)
		// The frame's start on the session's clock, from its window's.
		ft := secs(t) + float64(tokenHop*j-ss)/tokenRate
		cells[s] = append(cells[s], cell{frame: j, t: ft, ch: index(&s.tokChannels, ch(i)), token: int32(id)})
	}
	for s, cs := range cells {
		slices.SortStableFunc(cs, func(a, b cell) int { return cmp.Compare(a.frame, b.frame) })
		for _, x := range cs {
			p := s.tok.upsert(x.frame, x.t, upd)
			if p == nil {
				continue
			}
			for len(p.v) <= x.ch {
				p.v = append(p.v, -1)
			}
			p.v[x.ch] = x.token
			s.tokMax = max(s.tokMax, x.token)
		}
	}
}

// applyOther counts the rows of kinds the page does not draw (xcorr) as
// signs of life.
func (h *Hub) applyOther(c *resultcols.Columns, n int, now time.Time, behind, upd int64) {
	sess, win, start := c.Strings("session"), c.Ints("window"), c.Ints("start_time")
	if c.Err() != nil {
		return
	}
	for i := range n {
		w, _ := win(i)
		t, _ := start(i)
		h.session(sess(i)).seen(w, t, now, behind, upd)
	}
}

// apply takes one result record into the state. The caller holds h.mu.
func (h *Hub) apply(kind arrowout.Kind, rec arrow.Record, now time.Time, behind int64) error {
	h.upd++
	upd := h.upd
	c := resultcols.New(rec, string(kind))
	n := int(rec.NumRows())
	switch kind {
	case arrowout.KindPSD:
		h.applyPSD(c, n, now, behind, upd)
	case arrowout.KindBandPower:
		h.applyBandPower(c, n, now, behind, upd)
	case arrowout.KindCoherence:
		h.applyCoherence(c, n, now, behind, upd)
	case arrowout.KindSeizure:
		h.applySeizure(c, n, now, behind, upd)
	case arrowout.KindSSVEP:
		h.applySSVEP(c, n, now, behind, upd)
	case arrowout.KindTokens:
		h.applyTokens(c, n, now, behind, upd)
	case arrowout.KindSessionEnd:
		h.applySessionEnd(c, n, now, upd)
	default:
		h.applyOther(c, n, now, behind, upd)
	}
	if c.Err() == nil {
		sess := c.Strings("session")
		for i := range n {
			h.sessions[sess(i)].rows[kind]++
		}
	}
	return c.Err()
}
