// Package text reads EEG stored as plain-text numbers: one value per line
// (Bonn, Malow, YASA excerpts) or delimited columns under an optional header
// row (NeuroTechX Muse CSV), with the sample rate given by the caller or
// estimated from a time column.
//
// A text file carries no units, so Options.Unit says what the numbers are
// (default "uV") and values are scaled to SI (V) on read. The shared
// datasets are all µV: Bonn and Malow hold µV-scale integers, the YASA
// excerpts and the Muse CSV EEG columns µV. There is no MNE reader for text;
// the reference is numpy.loadtxt / numpy.genfromtxt, whose values times the
// unit's scale are what ReadSamples returns. Deliberate differences from
// numpy: NaN, Inf, empty fields and hexadecimal numbers are rejected (numpy
// reads them), because a hole in a text recording is usually a lost sample
// the caller must see rather than a value to stream on; and a header is
// recognised by containing a field that is not a number.
//
// Text cannot be addressed by sample, so Open makes one pass that validates
// every number and keeps the byte offset of every 4096th row; ReadSamples
// seeks to the nearest such row and parses forward, so memory stays
// constant in file size and sequential reads continue where the last ended.
package text

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/neurostream/neurostream/formats"
)

// Options describes what the file itself does not say.
type Options struct {
	// SampleRate is the rate in Hz. It is required unless TimeColumn names
	// a column, in which case the rate is estimated from the timestamps
	// (see Open) and Info.SampleRate holds the estimate. When both are
	// given, SampleRate wins.
	SampleRate float64
	// Unit is the unit of the numbers in the file. "V", "mV", "uV" (or
	// "µV"), "nV" and the magnetic units "T", "pT", "fT", "T/m", "fT/cm"
	// are scaled to SI; any other string (e.g. "a.u.") returns the values
	// unscaled with Channel.Unit set to it. It applies to every channel.
	// Default: "uV".
	Unit string
	// Type is the channel type of every channel. Default: formats.EEG.
	Type formats.ChannelType
	// Delimiter separates columns: ',', ';', '\t', '|', or ' ' for runs of
	// spaces and tabs. Zero detects it from the first non-comment line:
	// comma, else tab, else semicolon, else whitespace.
	Delimiter rune
	// TimeColumn names a header column holding timestamps in seconds,
	// e.g. "timestamps". It is not a channel; Reader.ReadTimes reads it.
	TimeColumn string
	// MarkerColumn names a header column of event codes, e.g. "Marker0".
	// It is not a channel: every row where it is non-zero becomes an
	// annotation at row/SampleRate seconds, of duration 0, described by
	// the value as a decimal string ("1", "2.5").
	MarkerColumn string
	// Labels names the channels, in order, overriding the header. Without
	// Labels and header a one-column file's channel is named by the file
	// name without extension ("Z001", "ch01") and a k-column file's by
	// that stem and the 1-based column number ("rec-1" … "rec-k").
	Labels []string
}

// indexStride is how many rows lie between two indexed rows. Tests lower
// it to exercise seeking on small inputs.
var indexStride int64 = 4096

// Reader is an open text recording. It implements formats.Recording.
// A Reader is not safe for concurrent use: it reuses its read buffers.
type Reader struct {
	info   formats.Info
	tables []*table
	time   *table // the table holding the time column, or nil
}

var _ formats.Recording = (*Reader)(nil)

// Open reads the header of the text file at path and makes one pass over
// its rows to validate every number, count the samples and index the rows.
//
// With a TimeColumn and no SampleRate, the rate is 1/slope of the
// least-squares line through (row index, timestamp), fitted to the
// stretches between gaps with a common slope. Neither the median nor the
// mean of successive differences would do: the shared Muse files round
// LSL timestamps to 1 ms, so differences are 3 or 4 ms and their median
// gives 250 Hz for a 256 Hz device, and their jitter (differences down
// to -15 ms) biases an outlier-trimmed mean to 260 Hz; the fitted slope
// gives 256.00 (256.02 where the LSL clock drifts against the headset's).
//
// A gap is a step between timestamps that departs from the median step
// by more than 20 median steps, ahead (samples lost, recording paused) or
// back (a clock reset). Gaps are not filled: rows are samples. Each gap
// adds a warning to Info.Warnings naming its line and size, since every
// later sample's time is then off by it; the rate is fitted around them.
func Open(path string, opt Options) (*Reader, error) {
	return OpenChannels([]string{path}, opt)
}

