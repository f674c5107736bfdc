package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/neurostream/neurostream/internal/resultcols"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/sinks"
)

// resultFile names a result part as `run` writes them: KIND-NNNNNN.arrows
// or .parquet, with .partial while unfinished (docs/schemas.md).
var resultFile = regexp.MustCompile(`^(.+)-([0-9]{6,})(\.arrows|\.parquet)(\.partial)?$`)

// session is what a report gathers of one session.
type session struct {
	id         string
	sampleRate float64 // from session_end; 0 unknown
	samples    int64
	t0         int64 // start_time of window 0 (ns); valid when hasT0
	hasT0      bool

	// psd: the sum over windows of each channel's PSD, and per window
	// the channel mean (the spectrogram).
	psdStart, psdStep float64
	psdUnit           string
	channels          []string
	psdSum            [][]float64
	psdN              []int
	spec              []specCol

	// bandpower: per band, per window, the mean relative power over
	// channels.
	bands []string
	bp    map[string][]tpoint

	// coherence: per band, sum and count by (seed, target) of the method
	// shown (coh when written, else the first).
	cohMethod string
	cohBands  []string
	cohLabels []string
	coh       map[string]map[[2]int]*meanAcc

	// seizure
	sz     []szPoint
	events []szEvent

	// ssvep
	ssvep     []ssvepPoint
	freqLists [][]float64
}

type specCol struct {
	window      int64
	startSample int64
	startNS     int64
	v           []float64
}

type tpoint struct {
	window, startSample, startNS int64
	v                            float64
}

type meanAcc struct {
	sum float64
	n   int
}

type szPoint struct {
	startSample, startNS int64
	p, smoothed          float64
}

type szEvent struct{ onset, offset, confidence float64 }

type ssvepPoint struct {
	window, startSample, startNS int64
	frequency, score             float64
	decision                     int64
	eventCode                    int64
	hasCode                      bool
	method                       string
	frequencies                  []float64 // shared: session.internFreqs
	meta                         *fileMeta // of the file the row came from
}

// internFreqs returns a copy of f shared by every row with the same
// targets: asynchronous runs write a row per hop.
func (s *session) internFreqs(f []float64) []float64 {
	for _, g := range s.freqLists {
		if slices.Equal(g, f) {
			return g
		}
	}
	g := slices.Clone(f)
	s.freqLists = append(s.freqLists, g)
	return g
}

// fileMeta is what a result file's provenance (docs/schemas.md,
// "Provenance") tells the report: the window length of the run that wrote
// it, and the descriptions of its stim event codes.
type fileMeta struct {
	// lengthSeconds, or lengthSamples when the window was configured in
	// samples; both 0 when the file does not say.
	lengthSeconds float64
	lengthSamples int64
	// events maps an event code to its source.stim description.
	events map[int64]string
}

// readMeta reads fileMeta from a record's schema metadata; what is
// missing or malformed stays unknown (files from other tools, older
// builds).
func readMeta(md arrow.Metadata) *fileMeta {
	m := &fileMeta{events: map[int64]string{}}
	if v, ok := md.GetValue("neurostream.stages"); ok {
		var st struct {
			Window struct {
				Length        int64   `json:"length"`
				LengthSeconds float64 `json:"length_seconds"`
			} `json:"window"`
		}
		if json.Unmarshal([]byte(v), &st) == nil {
			m.lengthSeconds, m.lengthSamples = st.Window.LengthSeconds, st.Window.Length
		}
	}
	if v, ok := md.GetValue("neurostream.config"); ok {
		var cfg struct {
			Source struct {
				Stim struct {
					Events []struct {
						Description string `json:"description"`
						Code        int64  `json:"code"`
					} `json:"events"`
				} `json:"stim"`
			} `json:"source"`
		}
		if json.Unmarshal([]byte(v), &cfg) == nil {
			for _, e := range cfg.Source.Stim.Events {
				m.events[e.Code] = e.Description
			}
		}
	}
	return m
}

// windowSeconds is the window length of the file's run in s, NaN when
// unknown.
func (m *fileMeta) windowSeconds(s *session) float64 {
	switch {
	case m.lengthSeconds > 0:
		return m.lengthSeconds
	case m.lengthSamples > 0 && s.sampleRate > 0:
		return float64(m.lengthSamples) / s.sampleRate
	}
	return math.NaN()
}

// seconds returns the time in s from the session's sample 0 of a row at
// startSample / startNS: from the sample rate when the session_end row
// gave it, else from the start time of window 0.
func (s *session) seconds(startSample, startNS int64) float64 {
	switch {
	case s.sampleRate > 0:
		return float64(startSample) / s.sampleRate
	case s.hasT0:
		return float64(startNS-s.t0) / 1e9
	}
	return math.NaN()
}

