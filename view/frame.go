package view

import (
	"math"
	"slices"
	"time"
)

// frame is one update of a page, sent as a Server-Sent Event: the
// sessions whose list entry changed since the page's last update, and
// what changed of the session the page shows in detail.
type frame struct {
	Time   float64 `json:"time"`
	Source string  `json:"source"`
	// Full: Sessions is the whole list (the first update, or after
	// sessions were forgotten); otherwise only the changed entries.
	Full     bool      `json:"full,omitempty"`
	Sessions []summary `json:"sessions,omitempty"`
	Count    int       `json:"count"`
	// Dropped results (the hub's input buffer was full), in total.
	Dropped int64 `json:"dropped"`
	// Skipped updates of this page: it was still sending one when the
	// next were due, so they were merged into a later one.
	Skipped int64 `json:"skipped"`
	// Bad records that could not be shown.
	Bad    int64   `json:"bad"`
	Detail *detail `json:"detail,omitempty"`
}

type summary struct {
	ID          string           `json:"id"`
	Windows     int64            `json:"windows"`
	LastWindow  int64            `json:"last_window"`
	LastTime    *float64         `json:"last_time"`
	Arrival     float64          `json:"arrival"`
	Rate        num              `json:"rate"`
	Lag         num              `json:"lag"`
	Behind      int64            `json:"behind"`
	DeadLetters int64            `json:"dead_letters"`
	Ended       string           `json:"ended,omitempty"`
	SampleRate  num              `json:"sample_rate"`
	Dominant    num              `json:"dominant"`
	Resolution  num              `json:"resolution"`
	Seizure     *seizureBrief    `json:"seizure,omitempty"`
	SSVEP       *ssvepBrief      `json:"ssvep,omitempty"`
	Rows        map[string]int64 `json:"rows"`
}

type seizureBrief struct {
	Probability num    `json:"p"`
	State       string `json:"state"`
	Events      int    `json:"events"`
}

type ssvepBrief struct {
	Decision  int64 `json:"decision"`
	Frequency num   `json:"frequency"`
	Score     num   `json:"score"`
}

type detail struct {
	ID      string      `json:"id"`
	PSD     *psdOut     `json:"psd,omitempty"`
	Spec    *specOut    `json:"spec,omitempty"`
	BP      *bpOut      `json:"bp,omitempty"`
	Coh     *cohOut     `json:"coh,omitempty"`
	Seizure *seizureOut `json:"seizure,omitempty"`
	SSVEP   *ssvepOut   `json:"ssvep,omitempty"`
	Tokens  *tokensOut  `json:"tokens,omitempty"`
}

type psdOut struct {
	Window   int64    `json:"window"`
	Time     float64  `json:"t"`
	Start    float64  `json:"start"`
	Step     float64  `json:"step"`
	Unit     string   `json:"unit"`
	Channels []string `json:"channels"`
	Values   [][]num  `json:"values"` // by channel; null where the window lacks it
	Dominant num      `json:"dominant"`
}

// Series updates: Full means the page starts the series over with these
// points; otherwise a point whose window equals the page's last replaces
// it and later ones are appended.
type specOut struct {
	Full  bool      `json:"full"`
	Start float64   `json:"start"`
	Step  float64   `json:"step"`
	W     []int64   `json:"w"`
	T     []float64 `json:"t"`
	V     [][]num32 `json:"v"` // log10 of the channel-mean PSD
}

type bpOut struct {
	Full     bool        `json:"full"`
	Bands    []string    `json:"bands"`
	Channels []string    `json:"channels"`
	W        []int64     `json:"w"`
	T        []float64   `json:"t"`
	V        [][][]num32 `json:"v"` // point, band, channel: relative power
}

type cohOut struct {
	Window int64              `json:"window"`
	Time   float64            `json:"t"`
	Labels []string           `json:"labels"`
	Keys   []string           `json:"keys"` // "method/band"
	Values map[string][][]num `json:"values"`
}

type seizureOut struct {
	Full     bool      `json:"full"`
	W        []int64   `json:"w"`
	T        []float64 `json:"t"`
	P        []num     `json:"p"`
	Smoothed []num     `json:"s"`
	Ictal    []int8    `json:"ictal"`
	Events   []event   `json:"events"`
	Alarms   []float64 `json:"alarms"`
	State    string    `json:"state"`
}