// OpenChannels opens several text files of equal length as one recording
// whose channels are the files' columns in order, e.g. the Malow record
// stored as ch01.inp … ch21.inp with one channel per file. A file whose
// length differs from the first file's is an error naming it.
//
// TimeColumn and MarkerColumn are excluded from the channels of every
// file whose header has them; the timestamps and markers are taken from
// the first such file.
func OpenChannels(paths []string, opt Options) (*Reader, error) {
	if len(paths) == 0 {
		return nil, errors.New("text: no files to open")
	}
	srcs := make([]source, len(paths))
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			closeSources(srcs[:i])
			return nil, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			closeSources(srcs[:i])
			return nil, &formats.Error{File: p, Offset: -1, Err: err}
		}
		srcs[i] = source{name: p, r: f, size: st.Size(), c: f}
	}
	r, err := newReader(srcs, opt)
	if err != nil {
		closeSources(srcs)
		return nil, err
	}
	return r, nil
}

// NewReader is Open for text held by any io.ReaderAt of size bytes, e.g.
// a bytes.Reader; name is used for channel labels and in errors. Close
// does not close r.
func NewReader(r io.ReaderAt, size int64, name string, opt Options) (*Reader, error) {
	return newReader([]source{{name: name, r: r, size: size}}, opt)
}

// source is one file to read.
type source struct {
	name string
	r    io.ReaderAt
	size int64
	c    io.Closer // nil when the caller owns r
}

func closeSources(srcs []source) {
	for _, s := range srcs {
		if s.c != nil {
			s.c.Close()
		}
	}
}

// unit is a known unit and its factor to SI.
type unit struct {
	si    string
	scale float64
}

var units = map[string]unit{
	"V": {"V", 1}, "mV": {"V", 1e-3}, "uV": {"V", 1e-6}, "µV": {"V", 1e-6}, "μV": {"V", 1e-6}, "nV": {"V", 1e-9},
	"T": {"T", 1}, "mT": {"T", 1e-3}, "uT": {"T", 1e-6}, "µT": {"T", 1e-6}, "nT": {"T", 1e-9}, "pT": {"T", 1e-12}, "fT": {"T", 1e-15},
	"T/m": {"T/m", 1}, "T/cm": {"T/m", 1e2}, "pT/m": {"T/m", 1e-12}, "fT/m": {"T/m", 1e-15}, "fT/cm": {"T/m", 1e-13},
}

// check validates opt and fills in its defaults.
func (opt *Options) check() error {
	if opt.SampleRate < 0 || math.IsNaN(opt.SampleRate) || math.IsInf(opt.SampleRate, 0) {
		return fmt.Errorf("text: Options.SampleRate %v: want a positive rate in Hz", opt.SampleRate)
	}
	if opt.SampleRate == 0 && opt.TimeColumn == "" {
		return errors.New("text: Options.SampleRate is required unless Options.TimeColumn names a time column")
	}
	if opt.Unit == "" {
		opt.Unit = "uV"
	}
	if opt.Type == "" {
		opt.Type = formats.EEG
	}
	if !opt.Type.Valid() {
		return fmt.Errorf("text: Options.Type %q is not a channel type", opt.Type)
	}
	switch d := opt.Delimiter; {
	case d == 0, d == ' ', d == '\t':
	case d >= 0x80 || d < ' ' || strings.ContainsRune("0123456789+-.eE#\"", d):
		return fmt.Errorf("text: Options.Delimiter %q: want an ASCII punctuation character, '\\t' or ' '", d)
	}
	if opt.TimeColumn != "" && opt.TimeColumn == opt.MarkerColumn {
		return fmt.Errorf("text: Options.TimeColumn and MarkerColumn are both %q", opt.TimeColumn)
	}
	return nil
}

