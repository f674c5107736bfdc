// Package szcore reads and writes SzCORE seizure annotation files: the
// BIDS events TSV with HED-SCORE seizure types that the SzCORE framework
// (szcore-evaluation, epilepsy2bids) uses for references and detector
// output, and lists the annotation files of an SzCORE/BIDS dataset.
//
// A file has a header row naming its columns and one row per event:
//
//		onset	duration	eventType	confidence	channels	dateTime	recordingDuration
//		296.00	40.00	sz_foc_ia	n/a	n/a	2000-01-01 00:00:00	3600.00
//
//	  - onset, duration: seconds from the start of the recording; required,
//	    finite, not negative.
//	  - eventType: "bckg" or a seizure type of the HED-SCORE vocabulary
//	    epilepsy2bids defines (bids/events.json "Levels"): "sz", "sz_foc",
//	    "sz_foc_ia_m_automatisms", "sz_gen_m_tonicClonic", … (EventTypes lists
//	    them; the names use underscores). Every type but bckg is a seizure.
//	    A value outside the vocabulary is an error: epilepsy2bids 0.0.x fails
//	    on it (KeyError) or, in later revisions, silently drops the row, and
//	    neither should pass unnoticed.
//	  - confidence: 0…1, or n/a.
//	  - channels: comma-separated channel names, or n/a.
//	  - dateTime: start of the recording, "YYYY-MM-DD HH:MM:SS" (wall clock,
//	    read as UTC), or n/a.
//	  - recordingDuration: seconds, or n/a. szcore-evaluation takes the
//	    recording's length from the first row, so a file for scoring needs at
//	    least one row with it; a seizure-free recording is one bckg row
//	    spanning it.
//
// Columns may come in any order; only onset, duration and eventType are
// required, a missing optional column reads as n/a, and other columns (BIDS
// allows extra ones) are ignored. Blank lines are skipped, a UTF-8 byte-order
// mark and CRLF line ends are accepted. Errors are *formats.Error naming the
// file, the byte offset, the line and the column.
//
// Write always writes the seven columns in the order above, numbers as the
// shortest decimal that reads back to the same float64 (epilepsy2bids
// rounds to two decimals; this keeps detector output exact), so Read(Write(x))
// returns x.
package szcore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/neurostream/neurostream/formats"
)

// Event is one row of an SzCORE annotation file.
type Event struct {
	// Onset is seconds from the start of the recording.
	Onset float64
	// Duration is in seconds.
	Duration float64
	// EventType is Background or a seizure type (see EventTypes).
	EventType string
	// Confidence is in [0, 1]; NaN for n/a.
	Confidence float64
	// Channels are the channels the event is seen on; nil for n/a.
	Channels []string
	// DateTime is the start of the recording, to the second; the zero Time
	// for n/a.
	DateTime time.Time
	// RecordingDuration is the recording's length in seconds; NaN for n/a.
	RecordingDuration float64
}

// Offset returns Onset + Duration.
func (e Event) Offset() float64 { return e.Onset + e.Duration }

// Columns are the SzCORE columns in the order Write writes them.
var Columns = []string{"onset", "duration", "eventType", "confidence", "channels", "dateTime", "recordingDuration"}

// DateTimeLayout is the dateTime column's format.
const DateTimeLayout = "2006-01-02 15:04:05"

// NA is the BIDS spelling of a missing value.
const NA = "n/a"

// Background is the eventType of seizure-free spans.
const Background = "bckg"

// Seizure is the eventType of an unclassified seizure.
const Seizure = "sz"

