package arrowout

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow/go/v17/arrow/array"
)

// Summary is a sink that keeps, per session, the window count, the mean PSD
// over windows and channels, and mean band powers, for a readable report at
// the end of a run. It is safe for concurrent use.
type Summary struct {
	mu       sync.Mutex
	sessions map[string]*sessionSummary
}

type sessionSummary struct {
	windows   map[int64]struct{}
	channels  map[string]struct{}
	freqStart float64
	freqStep  float64
	psdSum    []float64
	psdN      int
	bands     []string
	bandSum   map[string]float64
	relSum    map[string]float64
	bandN     map[string]int
	unit      string
}

// NewSummary returns an empty summary sink.
func NewSummary() *Summary { return &Summary{sessions: map[string]*sessionSummary{}} }

func (s *Summary) session(id string) *sessionSummary {
	ss := s.sessions[id]
	if ss == nil {
		ss = &sessionSummary{windows: map[int64]struct{}{}, channels: map[string]struct{}{},
			bandSum: map[string]float64{}, relSum: map[string]float64{}, bandN: map[string]int{}}
		s.sessions[id] = ss
	}
	return ss
}

// Write implements the pipeline's Sink.
func (s *Summary) Write(_ context.Context, results []Result) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range results {
		if r.Record == nil {
			continue
		}
		ss := s.session(r.Key.Session)
		ss.windows[r.Key.Window] = struct{}{}
		rec := r.Record
		switch r.Kind {
		case KindPSD:
			ch := rec.Column(4).(*array.String)
			start := rec.Column(6).(*array.Float64)
			step := rec.Column(7).(*array.Float64)
			lists := rec.Column(8).(*array.List)
			vals := lists.ListValues().(*array.Float64).Float64Values()
			for i := 0; i < int(rec.NumRows()); i++ {
				ss.channels[ch.Value(i)] = struct{}{}
				b, e := lists.ValueOffsets(i)
				row := vals[b:e]
				if ss.psdN == 0 {
					ss.freqStart, ss.freqStep = start.Value(i), step.Value(i)
					ss.psdSum = make([]float64, len(row))
				}
				if len(row) != len(ss.psdSum) {
					return fmt.Errorf("arrowout: summary: session %s: psd rows of %d and %d bins", r.Key.Session, len(row), len(ss.psdSum))
				}
				for k, v := range row {
					ss.psdSum[k] += v
				}
				ss.psdN++
			}
		case KindBandPower:
			ch := rec.Column(4).(*array.String)
			unit := rec.Column(5).(*array.String)
			band := rec.Column(6).(*array.String)
			power := rec.Column(9).(*array.Float64)
			rel := rec.Column(10).(*array.Float64)
			for i := 0; i < int(rec.NumRows()); i++ {
				ss.channels[ch.Value(i)] = struct{}{}
				name := band.Value(i)
				if _, ok := ss.bandN[name]; !ok {
					ss.bands = append(ss.bands, name)
				}
				ss.unit = unit.Value(i)
				ss.bandSum[name] += power.Value(i)
				if v := rel.Value(i); !math.IsNaN(v) {
					ss.relSum[name] += v
				}
				ss.bandN[name]++
			}
		}
	}
	return nil
}

// Close implements the pipeline's Sink.
func (s *Summary) Close() error { return nil }

// SessionSummary is the report for one session.
type SessionSummary struct {
	Session  string
	Windows  int
	Channels int
	// PeakFrequency is the frequency in Hz of the dominant rhythm: the
	// largest local maximum (a bin above both neighbours) of the mean PSD
	// within 2–45 Hz, so that the 1/f rise towards 0 Hz does not count as
	// a rhythm. NaN without psd rows or without such a peak.
	PeakFrequency float64
	Bands         []BandSummary
}

// BandSummary is a band's power averaged over windows and channels.
type BandSummary struct {
	Band     string
	Unit     string
	Power    float64
	Relative float64
}

// Sessions returns the per-session report sorted by session id.
func (s *Summary) Sessions() []SessionSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []SessionSummary
	for id, ss := range s.sessions {
		r := SessionSummary{Session: id, Windows: len(ss.windows), Channels: len(ss.channels), PeakFrequency: math.NaN()}
		best := math.Inf(-1)
		p := ss.psdSum
		for k := 1; k+1 < len(p); k++ {
			f := ss.freqStart + float64(k)*ss.freqStep
			if f >= 2 && f <= 45 && p[k] > p[k-1] && p[k] > p[k+1] && p[k] > best {
				best, r.PeakFrequency = p[k], f
			}
		}
		for _, b := range ss.bands {
			n := float64(ss.bandN[b])
			r.Bands = append(r.Bands, BandSummary{Band: b, Unit: ss.unit, Power: ss.bandSum[b] / n, Relative: ss.relSum[b] / n})
		}
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Session < out[j].Session })
	return out
}

// Print writes the report as an aligned table.
func (s *Summary) Print(w io.Writer) {
	sessions := s.Sessions()
	if len(sessions) == 0 {
		fmt.Fprintln(w, "no results")
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
	width := 7
	for _, ss := range sessions {
		width = max(width, len(ss.Session))
	}
	fmt.Fprintf(w, "%-*s %7s %4s %8s", width, "session", "windows", "ch", "peak Hz")
	for _, b := range bands {
		fmt.Fprintf(w, " %14s", b)
	}
	fmt.Fprintln(w)
	for _, ss := range sessions {
		ch, peak := "-", "-"
		if ss.Channels > 0 {
			ch = fmt.Sprint(ss.Channels)
		}
		if !math.IsNaN(ss.PeakFrequency) {
			peak = fmt.Sprintf("%.2f", ss.PeakFrequency)
		}
		fmt.Fprintf(w, "%-*s %7d %4s %8s", width, ss.Session, ss.Windows, ch, peak)
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
		fmt.Fprintln(w, "band cells: mean absolute power (µV² for V² data) and share of 1–45 Hz power, over windows and channels")
	}
}

// formatPower shows V² as µV², the unit EEG band power is read in.
func formatPower(p float64, unit string) string {
	if strings.HasPrefix(unit, "V^2") {
		return fmt.Sprintf("%.3g", p*1e12)
	}
	return fmt.Sprintf("%.3g", p)
}