func newReader(srcs []source, opt Options) (*Reader, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	u, known := units[opt.Unit]
	if !known {
		u = unit{opt.Unit, 1}
	}
	r := &Reader{}
	labels, err := r.openTables(srcs, opt, u.scale)
	if err != nil {
		return nil, err
	}
	times, marks, err := r.scan()
	if err != nil {
		return nil, err
	}
	r.info = formats.Info{
		Format:   r.tables[0].format(),
		Channels: make([]formats.Channel, len(labels)),
		NSamples: r.tables[0].nrows,
	}
	rate, err := r.sampleRate(times, opt)
	if err != nil {
		return nil, err
	}
	r.info.SampleRate = rate
	for i, l := range labels {
		r.info.Channels[i] = formats.Channel{Label: l, Type: opt.Type, Unit: u.si, SampleRate: rate}
	}
	if len(marks) > 0 {
		r.info.Annotations = make([]formats.Annotation, len(marks))
		for i, m := range marks {
			r.info.Annotations[i] = formats.Annotation{
				Onset:       float64(m.row) / rate,
				Description: strconv.FormatFloat(m.v, 'f', -1, 64),
			}
		}
	}
	return r, nil
}

// openTables opens every source, gives each column its role (time,
// marker, skipped or a channel) and returns the channel labels, made
// unique.
func (r *Reader) openTables(srcs []source, opt Options, scale float64) ([]string, error) {
	var labels []string
	hasMarker := false
	for _, s := range srcs {
		t, err := openTable(s, opt, scale)
		if err != nil {
			return nil, err
		}
		r.tables = append(r.tables, t)
		labels = slices.Grow(labels, len(t.columns))
		nData := 0
		for col, name := range t.columns {
			switch {
			case t.header != nil && opt.TimeColumn != "" && name == opt.TimeColumn:
				t.role[col] = roleSkip
				if r.time == nil {
					r.time = t
					t.role[col] = roleTime
				}
			case t.header != nil && opt.MarkerColumn != "" && name == opt.MarkerColumn:
				t.role[col] = roleSkip
				if !hasMarker {
					hasMarker = true
					t.role[col] = roleMarker
				}
			default:
				t.role[col] = len(labels)
				nData++
				labels = append(labels, name)
			}
		}
		if t.header == nil {
			nameByFile(labels[len(labels)-nData:], s.name)
		}
	}
	if opt.TimeColumn != "" && r.time == nil {
		return nil, r.tables[0].missingColumn(opt.TimeColumn)
	}
	if opt.MarkerColumn != "" && !hasMarker {
		return nil, r.tables[0].missingColumn(opt.MarkerColumn)
	}
	if len(labels) == 0 {
		t := r.tables[0]
		return nil, &formats.Error{File: t.name, Offset: t.headerOff, Field: "header", Msg: "no data columns besides the time and marker columns"}
	}
	if opt.Labels != nil {
		if len(opt.Labels) != len(labels) {
			return nil, fmt.Errorf("text: Options.Labels has %d labels for %d channels %q", len(opt.Labels), len(labels), labels)
		}
		copy(labels, opt.Labels)
	}
	formats.UniqueLabels(labels)
	return labels, nil
}

// nameByFile names a headerless file's columns by the file: its stem, or
// stem-1, stem-2, … for several.
func nameByFile(labels []string, file string) {
	stem := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	for i := range labels {
		labels[i] = stem
		if len(labels) > 1 {
			labels[i] = fmt.Sprintf("%s-%d", stem, i+1)
		}
	}
}