// seizureTypes are the HED-SCORE seizure levels of epilepsy2bids'
// bids/events.json, in its order, bckg excluded.
var seizureTypes = []string{
	"sz",
	"sz_foc",
	"sz_foc_a", "sz_foc_a_m", "sz_foc_a_m_automatisms", "sz_foc_a_m_atonic", "sz_foc_a_m_clonic",
	"sz_foc_a_m_spasms", "sz_foc_a_m_hyperkinetic", "sz_foc_a_m_myoclonic", "sz_foc_a_m_tonic",
	"sz_foc_a_nm", "sz_foc_a_nm_autonomic", "sz_foc_a_nm_behavior", "sz_foc_a_nm_cognitive",
	"sz_foc_a_nm_emotional", "sz_foc_a_nm_sensory", "sz_foc_a_um",
	"sz_foc_ia", "sz_foc_ia_m", "sz_foc_ia_m_automatisms", "sz_foc_ia_m_atonic", "sz_foc_ia_m_clonic",
	"sz_foc_ia_m_spasms", "sz_foc_ia_m_hyperkinetic", "sz_foc_ia_m_myoclonic", "sz_foc_ia_m_tonic",
	"sz_foc_ia_nm", "sz_foc_ia_nm_autonomic", "sz_foc_ia_nm_behavior", "sz_foc_ia_nm_cognitive",
	"sz_foc_ia_nm_emotional", "sz_foc_ia_nm_sensory", "sz_foc_ia_um",
	"sz_foc_ua_m", "sz_foc_ua_m_automatisms", "sz_foc_ua_m_atonic", "sz_foc_ua_m_clonic",
	"sz_foc_ua_m_spasms", "sz_foc_ua_m_hyperkinetic", "sz_foc_ua_m_myoclonic", "sz_foc_ua_m_tonic",
	"sz_foc_ua_nm", "sz_foc_ua_nm_autonomic", "sz_foc_ua_nm_behavior", "sz_foc_ua_nm_cognitive",
	"sz_foc_ua_nm_emotional", "sz_foc_ua_nm_sensory", "sz_foc_ua_um",
	"sz_foc_f2b",
	"sz_gen", "sz_gen_m", "sz_gen_m_tonicClonic", "sz_gen_m_clonic", "sz_gen_m_tonic", "sz_gen_m_myoTC",
	"sz_gen_m_myoAtonic", "sz_gen_m_atonic", "sz_gen_m_spasms",
	"sz_gen_nm", "sz_gen_nm_typical", "sz_gen_nm_atypical", "sz_gen_nm_myoclonic", "sz_gen_nm_eyelidMyio",
	"sz_uo", "sz_uo_m", "sz_uo_m_tonicClonic", "sz_uo_m_spasms", "sz_uo_nm", "sz_uo_nm_behavior",
}

var seizureSet = func() map[string]bool {
	m := make(map[string]bool, len(seizureTypes))
	for _, t := range seizureTypes {
		m[t] = true
	}
	return m
}()

// EventTypes returns the vocabulary: Background, then the seizure types.
func EventTypes() []string { return append([]string{Background}, seizureTypes...) }

// IsSeizure reports whether eventType is one of the seizure types.
func IsSeizure(eventType string) bool { return seizureSet[eventType] }

// KnownEventType reports whether eventType is in the vocabulary.
func KnownEventType(eventType string) bool {
	return eventType == Background || seizureSet[eventType]
}

// ReadFile reads the annotation file at path.
func ReadFile(path string) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &formats.Error{File: path, Offset: -1, Err: err}
	}
	defer f.Close()
	return Read(f, path)
}

// maxLine bounds one row, so a binary file cannot make Read buffer without
// limit.
const maxLine = 1 << 20

// Read reads an annotation file from r; name is used in errors.
func Read(r io.Reader, name string) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	var (
		line   int
		offset int64 // of the current line
		next   int64
		cols   map[string]int // column name -> index
		ncols  int
		events []Event
	)
	errAt := func(off int64, field, msg string) error {
		return &formats.Error{File: name, Offset: off, Field: field, Msg: msg}
	}
	for sc.Scan() {
		raw := sc.Bytes()
		line++
		offset = next
		next += int64(len(raw)) + 1
		b := raw
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
			offset += int64(len(raw) - len(b))
		}
		b = bytes.TrimSuffix(b, []byte("\r"))
		if len(bytes.TrimSpace(b)) == 0 {
			if line == 1 {
				return nil, errAt(offset, "line 1", "empty header; expected onset, duration, eventType, …")
			}
			continue
		}
		if !utf8Valid(b) {
			return nil, errAt(offset, fmt.Sprintf("line %d", line), "is not UTF-8 text")
		}
		fields := strings.Split(string(b), "\t")
		if cols == nil {
			var err error
			if cols, err = header(fields); err != nil {
				return nil, errAt(offset, "line 1", err.Error())
			}
			ncols = len(fields)
			continue
		}
		if len(fields) != ncols {
			return nil, errAt(offset, fmt.Sprintf("line %d", line),
				fmt.Sprintf("has %d tab-separated fields, the header %d", len(fields), ncols))
		}
		ev, col, msg := parseRow(fields, cols)
		if msg != "" {
			off := offset
			for _, f := range fields[:col] {
				off += int64(len(f)) + 1
			}
			return nil, errAt(off, fmt.Sprintf("line %d, column %d (%s)", line, col+1, columnName(cols, col)), msg)
		}
		events = append(events, ev)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, errAt(next, fmt.Sprintf("line %d", line+1), fmt.Sprintf("is longer than %d bytes", maxLine))
		}
		return nil, &formats.Error{File: name, Offset: next, Err: err}
	}
	if cols == nil {
		return nil, errAt(0, "line 1", "no header; expected onset, duration, eventType, …")
	}
	return events, nil
}

func utf8Valid(b []byte) bool {
	return strings.ToValidUTF8(string(b), "\uFFFD") == string(b)
}