// gather reads every result file in dir into sessions. A file it cannot
// use is a problem naming it; the others are read.
func (r *Report) gather(dir string) (map[string]*session, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("report: --in: %w", err)
	}
	sessions := map[string]*session{}
	get := func(id string) *session {
		s := sessions[id]
		if s == nil {
			s = &session{id: id, bp: map[string][]tpoint{}, coh: map[string]map[[2]int]*meanAcc{}}
			sessions[id] = s
		}
		return s
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && resultFile.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	for _, name := range names {
		path := filepath.Join(dir, name)
		m := resultFile.FindStringSubmatch(name)
		kind := arrowout.Kind(m[1])
		switch {
		case m[4] != "":
			r.problem(path, "an unfinished part (.partial): its run did not end; skipped")
			continue
		case arrowout.Schema(kind) == nil:
			r.problem(path, fmt.Sprintf("unknown result kind %q (known: %s); skipped", kind, kindList()))
			continue
		}
		if fi, err := os.Stat(path); err == nil && fi.Size() == 0 {
			r.problem(path, "empty file; skipped")
			continue
		}
		recs, err := sinks.ReadFile(path, memory.DefaultAllocator)
		if err != nil {
			r.problem(path, fmt.Sprintf("unreadable (%v); skipped", strings.TrimPrefix(err.Error(), "sinks: "+path+": ")))
			continue
		}
		r.Files++
		var meta *fileMeta
		if len(recs) > 0 {
			meta = readMeta(recs[0].Schema().Metadata())
		}
		for _, rec := range recs {
			if got, ok := rec.Schema().Metadata().GetValue("neurostream.kind"); ok && got != string(kind) {
				r.problem(path, fmt.Sprintf("holds %s rows, not %s; skipped", got, kind))
				break
			}
			if err := apply(kind, rec, meta, get); err != nil {
				r.problem(path, err.Error()+"; skipped")
				break
			}
		}
		for _, rec := range recs {
			rec.Release()
		}
	}
	return sessions, nil
}

func kindList() string {
	var k []string
	for _, kind := range arrowout.Kinds() {
		k = append(k, string(kind))
	}
	return strings.Join(k, ", ")
}

func index(list *[]string, s string) int {
	if i := slices.Index(*list, s); i >= 0 {
		return i
	}
	*list = append(*list, s)
	return len(*list) - 1
}

// rowKey reads the key columns of a record's rows and notes each
// session's window-0 start time.
type rowKey struct {
	kind               arrowout.Kind
	sess               resultcols.StringCol
	win, start, startT func(int) (int64, bool)
	get                func(string) *session
}

func newRowKey(kind arrowout.Kind, c *resultcols.Columns, get func(string) *session) rowKey {
	return rowKey{kind: kind, sess: c.Strings("session"), win: c.Ints("window"), start: c.Ints("start_sample"), startT: c.Ints("start_time"), get: get}
}

// at returns row i's session, window, start sample and start time (ns).
func (k rowKey) at(i int) (*session, int64, int64, int64) {
	s := k.get(k.sess(i))
	w, _ := k.win(i)
	ss, _ := k.start(i)
	t, _ := k.startT(i)
	if ss == 0 && k.kind != arrowout.KindSessionEnd && !s.hasT0 {
		s.t0, s.hasT0 = t, true
	}
	return s, w, ss, t
}

// apply adds one record's rows; meta is what its file's provenance says.
func apply(kind arrowout.Kind, rec arrow.Record, meta *fileMeta, get func(string) *session) error {
	c := resultcols.New(rec, string(kind))
	n := int(rec.NumRows())
	key := newRowKey(kind, c, get)
	switch kind {
	case arrowout.KindPSD:
		applyPSD(c, n, key)
	case arrowout.KindBandPower:
		applyBandPower(c, n, key)
	case arrowout.KindCoherence:
		applyCoherence(c, n, key)
	case arrowout.KindSeizure:
		applySeizure(c, n, key)
	case arrowout.KindSSVEP:
		applySSVEP(c, n, key, meta)
	case arrowout.KindSessionEnd:
		rate, samples := c.Floats("sample_rate"), c.Ints("samples")
		if c.Err() != nil {
			break
		}
		for i := range n {
			s := get(key.sess(i))
			s.sampleRate = rate(i)
			s.samples, _ = samples(i)
		}
	default:
		// tokens and xcorr: no figure yet.
		if c.Err() != nil {
			break
		}
		for i := range n {
			key.at(i)
		}
	}
	return c.Err()
}