// scan is the one pass over every file: it validates, counts and
// indexes the rows, and returns what Info needs from the time and marker
// columns.
func (r *Reader) scan() (times []float64, marks []mark, err error) {
	for i, t := range r.tables {
		var visit func(row int64, vals []float64)
		tc, mc := t.col(roleTime), t.col(roleMarker)
		if tc >= 0 || mc >= 0 {
			visit = func(row int64, vals []float64) {
				if tc >= 0 {
					times = append(times, vals[tc])
				}
				if mc >= 0 && vals[mc] != 0 {
					marks = append(marks, mark{row, vals[mc]})
				}
			}
		}
		if err := t.scan(visit); err != nil {
			return nil, nil, err
		}
		if i > 0 && t.nrows != r.tables[0].nrows {
			return nil, nil, &formats.Error{File: t.name, Offset: t.size, Field: "length",
				Msg: fmt.Sprintf("%d samples, but %s has %d", t.nrows, r.tables[0].name, r.tables[0].nrows)}
		}
	}
	return times, marks, nil
}

// sampleRate returns Options.SampleRate or, without one, the rate the
// time column shows, and warns of gaps in the time column.
func (r *Reader) sampleRate(times []float64, opt Options) (float64, error) {
	rate := opt.SampleRate
	if r.time == nil {
		return rate, nil
	}
	gaps := timeGaps(times)
	if rate == 0 {
		slope, ok := fitSlope(times, gaps)
		if !ok || !(slope > 0) || math.IsInf(1/slope, 0) {
			t := r.time
			return 0, &formats.Error{File: t.name, Offset: -1, Field: fmt.Sprintf("column %q", opt.TimeColumn),
				Msg: fmt.Sprintf("cannot estimate the sample rate from %d timestamps that do not increase; set Options.SampleRate", t.nrows)}
		}
		rate = 1 / slope
	}
	if err := r.warnGaps(times, gaps, rate, opt.TimeColumn); err != nil {
		return 0, err
	}
	return rate, nil
}

// mark is a non-zero marker value and its row.
type mark struct {
	row int64
	v   float64
}

// gapFactor is how many typical sampling intervals a step between two
// timestamps may span before it is a gap (or, backwards, a jump back).
// The shared Muse files, whose LSL timestamps arrive in chunks, have
// steps up to 8.5 typical intervals without losing samples; a gap of 20
// intervals (78 ms at 256 Hz) is time the rows do not hold.
const gapFactor = 20

// maxGapWarnings is how many gaps are described one by one.
const maxGapWarnings = 5

// timeGaps returns the rows i whose step ts[i]-ts[i-1] departs from the
// typical step, the median, by more than gapFactor typical steps either
// way. When the median step is not positive (timestamps rounded coarser
// than the sampling interval), the mean step over the file stands in.
func timeGaps(ts []float64) []int {
	if len(ts) < 3 {
		return nil
	}
	steps := make([]float64, len(ts)-1)
	for i := range steps {
		steps[i] = ts[i+1] - ts[i]
	}
	slices.Sort(steps)
	typ := steps[len(steps)/2]
	if !(typ > 0) {
		typ = (ts[len(ts)-1] - ts[0]) / float64(len(ts)-1)
	}
	if !(typ > 0) || math.IsInf(typ, 0) {
		return nil
	}
	var gaps []int
	for i := 1; i < len(ts); i++ {
		if d := ts[i] - ts[i-1]; math.Abs(d-typ) > gapFactor*typ {
			gaps = append(gaps, i)
		}
	}
	return gaps
}

// fitSlope returns the slope of the least-squares lines through (row,
// timestamp) fitted to each stretch between gaps with a common slope: the
// seconds per sample the timestamps show where no sample was lost. Not the
// median step: the shared Muse files round LSL timestamps to 1 ms, so
// steps are 3 or 4 ms and their median gives 250 Hz for a 256 Hz device;
// and not the span over the rows: a gap would lower the rate (a 30 s gap
// in a 2 min file gives 186 Hz).
func fitSlope(ts []float64, gaps []int) (float64, bool) {
	var cxx, cxy float64
	lo := 0
	for _, hi := range append(slices.Clip(gaps), len(ts)) {
		var f fit
		for i := lo; i < hi; i++ {
			f.add(float64(i), ts[i])
		}
		cxx += f.cxx
		cxy += f.cxy
		lo = hi
	}
	if cxx == 0 {
		return 0, false
	}
	return cxy / cxx, true
}

