package sinks

import (
	"context"
	"fmt"
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/neurostream/neurostream/internal/resultcols"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// Summary is a sink that keeps, per session and per unit of power, the
// window count, the mean PSD over windows and channels, and mean band
// powers, and per session the seizure events and SSVEP decisions, for a
// readable report at the end of a run. Channels of
// different units (EEG in V, magnetometers in T, gradiometers in T/m, or a
// stim or misc channel picked along) are summarised apart: their powers
// are never averaged together. It is safe for concurrent use.
type Summary struct {
	mu       sync.Mutex
	sessions map[string]*sessionSummary
	// detect holds the seizure and ssvep rows' summaries
	// (summary_detect.go).
	detect map[string]*detections
}

type sessionSummary struct {
	windows map[int64]struct{}
	units   []string // power units in order of arrival
	byUnit  map[string]*unitSummary
}

// unitSummary accumulates one session's channels of one unit.
type unitSummary struct {
	channels  map[string]struct{}
	freqStart float64
	freqStep  float64
	psdSum    []float64
	psdN      int
	bands     []string
	bandSum   map[string]float64
	relSum    map[string]float64
	bandN     map[string]int
}

// NewSummary returns an empty summary sink.
func NewSummary() *Summary { return &Summary{sessions: map[string]*sessionSummary{}} }

func (s *Summary) session(id string) *sessionSummary {
	ss := s.sessions[id]
	if ss == nil {
		ss = &sessionSummary{windows: map[int64]struct{}{}, byUnit: map[string]*unitSummary{}}
		s.sessions[id] = ss
	}
	return ss
}

// unit returns the accumulator of power unit u ("V^2").
func (ss *sessionSummary) unit(u string) *unitSummary {
	us := ss.byUnit[u]
	if us == nil {
		us = &unitSummary{channels: map[string]struct{}{}, bandSum: map[string]float64{}, relSum: map[string]float64{}, bandN: map[string]int{}}
		ss.byUnit[u] = us
		ss.units = append(ss.units, u)
	}
	return us
}

// Write implements the pipeline's Sink.
func (s *Summary) Write(_ context.Context, results []arrowout.Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range results {
		if r.Record == nil {
			continue
		}
		ss := s.session(r.Key.Session)
		var err error
		switch r.Kind {
		case arrowout.KindSeizure:
			err = s.addSeizure(r)
		case arrowout.KindSSVEP:
			err = s.addSSVEP(r)
		case arrowout.KindSessionEnd:
			// keyed by the window after the last: not a window
		case arrowout.KindPSD:
			ss.windows[r.Key.Window] = struct{}{}
			err = ss.addPSD(r.Record)
		case arrowout.KindBandPower:
			ss.windows[r.Key.Window] = struct{}{}
			err = ss.addBandPower(r.Record)
		default:
			ss.windows[r.Key.Window] = struct{}{}
		}
		if err != nil {
			return fmt.Errorf("sinks: summary: session %s: %w", r.Key.Session, err)
		}
	}
	return nil
}

// addPSD adds psd rows to the means of their units.
func (ss *sessionSummary) addPSD(rec arrow.Record) error {
	c := resultcols.New(rec, string(arrowout.KindPSD))
	ch, unit := c.Strings("channel"), c.Strings("unit")
	start, step, psd := c.Floats("freq_start"), c.Floats("freq_step"), c.FloatLists("psd")
	if err := c.Err(); err != nil {
		return err
	}
	for i := range int(rec.NumRows()) {
		us := ss.unit(strings.TrimSuffix(unit(i), "/Hz"))
		us.channels[ch(i)] = struct{}{}
		row := psd(i)
		if us.psdN == 0 {
			us.freqStart, us.freqStep = start(i), step(i)
			us.psdSum = make([]float64, len(row))
		}
		if len(row) != len(us.psdSum) {
			return fmt.Errorf("psd rows of %d and %d bins", len(row), len(us.psdSum))
		}
		for k, v := range row {
			us.psdSum[k] += v
		}
		us.psdN++
	}
	return nil
}

// addBandPower adds bandpower rows to the band means of their units.
func (ss *sessionSummary) addBandPower(rec arrow.Record) error {
	c := resultcols.New(rec, string(arrowout.KindBandPower))
	ch, unit, band := c.Strings("channel"), c.Strings("unit"), c.Strings("band")
	power, rel := c.Floats("power"), c.Floats("relative")
	if err := c.Err(); err != nil {
		return err
	}
	for i := range int(rec.NumRows()) {
		us := ss.unit(unit(i))
		us.channels[ch(i)] = struct{}{}
		name := band(i)
		if _, ok := us.bandN[name]; !ok {
			us.bands = append(us.bands, name)
		}
		us.bandSum[name] += power(i)
		if v := rel(i); !math.IsNaN(v) {
			us.relSum[name] += v
		}
		us.bandN[name]++
	}
	return nil
}

// Close implements the pipeline's Sink.
func (s *Summary) Close() error { return nil }

// SessionSummary is the report for one session's channels of one unit.
type SessionSummary struct {
	Session string
	// Unit is the unit of power of the channels summarised, e.g. "V^2"
	// (EEG), "T^2" (magnetometers), "T/m^2" (gradiometers); empty for a
	// session without psd or bandpower results.
	Unit     string
	Windows  int
	Channels int
	// PeakFrequency is the frequency in Hz of the dominant rhythm: the
	// largest local maximum (a bin above both neighbours) of the mean PSD
	// within 2–45 Hz, so that the 1/f rise towards 0 Hz does not count as
	// a rhythm. NaN without psd rows or without such a peak.
	PeakFrequency float64
	Bands         []BandSummary
}

// BandSummary is a band's power averaged over windows and the channels of
// one unit.
type BandSummary struct {
	Band     string
	Unit     string
	Power    float64
	Relative float64
}

// Sessions returns the report sorted by session id, one entry per session
// and unit of power, units in the order they arrived.
func (s *Summary) Sessions() []SessionSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SessionSummary
	for _, id := range slices.Sorted(maps.Keys(s.sessions)) {
		ss := s.sessions[id]
		if len(ss.units) == 0 {
			out = append(out, SessionSummary{Session: id, Windows: len(ss.windows), PeakFrequency: math.NaN()})
			continue
		}
		for _, u := range ss.units {
			us := ss.byUnit[u]
			r := SessionSummary{Session: id, Unit: u, Windows: len(ss.windows), Channels: len(us.channels), PeakFrequency: math.NaN()}
			best := math.Inf(-1)
			p := us.psdSum
			for k := 1; k+1 < len(p); k++ {
				f := us.freqStart + float64(k)*us.freqStep
				if f >= 2 && f <= 45 && p[k] > p[k-1] && p[k] > p[k+1] && p[k] > best {
					best, r.PeakFrequency = p[k], f
				}
			}
			for _, b := range us.bands {
				n := float64(us.bandN[b])
				r.Bands = append(r.Bands, BandSummary{Band: b, Unit: u, Power: us.bandSum[b] / n, Relative: us.relSum[b] / n})
			}
			out = append(out, r)
		}
	}
	return out
}