func applyPSD(c *resultcols.Columns, n int, key rowKey) {
	ch, unit, fs, step, psd := c.Strings("channel"), c.Strings("unit"), c.Floats("freq_start"), c.Floats("freq_step"), c.FloatLists("psd")
	if c.Err() != nil {
		return
	}
	for i := range n {
		s, w, ss, t := key.at(i)
		p := psd(i)
		if s.psdSum == nil {
			s.psdStart, s.psdStep, s.psdUnit = fs(i), step(i), unit(i)
		}
		if fs(i) != s.psdStart || step(i) != s.psdStep {
			continue // another stage's grid: the first one is drawn
		}
		k := index(&s.channels, ch(i))
		for len(s.psdSum) <= k {
			s.psdSum, s.psdN = append(s.psdSum, nil), append(s.psdN, 0)
		}
		if s.psdSum[k] == nil {
			s.psdSum[k] = make([]float64, len(p))
		}
		for j := range min(len(p), len(s.psdSum[k])) {
			s.psdSum[k][j] += p[j]
		}
		s.psdN[k]++
		// Rows of a window come together: the spectrogram column is
		// the mean over its channels.
		if m := len(s.spec); m == 0 || s.spec[m-1].window != w {
			s.spec = append(s.spec, specCol{window: w, startSample: ss, startNS: t, v: make([]float64, len(p))})
		}
		col := &s.spec[len(s.spec)-1]
		for j := range min(len(p), len(col.v)) {
			col.v[j] += p[j] / float64(len(s.channels))
		}
	}
}

func applyBandPower(c *resultcols.Columns, n int, key rowKey) {
	band, rel := c.Strings("band"), c.Floats("relative")
	if c.Err() != nil {
		return
	}
	type acc struct {
		tp tpoint
		meanAcc
	}
	sums := map[*session]map[string]map[int64]*acc{}
	for i := range n {
		s, w, ss, t := key.at(i)
		b := band(i)
		index(&s.bands, b)
		if sums[s] == nil {
			sums[s] = map[string]map[int64]*acc{}
		}
		if sums[s][b] == nil {
			sums[s][b] = map[int64]*acc{}
		}
		a := sums[s][b][w]
		if a == nil {
			a = &acc{tp: tpoint{window: w, startSample: ss, startNS: t}}
			sums[s][b][w] = a
		}
		if v := rel(i); !math.IsNaN(v) {
			a.sum += v
			a.n++
		}
	}
	for s, byBand := range sums {
		for b, byWin := range byBand {
			for _, a := range byWin {
				a.tp.v = a.sum / float64(max(a.n, 1))
				s.bp[b] = append(s.bp[b], a.tp)
			}
			slices.SortFunc(s.bp[b], func(x, y tpoint) int { return int(x.window - y.window) })
		}
	}
}

func applyCoherence(c *resultcols.Columns, n int, key rowKey) {
	seed, target, method, band, value := c.Strings("seed"), c.Strings("target"), c.Strings("method"), c.Strings("band"), c.Floats("value")
	if c.Err() != nil {
		return
	}
	for i := range n {
		s, _, _, _ := key.at(i)
		m := method(i)
		if s.cohMethod == "" || (m == "coh" && s.cohMethod != "coh") {
			s.cohMethod, s.coh, s.cohBands = m, map[string]map[[2]int]*meanAcc{}, nil
		}
		if m != s.cohMethod {
			continue
		}
		b := band(i)
		index(&s.cohBands, b)
		if s.coh[b] == nil {
			s.coh[b] = map[[2]int]*meanAcc{}
		}
		ij := [2]int{index(&s.cohLabels, seed(i)), index(&s.cohLabels, target(i))}
		a := s.coh[b][ij]
		if a == nil {
			a = &meanAcc{}
			s.coh[b][ij] = a
		}
		a.sum += value(i)
		a.n++
	}
}

func applySeizure(c *resultcols.Columns, n int, key rowKey) {
	rowType, prob, sm := c.Strings("row_type"), c.Floats("probability"), c.Floats("smoothed")
	on, off, conf := c.Floats("onset_seconds"), c.Floats("offset_seconds"), c.Floats("confidence")
	if c.Err() != nil {
		return
	}
	for i := range n {
		s, _, ss, t := key.at(i)
		switch rowType(i) {
		case "window":
			s.sz = append(s.sz, szPoint{startSample: ss, startNS: t, p: prob(i), smoothed: sm(i)})
		case "event":
			e := szEvent{on(i), off(i), conf(i)}
			if !slices.Contains(s.events, e) {
				s.events = append(s.events, e)
			}
		}
	}
}

func applySSVEP(c *resultcols.Columns, n int, key rowKey, meta *fileMeta) {
	method, freqs := c.Strings("method"), c.FloatLists("frequencies")
	freq, score, decision, code := c.Floats("frequency"), c.Floats("score"), c.Ints("decision"), c.Ints("event_code")
	if c.Err() != nil {
		return
	}
	for i := range n {
		s, w, ss, t := key.at(i)
		d, _ := decision(i)
		ec, ok := code(i)
		s.ssvep = append(s.ssvep, ssvepPoint{window: w, startSample: ss, startNS: t, frequency: freq(i), score: score(i),
			decision: d, eventCode: ec, hasCode: ok, method: method(i), frequencies: s.internFreqs(freqs(i)), meta: meta})
	}
}