// header maps the known column names to their indices.
func header(fields []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, f := range fields {
		if f == "" {
			return nil, fmt.Errorf("column %d has no name", i+1)
		}
		if _, dup := cols[f]; dup {
			return nil, fmt.Errorf("column %q appears twice", f)
		}
		cols[f] = i
	}
	for _, req := range Columns[:3] {
		if _, ok := cols[req]; !ok {
			return nil, fmt.Errorf("no %q column (have %s); SzCORE files have %s",
				req, strings.Join(fields, ", "), strings.Join(Columns, ", "))
		}
	}
	return cols, nil
}

func columnName(cols map[string]int, i int) string {
	for name, j := range cols {
		if j == i {
			return name
		}
	}
	return "?"
}

// parseRow parses one data row. On failure it returns the index of the bad
// field and what is wrong with it.
func parseRow(fields []string, cols map[string]int) (Event, int, string) {
	ev := Event{Confidence: math.NaN(), RecordingDuration: math.NaN()}
	get := func(name string) (string, int, bool) {
		i, ok := cols[name]
		if !ok {
			return "", -1, false
		}
		return fields[i], i, true
	}
	var msg string
	num := func(name string, optional bool) (float64, int) {
		s, i, ok := get(name)
		if !ok {
			return math.NaN(), -1
		}
		if optional && s == NA {
			return math.NaN(), -1
		}
		v, m := parseNumber(s)
		if m == "" && v < 0 {
			m = fmt.Sprintf("%q is negative", s)
		}
		if m != "" {
			msg = m
			return 0, i
		}
		return v, -1
	}
	var bad int
	if ev.Onset, bad = num("onset", false); bad >= 0 {
		return ev, bad, msg
	}
	if ev.Duration, bad = num("duration", false); bad >= 0 {
		return ev, bad, msg
	}
	s, i, _ := get("eventType")
	if !KnownEventType(s) {
		return ev, i, fmt.Sprintf("%q is not an SzCORE event type (bckg, sz, sz_foc, sz_foc_ia, sz_gen, … with underscores; see szcore.EventTypes)", s)
	}
	ev.EventType = s
	if ev.Confidence, bad = num("confidence", true); bad >= 0 {
		return ev, bad, msg
	}
	if ev.Confidence > 1 {
		_, i, _ := get("confidence")
		return ev, i, fmt.Sprintf("%q is above 1; confidence is in [0, 1]", fields[i])
	}
	if s, i, ok := get("channels"); ok && s != NA {
		ev.Channels = strings.Split(s, ",")
		if slices.Contains(ev.Channels, "") {
			return ev, i, fmt.Sprintf("%q has an empty channel name", s)
		}
	}
	if s, i, ok := get("dateTime"); ok && s != NA {
		t, err := time.Parse(DateTimeLayout, s)
		if err != nil || t.Format(DateTimeLayout) != s {
			return ev, i, fmt.Sprintf("%q is not a date-time %q or n/a", s, "YYYY-MM-DD HH:MM:SS")
		}
		ev.DateTime = t
	}
	if ev.RecordingDuration, bad = num("recordingDuration", true); bad >= 0 {
		return ev, bad, msg
	}
	return ev, -1, ""
}

// parseNumber parses a finite decimal number. NaN, Inf, hexadecimal and
// underscore forms, which strconv accepts, are refused.
func parseNumber(s string) (float64, string) {
	if s == "" {
		return 0, "is empty; expected a number"
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E') {
			return 0, fmt.Sprintf("%q is not a number", s)
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, fmt.Sprintf("%q is outside the float64 range", s)
		}
		return 0, fmt.Sprintf("%q is not a number", s)
	}
	return v, ""
}