// Print writes the report as an aligned table, a row per session and unit
// of power, powers in the unit EEG and MEG are read in (µV², fT², (fT/cm)²).
func (s *Summary) Print(w io.Writer) {
	sessions := s.Sessions()
	if len(sessions) == 0 {
		fmt.Fprintln(w, "no results")
		return
	}
	if sessions = s.spectral(sessions); len(sessions) == 0 {
		s.printDetections(w)
		return
	}
	var bands []string
	for _, ss := range sessions {
		for _, b := range ss.Bands {
			if !slices.Contains(bands, b.Band) {
				bands = append(bands, b.Band)
			}
		}
	}
	width, uwidth := 7, 4
	for _, ss := range sessions {
		width = max(width, len(ss.Session))
		uwidth = max(uwidth, utf8.RuneCountInString(displayUnit(ss.Unit)))
	}
	fmt.Fprintf(w, "%-*s %-*s %7s %4s %8s", width, "session", uwidth, "unit", "windows", "ch", "peak Hz")
	for _, b := range bands {
		fmt.Fprintf(w, " %14s", b)
	}
	fmt.Fprintln(w)
	for _, ss := range sessions {
		ch, peak, unit := "-", "-", "-"
		if ss.Channels > 0 {
			ch = fmt.Sprint(ss.Channels)
		}
		if !math.IsNaN(ss.PeakFrequency) {
			peak = fmt.Sprintf("%.2f", ss.PeakFrequency)
		}
		if ss.Unit != "" {
			unit = displayUnit(ss.Unit)
		}
		// %-*s pads by bytes: pad µ and ² by runes.
		unit += strings.Repeat(" ", uwidth-utf8.RuneCountInString(unit))
		fmt.Fprintf(w, "%-*s %s %7d %4s %8s", width, ss.Session, unit, ss.Windows, ch, peak)
		for _, name := range bands {
			cell := "-"
			for _, b := range ss.Bands {
				if b.Band == name {
					cell = fmt.Sprintf("%s %3.0f%%", formatPower(b.Power, b.Unit), 100*b.Relative)
				}
			}
			fmt.Fprintf(w, " %14s", cell)
		}
		fmt.Fprintln(w)
	}
	if len(bands) > 0 {
		fmt.Fprintln(w, "band cells: mean absolute power in the row's unit and share of the total range's power (default 1–45 Hz), over windows and the channels of that unit")
	}
	s.printDetections(w)
}

// powerUnits maps units of power to the unit they are shown in and the
// factor to it: V² as µV², T² as fT², (T/m)² as (fT/cm)².
var powerUnits = map[string]struct {
	name  string
	scale float64
}{
	"V^2":   {"µV²", 1e12},
	"T^2":   {"fT²", 1e30},
	"T/m^2": {"(fT/cm)²", 1e26},
}

// displayUnit is the unit a power in unit u is shown in.
func displayUnit(u string) string {
	if d, ok := powerUnits[u]; ok {
		return d.name
	}
	return u
}

// formatPower shows a power in the unit displayUnit names.
func formatPower(p float64, unit string) string {
	if d, ok := powerUnits[unit]; ok {
		p *= d.scale
	}
	return fmt.Sprintf("%.3g", p)
}
