package szcore

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/neurostream/neurostream/formats"
)

const tsvHeader = "onset\tduration\teventType\tconfidence\tchannels\tdateTime\trecordingDuration\n"

// sameEvent compares events, NaN equal to NaN and nil channels equal to
// empty ones.
func sameEvent(a, b Event) bool {
	eq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	return eq(a.Onset, b.Onset) && eq(a.Duration, b.Duration) && a.EventType == b.EventType &&
		eq(a.Confidence, b.Confidence) && slices.Equal(a.Channels, b.Channels) &&
		a.DateTime.Equal(b.DateTime) && eq(a.RecordingDuration, b.RecordingDuration)
}

func TestRead(t *testing.T) {
	// The rows szcore-evaluation's tests write (make_tsv), and
	// epilepsy2bids' saveTsv layout with two-decimal numbers.
	in := "\ufeff" + tsvHeader +
		"10\t5\tsz\t1.0\tn/a\t2000-01-01 00:00:00\t60\r\n" +
		"\n" +
		"296.00\t40.50\tsz_foc_ia_m_automatisms\tn/a\tFp1-F7,F7-T7\t2023-11-30 23:59:58\t3600.00\n"
	got, err := Read(strings.NewReader(in), "ref.tsv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Onset: 10, Duration: 5, EventType: "sz", Confidence: 1, DateTime: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), RecordingDuration: 60},
		{Onset: 296, Duration: 40.5, EventType: "sz_foc_ia_m_automatisms", Confidence: math.NaN(),
			Channels: []string{"Fp1-F7", "F7-T7"}, DateTime: time.Date(2023, 11, 30, 23, 59, 58, 0, time.UTC), RecordingDuration: 3600},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameEvent(got[i], want[i]) {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestReadColumnsAnyOrderAndOptional(t *testing.T) {
	in := "eventType\ttrial_type\tduration\tonset\n" + "bckg\tx\t60\t0\n" + "sz_gen\ty\t3\t12.5\n"
	got, err := Read(strings.NewReader(in), "min.tsv")
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{Onset: 0, Duration: 60, EventType: "bckg", Confidence: math.NaN(), RecordingDuration: math.NaN()},
		{Onset: 12.5, Duration: 3, EventType: "sz_gen", Confidence: math.NaN(), RecordingDuration: math.NaN()},
	}
	for i := range want {
		if !sameEvent(got[i], want[i]) {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, err := SeizureMask(got, 1); err == nil {
		t.Error("SeizureMask without recordingDuration: no error")
	}
}

func TestReadErrors(t *testing.T) {
	row := func(fields ...string) string { return strings.Join(fields, "\t") + "\n" }
	ok := []string{"1", "2", "sz", "0.5", "Cz", "2000-01-01 00:00:00", "10"}
	with := func(i int, v string) string {
		f := slices.Clone(ok)
		f[i] = v
		return row(f...)
	}
	for _, c := range []struct {
		name, in string
		want     []string // substrings of the error
	}{
		{"empty file", "", []string{"f.tsv", "no header"}},
		{"blank header", "\n", []string{"line 1", "empty header"}},
		{"missing eventType column", "onset\tduration\n1\t2\n", []string{"line 1", `no "eventType" column`}},
		{"duplicate column", "onset\tduration\teventType\tonset\n", []string{"line 1", `"onset" appears twice`}},
		{"field count", tsvHeader + "1\t2\tsz\n", []string{"line 2", "3 tab-separated fields, the header 7"}},
		{"bad onset", tsvHeader + with(0, "1,5"), []string{"f.tsv: byte 72: line 2, column 1 (onset)", `"1,5" is not a number`}},
		{"negative duration", tsvHeader + with(1, "-2"), []string{"line 2, column 2 (duration)", "negative"}},
		{"nan onset", tsvHeader + with(0, "nan"), []string{"column 1 (onset)", "not a number"}},
		{"n/a onset", tsvHeader + with(0, "n/a"), []string{"column 1 (onset)", `"n/a" is not a number`}},
		{"unknown type", tsvHeader + with(2, "seizure"), []string{"line 2, column 3 (eventType)", `"seizure" is not an SzCORE event type`}},
		{"hyphenated type", tsvHeader + with(2, "sz-foc"), []string{"column 3 (eventType)"}},
		{"confidence above 1", tsvHeader + with(3, "1.5"), []string{"column 4 (confidence)", "above 1"}},
		{"empty channel", tsvHeader + with(4, "Cz,,Pz"), []string{"column 5 (channels)", "empty channel name"}},
		{"bad date", tsvHeader + with(5, "2000-01-01T00:00:00"), []string{"column 6 (dateTime)"}},
		{"fractional date", tsvHeader + with(5, "2000-01-01 00:00:00.5"), []string{"column 6 (dateTime)"}},
		{"empty recordingDuration", tsvHeader + with(6, ""), []string{"line 2, column 7 (recordingDuration)", "empty"}},
		{"third line", tsvHeader + row(ok...) + with(6, "1e999"), []string{"line 3, column 7", "outside the float64 range"}},
		{"not utf-8", tsvHeader + "1\t2\tsz\t0.5\t\xff\t2000-01-01 00:00:00\t10\n", []string{"line 2", "UTF-8"}},
	} {
		_, err := Read(strings.NewReader(c.in), "f.tsv")
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		var fe *formats.Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: error %T is not *formats.Error", c.name, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
}

// TestErrorOffset checks that the byte offset points at the bad field.
func TestErrorOffset(t *testing.T) {
	in := tsvHeader + "1\t2\tsz\t0.5\tCz\tyesterday\t10\n"
	_, err := Read(strings.NewReader(in), "f.tsv")
	var fe *formats.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v", err)
	}
	if got := in[fe.Offset:]; !strings.HasPrefix(got, "yesterday") {
		t.Errorf("offset %d points at %q", fe.Offset, got)
	}
}

func TestWriteExact(t *testing.T) {
	events := []Event{
		{Onset: 0.1, Duration: 1.0 / 3, EventType: "sz_foc", Confidence: 0.875, Channels: []string{"Fp1", "Fp2"},
			DateTime: time.Date(2024, 2, 29, 13, 5, 9, 0, time.UTC), RecordingDuration: 86400},
		{Onset: 100, Duration: 0, EventType: Background, Confidence: math.NaN(), RecordingDuration: math.NaN()},
	}
	var b bytes.Buffer
	if err := Write(&b, events); err != nil {
		t.Fatal(err)
	}
	want := tsvHeader +
		"0.1\t0.3333333333333333\tsz_foc\t0.875\tFp1,Fp2\t2024-02-29 13:05:09\t86400\n" +
		"100\t0\tbckg\tn/a\tn/a\tn/a\tn/a\n"
	if b.String() != want {
		t.Errorf("Write =\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteRefuses(t *testing.T) {
	good := Event{Onset: 1, Duration: 2, EventType: "sz", Confidence: math.NaN(), RecordingDuration: 10}
	for _, c := range []struct {
		name string
		mod  func(*Event)
	}{
		{"negative onset", func(e *Event) { e.Onset = -1 }},
		{"infinite duration", func(e *Event) { e.Duration = math.Inf(1) }},
		{"NaN onset", func(e *Event) { e.Onset = math.NaN() }},
		{"unknown type", func(e *Event) { e.EventType = "spike" }},
		{"confidence", func(e *Event) { e.Confidence = -0.1 }},
		{"comma in channel", func(e *Event) { e.Channels = []string{"a,b"} }},
		{"tab in channel", func(e *Event) { e.Channels = []string{"a\tb"} }},
		{"empty channel", func(e *Event) { e.Channels = []string{"a", ""} }},
		{"lone n/a channel", func(e *Event) { e.Channels = []string{"n/a"} }},
	} {
		e := good
		c.mod(&e)
		var b bytes.Buffer
		if err := Write(&b, []Event{good, e}); err == nil {
			t.Errorf("%s: no error", c.name)
		} else if b.Len() != 0 {
			t.Errorf("%s: wrote %d bytes before failing", c.name, b.Len())
		}
	}
	if err := Write(&bytes.Buffer{}, nil); err == nil || !strings.Contains(err.Error(), "bckg") {
		t.Errorf("no events: %v", err)
	}
}

// randomEvent draws an event from the whole value space Write accepts.
func randomEvent(rng *rand.Rand) Event {
	types := EventTypes()
	e := Event{
		Onset:             rng.Float64() * math.Pow(10, float64(rng.IntN(8))),
		Duration:          math.Round(rng.Float64()*1e4) / 100,
		EventType:         types[rng.IntN(len(types))],
		Confidence:        math.NaN(),
		RecordingDuration: math.NaN(),
	}
	if rng.IntN(2) == 0 {
		e.Confidence = rng.Float64()
	}
	if rng.IntN(2) == 0 {
		e.RecordingDuration = float64(rng.IntN(100000)) / 8
	}
	if rng.IntN(2) == 0 {
		e.DateTime = time.Unix(rng.Int64N(4e9), 0).UTC()
	}
	for range rng.IntN(4) {
		e.Channels = append(e.Channels, []string{"Fp1", "T8-P8", "EEG Cz-Ref", "n/a", "Ünï"}[rng.IntN(5)])
	}
	return e
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		events := make([]Event, 1+rng.IntN(20))
		for i := range events {
			events[i] = randomEvent(rng)
			if len(events[i].Channels) == 1 && events[i].Channels[0] == NA {
				events[i].Channels = nil
			}
		}
		var b bytes.Buffer
		if err := Write(&b, events); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		text := b.String()
		got, err := Read(&b, "rt.tsv")
		if err != nil {
			t.Fatalf("trial %d: %v\n%s", trial, err, text)
		}
		if len(got) != len(events) {
			t.Fatalf("trial %d: %d events back, wrote %d", trial, len(got), len(events))
		}
		for i := range events {
			if !sameEvent(got[i], events[i]) {
				t.Fatalf("trial %d event %d: read %+v, wrote %+v", trial, i, got[i], events[i])
			}
		}
		// A canonical file is a fixed point: writing what was read gives
		// the same bytes.
		var again bytes.Buffer
		if err := Write(&again, got); err != nil || again.String() != text {
			t.Fatalf("trial %d: rewrite differs (%v)", trial, err)
		}
	}
}

func TestSeizureMask(t *testing.T) {
	events := []Event{
		{Onset: 0, Duration: 10.7, EventType: Background, RecordingDuration: 10.7},
		{Onset: 2.9, Duration: 3.2, EventType: "sz"},         // int(2.9)=2 .. int(6.1)=6
		{Onset: 8.5, Duration: 5, EventType: "sz_uo"},        // 8 .. int(13.5)=13, clipped to 10
		{Onset: 0.2, Duration: 0.5, EventType: "sz_foc_f2b"}, // 0 .. int(0.7)=0: nothing
		{Onset: 4, Duration: 3, EventType: Background},       // bckg is never a seizure
	}
	mask, err := SeizureMask(events, 1)
	if err != nil {
		t.Fatal(err)
	}
	var got strings.Builder
	for _, v := range mask {
		got.WriteByte("01"[b2i(v)])
	}
	if want := "0011110011"; got.String() != want {
		t.Errorf("mask = %s, want %s", got.String(), want)
	}
	// At 4 Hz: int(10.7*4)=42 samples; sz at int(11.6)=11 .. int(24.4)=24.
	mask4, err := SeizureMask(events[:2], 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(mask4) != 42 || mask4[10] || !mask4[11] || !mask4[23] || mask4[24] {
		t.Errorf("4 Hz mask wrong: len %d, %v", len(mask4), mask4)
	}
	if _, err := SeizureMask(nil, 1); err == nil {
		t.Error("no rows: no error")
	}
	if _, err := SeizureMask([]Event{{EventType: "sz", RecordingDuration: 1e12}}, 1); err == nil {
		t.Error("huge recording: no error")
	}
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

func TestVocabulary(t *testing.T) {
	types := EventTypes()
	if types[0] != Background || len(types) != 71 {
		t.Errorf("EventTypes: %d types starting %q", len(types), types[0])
	}
	for _, ty := range types[1:] {
		if !IsSeizure(ty) || !strings.HasPrefix(ty, "sz") {
			t.Errorf("%q: not a seizure type", ty)
		}
	}
	if IsSeizure(Background) || !KnownEventType(Background) || KnownEventType("sz_gen:") || IsSeizure("SZ") {
		t.Error("bckg, sz_gen: or SZ misclassified")
	}
	if sorted := slices.Sorted(slices.Values(types)); len(slices.Compact(sorted)) != len(types) {
		t.Error("duplicate event types")
	}
}

func TestListDataset(t *testing.T) {
	fsys := fstest.MapFS{
		"participants.tsv": {},
		"sub-02/ses-01/eeg/sub-02_ses-01_task-szMonitoring_run-00_events.tsv":   {},
		"sub-02/ses-01/eeg/sub-02_ses-01_task-szMonitoring_run-00_eeg.edf":      {},
		"sub-02/ses-01/eeg/sub-02_ses-01_task-szMonitoring_run-00_channels.tsv": {},
		"sub-02/ses-01/sub-02_ses-01_scans.tsv":                                 {},
		"sub-01/rec.tsv":                                                        {},
		"sub-01/ses-02/eeg/b_events.tsv":                                        {},
		"sub-01/ses-01/eeg/a_events.tsv":                                        {},
		"sub-03/anat/T1w.nii":                                                   {},
		"derivatives/sub-01/x_events.tsv":                                       {},
	}
	got, err := ListDataset(fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []Subject{
		{"sub-01", []string{"sub-01/rec.tsv", "sub-01/ses-01/eeg/a_events.tsv", "sub-01/ses-02/eeg/b_events.tsv"}},
		{"sub-02", []string{"sub-02/ses-01/eeg/sub-02_ses-01_task-szMonitoring_run-00_events.tsv"}},
		{"sub-03", nil},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || !slices.Equal(got[i].Files, want[i].Files) {
			t.Errorf("subject %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// FuzzRead checks that Read never panics and that whatever it accepts is
// written back and read again unchanged.
func FuzzRead(f *testing.F) {
	f.Add([]byte(tsvHeader + "10\t5\tsz\t1.0\tn/a\t2000-01-01 00:00:00\t60\n"))
	f.Add([]byte(tsvHeader + "0\t60\tbckg\tn/a\tn/a\tn/a\t60\n"))
	f.Add([]byte("eventType\tonset\tduration\tx\nsz_gen_m_myoTC\t1e2\t.5\t\n"))
	f.Add([]byte("\ufeffonset\tduration\teventType\tchannels\r\n1\t2\tsz_foc\tA,B\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		events, err := Read(bytes.NewReader(data), "fuzz.tsv")
		if err != nil {
			var fe *formats.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %T is not *formats.Error: %v", err, err)
			}
			return
		}
		if len(events) == 0 {
			return
		}
		var b bytes.Buffer
		if err := Write(&b, events); err != nil {
			t.Fatalf("Write refuses what Read accepted: %v", err)
		}
		again, err := Read(&b, "rewrite.tsv")
		if err != nil {
			t.Fatalf("reading the rewrite: %v", err)
		}
		if len(again) != len(events) {
			t.Fatalf("%d events back, wrote %d", len(again), len(events))
		}
		for i := range events {
			if !sameEvent(again[i], events[i]) {
				t.Fatalf("event %d: %+v became %+v", i, events[i], again[i])
			}
		}
		if rd := events[0].RecordingDuration; rd <= 1e6 { // false for NaN
			mask, err := SeizureMask(events, 1)
			if err != nil || len(mask) != int(rd) {
				t.Fatalf("SeizureMask: %d samples for %v s, %v", len(mask), rd, err)
			}
		}
	})
}