// WriteFile writes events to path (see Write).
func WriteFile(path string, events []Event) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := Write(f, events); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// Write writes events as an SzCORE annotation file: the header and one row
// per event, in the order given. It refuses, before writing anything, an
// empty list (the file would not carry the recording's duration; write one
// Background row spanning the recording instead) and values Read would
// reject: negative or non-finite onset, duration or recording duration, an
// unknown event type, confidence outside [0, 1], channel names that are
// empty or hold a tab, comma or line break. DateTime is written to the
// second, as its wall clock.
func Write(w io.Writer, events []Event) error {
	if len(events) == 0 {
		return errors.New("szcore: no events; a seizure-free recording is one bckg row spanning it")
	}
	for i, e := range events {
		if err := check(e); err != nil {
			return fmt.Errorf("szcore: event %d: %w", i, err)
		}
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(strings.Join(Columns, "\t"))
	bw.WriteByte('\n')
	for _, e := range events {
		bw.WriteString(formatNumber(e.Onset))
		bw.WriteByte('\t')
		bw.WriteString(formatNumber(e.Duration))
		bw.WriteByte('\t')
		bw.WriteString(e.EventType)
		bw.WriteByte('\t')
		bw.WriteString(formatNumber(e.Confidence))
		bw.WriteByte('\t')
		if len(e.Channels) == 0 {
			bw.WriteString(NA)
		} else {
			bw.WriteString(strings.Join(e.Channels, ","))
		}
		bw.WriteByte('\t')
		if e.DateTime.IsZero() {
			bw.WriteString(NA)
		} else {
			bw.WriteString(e.DateTime.Format(DateTimeLayout))
		}
		bw.WriteByte('\t')
		bw.WriteString(formatNumber(e.RecordingDuration))
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func check(e Event) error {
	for _, f := range []struct {
		name string
		v    float64
		na   bool
	}{{"onset", e.Onset, false}, {"duration", e.Duration, false}, {"recordingDuration", e.RecordingDuration, true}} {
		if f.na && math.IsNaN(f.v) {
			continue
		}
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return fmt.Errorf("%s %v: must be finite and not negative", f.name, f.v)
		}
	}
	if !KnownEventType(e.EventType) {
		return fmt.Errorf("eventType %q is not in the SzCORE vocabulary", e.EventType)
	}
	if !math.IsNaN(e.Confidence) && !(e.Confidence >= 0 && e.Confidence <= 1) {
		return fmt.Errorf("confidence %v outside [0, 1]", e.Confidence)
	}
	for _, c := range e.Channels {
		if c == "" || strings.ContainsAny(c, "\t,\n") || !utf8Valid([]byte(c)) {
			return fmt.Errorf("channel name %q cannot be written (empty, or holds a tab, comma or newline)", c)
		}
	}
	if len(e.Channels) == 1 && e.Channels[0] == NA {
		return fmt.Errorf("a lone channel named %q would read back as no channels", NA)
	}
	if !e.DateTime.IsZero() && (e.DateTime.Year() < 0 || e.DateTime.Year() > 9999) {
		return fmt.Errorf("dateTime %v outside years 0000-9999", e.DateTime)
	}
	return nil
}

// formatNumber writes NaN as n/a and other values as the shortest decimal
// that parses back to the same float64, without an exponent.
func formatNumber(v float64) string {
	if math.IsNaN(v) {
		return NA
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// maxMaskSamples bounds a mask (over three years at 10 Hz).
const maxMaskSamples = 1 << 30

// SeizureMask returns the 1 Hz-style label mask szcore-evaluation scores,
// epilepsy2bids' Annotations.getMask(fs): int(recordingDuration·fs) samples,
// recordingDuration taken from the first row; for each seizure row (any
// type but bckg), samples int(onset·fs) up to int((onset+duration)·fs),
// clipped to the mask, are true (int truncates toward zero, as Python's
// does). szcore-evaluation calls it with fs = 1.
//
// It returns an error when there are no rows, the first row's
// recordingDuration is n/a, or the mask would exceed 2³⁰ samples.
func SeizureMask(events []Event, fs float64) ([]bool, error) {
	if !(fs > 0) {
		panic("szcore: sample rate must be positive")
	}
	if len(events) == 0 {
		return nil, errors.New("szcore: no rows, so no recording duration")
	}
	rd := events[0].RecordingDuration
	if math.IsNaN(rd) {
		return nil, errors.New("szcore: the first row's recordingDuration is n/a; it gives the recording's length")
	}
	nf := rd * fs
	if !(nf < maxMaskSamples) {
		return nil, fmt.Errorf("szcore: recordingDuration %v s at %v Hz is more than %d samples", rd, fs, maxMaskSamples)
	}
	n := int(nf)
	mask := make([]bool, n)
	for _, e := range events {
		if !IsSeizure(e.EventType) {
			continue
		}
		a, b := pySlice(n, truncIndex(e.Onset*fs, n), truncIndex((e.Onset+e.Duration)*fs, n))
		for i := a; i < b; i++ {
			mask[i] = true
		}
	}
	return mask, nil
}

// truncIndex is Python's int(x) for a slice bound into a sequence of length
// n: truncation toward zero, with values far outside [-n, n] clamped (they
// select the same elements).
func truncIndex(x float64, n int) int {
	switch {
	case math.IsNaN(x):
		return 0
	case x >= float64(n):
		return n
	case x <= -2*float64(n)-1:
		return -2*n - 1
	}
	return int(x)
}

// pySlice returns the bounds [a, b) that the Python slice x[a:b] selects in
// a sequence of length n.
func pySlice(n, a, b int) (int, int) {
	clip := func(i int) int {
		if i < 0 {
			i += n
			if i < 0 {
				i = 0
			}
		}
		return min(i, n)
	}
	a, b = clip(a), clip(b)
	return a, max(a, b)
}