// warnGaps adds a warning for each gap (the first maxGapWarnings, then
// one for the rest) naming its line, its size and what reading the rows
// as contiguous samples does to the time after it.
func (r *Reader) warnGaps(ts []float64, gaps []int, rate float64, column string) error {
	t := r.time
	field := fmt.Sprintf("column %q", column)
	for k, i := range gaps {
		d := ts[i] - ts[i-1]
		if k == maxGapWarnings {
			var rest float64
			for _, j := range gaps[k:] {
				rest += ts[j] - ts[j-1]
			}
			r.info.Warn(t.name, field, "%d more gaps or jumps back after these (%.6g s in all)", len(gaps)-k, rest)
			break
		}
		line, err := t.lineOf(int64(i))
		if err != nil {
			return err
		}
		what, where := fmt.Sprintf("jumps %.6g s ahead", d), "before"
		if d < 0 {
			what, where = fmt.Sprintf("goes %.6g s back", -d), "after"
		}
		r.info.Warn(t.name, field, "line %d: the time %s, from %v to %v (%.6g sample intervals at %.6g Hz): samples are missing or the clock jumped; rows are read as contiguous samples, so every later sample is placed %.6g s %s its timestamp",
			line, what, ts[i-1], ts[i], d*rate, rate, math.Abs(d-1/rate), where)
	}
	return nil
}

// fit accumulates a least-squares line y = a + slope·x, centred as it goes
// (Welford) so that timestamps near 2e5 s keep their millisecond digits.
type fit struct {
	n, mx, my, cxx, cxy float64
	y0                  float64
}

func (f *fit) add(x, y float64) {
	if f.n == 0 {
		f.y0 = y
	}
	y -= f.y0
	f.n++
	dx := x - f.mx
	f.mx += dx / f.n
	f.my += (y - f.my) / f.n
	f.cxx += dx * (x - f.mx)
	f.cxy += dx * (y - f.my)
}

// Info describes the recording.
func (r *Reader) Info() *formats.Info { return &r.info }

// ReadSamples fills dst[c][i] with channel c's sample start+i in SI units
// (or unscaled, for an unknown Options.Unit). It seeks to the indexed row
// at or before start, or continues from where the previous read ended
// when that is nearer, and parses forward.
func (r *Reader) ReadSamples(dst [][]float64, start, stop int64) error {
	if err := formats.CheckRange(&r.info, dst, start, stop); err != nil {
		return err
	}
	for _, t := range r.tables {
		if err := t.read(dst, nil, start, stop); err != nil {
			return err
		}
	}
	return nil
}

// ReadTimes fills dst[i] with the TimeColumn value of sample start+i, in
// the file's units (seconds, unscaled). It returns an error when the
// reader has no time column or the range is outside [0, NSamples], and
// panics when len(dst) != stop-start.
func (r *Reader) ReadTimes(dst []float64, start, stop int64) error {
	if r.time == nil {
		return errors.New("text: ReadTimes: the reader has no time column (Options.TimeColumn)")
	}
	if stop >= start && int64(len(dst)) != stop-start {
		panic(fmt.Sprintf("text: dst has length %d, want %d", len(dst), stop-start))
	}
	if start < 0 || stop < start || stop > r.info.NSamples {
		return fmt.Errorf("text: sample range [%d, %d) outside [0, %d)", start, stop, r.info.NSamples)
	}
	return r.time.read(nil, dst, start, stop)
}

// Close closes the files Open or OpenChannels opened.
func (r *Reader) Close() error {
	var first error
	for _, t := range r.tables {
		if t.closer != nil {
			if err := t.closer.Close(); err != nil && first == nil {
				first = err
			}
			t.closer = nil
		}
	}
	return first
}