type ssvepOut struct {
	Full      bool         `json:"full"`
	W         []int64      `json:"w"`
	T         []float64    `json:"t"`
	Frequency []num        `json:"f"`
	Score     []num        `json:"score"`
	Decision  []int64      `json:"d"`
	Latest    *ssvepLatest `json:"latest,omitempty"`
}

// tokensOut is the token strip: per frame (W is the frame index, T its
// start time), each channel's token id, −1 where the frame lacks the
// channel.
type tokensOut struct {
	Full     bool      `json:"full"`
	Keep     int       `json:"keep"` // frames the page keeps
	Channels []string  `json:"channels"`
	Max      int32     `json:"max"` // largest id seen: the colour scale
	W        []int64   `json:"w"`
	T        []float64 `json:"t"`
	V        [][]int32 `json:"v"`
}

// client is one page's position in the state.
type client struct {
	selected string
	upd      int64 // updates seen
	detail   bool  // the selected session's detail was sent once
	started  bool
	dropped  int64 // as last sent
	skipped  int64
	bad      int64
	lastSent time.Time
}

// frame returns the page's next update, or nil when nothing changed.
// Everything is copied: the frame is marshalled after the lock is gone.
func (h *Hub) frame(c *client) *frame {
	h.mu.RLock()
	defer h.mu.RUnlock()
	f := &frame{Time: float64(time.Now().UnixNano()) / 1e9, Source: h.cfg.Source, Count: len(h.sessions),
		Dropped: h.dropped.Load(), Skipped: c.skipped, Bad: h.bad.Load()}
	u := c.upd
	f.Full = !c.started || h.evicted > u
	ids := make([]string, 0, len(h.sessions))
	for id, s := range h.sessions {
		if f.Full || s.upd > u {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		f.Sessions = append(f.Sessions, h.sessions[id].summary())
	}
	if s := h.sessions[c.selected]; s != nil {
		du := u
		if !c.detail {
			du = 0
		}
		f.Detail = s.detail(du)
		c.detail = true
	}
	changed := f.Full || len(f.Sessions) > 0 || f.Detail != nil || f.Dropped != c.dropped || f.Skipped != c.skipped || f.Bad != c.bad
	c.started, c.upd, c.dropped, c.bad = true, h.upd, f.Dropped, f.Bad
	if !changed {
		return nil
	}
	return f
}

func (s *session) summary() summary {
	out := summary{
		ID: s.id, Windows: s.windows, LastWindow: s.lastWindow,
		Arrival: float64(s.arrival.UnixNano()) / 1e9, Rate: num(s.rate()), Lag: num(s.lag), Behind: s.behind,
		DeadLetters: s.deadLetters, Ended: s.ended, SampleRate: num(s.sampleRate),
		Dominant: num(s.dominant), Resolution: num(s.psdStep), Rows: map[string]int64{},
	}
	if s.lastWindow >= 0 {
		t := secs(s.lastTimeNS)
		out.LastTime = &t
	}
	if s.sampleRate == 0 {
		out.SampleRate = num(math.NaN())
	}
	for k, n := range s.rows {
		out.Rows[string(k)] = n
	}
	if n := len(s.seizure.pts); n > 0 || len(s.events) > 0 {
		b := &seizureBrief{Probability: num(math.NaN()), State: s.lastState, Events: len(s.events)}
		if n > 0 {
			b.Probability = num(s.seizure.pts[n-1].v.p)
		}
		out.Seizure = b
	}
	if l := s.ssvepLast; l != nil {
		out.SSVEP = &ssvepBrief{Decision: l.Decision, Frequency: l.Frequency, Score: l.Score}
	}
	return out
}

// detail returns what changed of s after update u (everything for u = 0),
// or nil when nothing did.
func (s *session) detail(u int64) *detail {
	d := &detail{ID: s.id, PSD: s.psdDetail(u), Spec: s.specDetail(u), BP: s.bpDetail(u), Coh: s.cohDetail(u),
		Seizure: s.seizureDetail(u), SSVEP: s.ssvepDetail(u), Tokens: s.tokensDetail(u)}
	if d.PSD == nil && d.Spec == nil && d.BP == nil && d.Coh == nil && d.Seizure == nil && d.SSVEP == nil && d.Tokens == nil {
		return nil
	}
	return d
}

func (s *session) psdDetail(u int64) *psdOut {
	if s.psdUpd <= u || s.psdWindow < 0 {
		return nil
	}
	p := &psdOut{Window: s.psdWindow, Time: s.psdTime, Start: s.psdStart, Step: s.psdStep, Unit: s.psdUnit,
		Channels: slices.Clone(s.channels), Values: make([][]num, len(s.channels)), Dominant: num(s.dominant)}
	for i, v := range s.psd {
		if v != nil {
			p.Values[i] = nums(v)
		}
	}
	return p
}

func (s *session) specDetail(u int64) *specOut {
	pts, full := s.spec.since(u)
	if len(pts) == 0 {
		return nil
	}
	o := &specOut{Full: full, Start: s.specStart, Step: s.specStep}
	for _, p := range pts {
		o.W, o.T = append(o.W, p.win), append(o.T, p.t)
		v := make([]num32, len(p.v))
		for i, x := range p.v {
			v[i] = num32(x)
		}
		o.V = append(o.V, v)
	}
	return o
}

func (s *session) bpDetail(u int64) *bpOut {
	pts, full := s.bp.since(u)
	if len(pts) == 0 {
		return nil
	}
	o := &bpOut{Full: full, Bands: slices.Clone(s.bands), Channels: slices.Clone(s.bpChannels)}
	for _, p := range pts {
		o.W, o.T = append(o.W, p.win), append(o.T, p.t)
		v := make([][]num32, len(s.bands))
		for b := range v {
			v[b] = make([]num32, len(s.bpChannels))
			for c := range v[b] {
				v[b][c] = num32(math.NaN())
				if b < len(p.v) && c < len(p.v[b]) {
					v[b][c] = num32(p.v[b][c])
				}
			}
		}
		o.V = append(o.V, v)
	}
	return o
}

func (s *session) cohDetail(u int64) *cohOut {
	if s.cohUpd <= u || s.cohWindow < 0 {
		return nil
	}
	n := len(s.cohLabels)
	o := &cohOut{Window: s.cohWindow, Time: s.cohTime, Labels: slices.Clone(s.cohLabels), Keys: slices.Clone(s.cohKeys),
		Values: map[string][][]num{}}
	for _, key := range s.cohKeys {
		m := make([][]num, n)
		for i := range m {
			m[i] = make([]num, n)
			for j := range m[i] {
				m[i][j] = num(math.NaN())
			}
		}
		for ij, v := range s.coh[key] {
			m[ij[0]][ij[1]] = num(v)
			// Every method but imcoh is symmetric in the pair;
			// imcoh changes sign (docs/schemas.md).
			if len(key) > 6 && key[:6] == "imcoh/" {
				v = -v
			}
			m[ij[1]][ij[0]] = num(v)
		}
		o.Values[key] = m
	}
	return o
}

func (s *session) seizureDetail(u int64) *seizureOut {
	pts, full := s.seizure.since(u)
	if len(pts) == 0 && s.szUpd <= u {
		return nil
	}
	o := &seizureOut{Full: full, Events: slices.Clone(s.events), Alarms: slices.Clone(s.alarms), State: s.lastState}
	if o.Events == nil {
		o.Events = []event{}
	}
	if o.Alarms == nil {
		o.Alarms = []float64{}
	}
	for _, p := range pts {
		o.W, o.T = append(o.W, p.win), append(o.T, p.t)
		o.P, o.Smoothed = append(o.P, num(p.v.p)), append(o.Smoothed, num(p.v.smoothed))
		var ictal int8
		if p.v.ictal {
			ictal = 1
		}
		o.Ictal = append(o.Ictal, ictal)
	}
	return o
}

func (s *session) ssvepDetail(u int64) *ssvepOut {
	pts, full := s.ssvep.since(u)
	if len(pts) == 0 {
		return nil
	}
	o := &ssvepOut{Full: full, Latest: s.ssvepLast}
	for _, p := range pts {
		o.W, o.T = append(o.W, p.win), append(o.T, p.t)
		o.Frequency, o.Score = append(o.Frequency, num(p.v.frequency)), append(o.Score, num(p.v.score))
		o.Decision = append(o.Decision, p.v.decision)
	}
	return o
}

func (s *session) tokensDetail(u int64) *tokensOut {
	pts, full := s.tok.since(u)
	if len(pts) == 0 {
		return nil
	}
	o := &tokensOut{Full: full, Keep: s.tok.max, Channels: slices.Clone(s.tokChannels), Max: s.tokMax}
	for _, p := range pts {
		o.W, o.T, o.V = append(o.W, p.win), append(o.T, p.t), append(o.V, slices.Clone(p.v))
	}
	return o
}

func nums(v []float64) []num {
	out := make([]num, len(v))
	for i, x := range v {
		out[i] = num(x)
	}
	return out
}
