package edf

import (
	"bytes"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
	"github.com/neurostream/neurostream/simulate"
)

// seekBuffer is an in-memory io.WriteSeeker.
type seekBuffer struct {
	b   []byte
	pos int
}

func (s *seekBuffer) Write(p []byte) (int, error) {
	if end := s.pos + len(p); end > len(s.b) {
		s.b = append(s.b, make([]byte, end-len(s.b))...)
	}
	n := copy(s.b[s.pos:], p)
	s.pos += n
	return n, nil
}

func (s *seekBuffer) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		s.pos = int(off)
	case io.SeekCurrent:
		s.pos += int(off)
	case io.SeekEnd:
		s.pos = len(s.b) + int(off)
	}
	return int64(s.pos), nil
}

// testSignal is a deterministic test signal in channel c's unit.
func testSignal(c int, i int64, rate float64) float64 {
	t := float64(i) / rate
	switch c {
	case 0:
		return 50e-6*math.Sin(2*math.Pi*10*t) + 10e-6*math.Cos(2*math.Pi*3.3*t)
	case 1:
		return 1e-3 * math.Sin(2*math.Pi*1.7*t)
	case 2:
		return 20 + 5*math.Sin(2*math.Pi*0.3*t) // degC
	default:
		return float64((i / 25) % 4) // trigger codes
	}
}

var roundTripChannels = []formats.Channel{
	{Label: "Fp1", Type: formats.EEG, Unit: "V", SampleRate: 256},
	{Label: "ECG", Type: formats.EEG, Unit: "V", SampleRate: 256},
	{Label: "Temp", Type: formats.Misc, Unit: "degC", SampleRate: 256},
	{Label: "Status", Type: formats.Stim, Unit: "", SampleRate: 256},
}

var roundTripAnnotations = []formats.Annotation{
	{Onset: -0.5, Duration: 1, Description: "before start"},
	{Onset: 0, Duration: 0, Description: "start"},
	{Onset: 1.25, Duration: 0.5, Description: "仰卧 — UTF-8"},
	{Onset: 1.25, Duration: 0.5, Description: "same time"},
	{Onset: 2.123456, Duration: 0, Description: "microseconds"},
	{Onset: 2.75, Duration: 3, Description: "past the end"},
}

func writeTestFile(t testing.TB, w io.Writer, nrec int64, header int64, start time.Time, chans []formats.Channel, anns []formats.Annotation) {
	t.Helper()
	h := WriterHeader{
		Patient: "Jane Doe", Recording: "neurostream test", Start: start,
		RecordDuration: 0.5, NRecords: header, Channels: chans, Annotations: anns,
	}
	for _, ch := range chans {
		switch ch.Unit {
		case "V":
			h.PhysMin = append(h.PhysMin, -3.2768e-3)
			h.PhysMax = append(h.PhysMax, 3.2767e-3)
		case "":
			h.PhysMin = append(h.PhysMin, -32768)
			h.PhysMax = append(h.PhysMax, 32767)
		default:
			h.PhysMin = append(h.PhysMin, -100)
			h.PhysMax = append(h.PhysMax, 100)
		}
	}
	wr, err := NewWriter(w, h)
	if err != nil {
		t.Fatal(err)
	}
	data := make([][]float64, len(chans))
	for rec := int64(0); rec < nrec; rec++ {
		for c, ch := range chans {
			n := int64(ch.SampleRate * h.RecordDuration)
			data[c] = data[c][:0]
			for i := rec * n; i < (rec+1)*n; i++ {
				data[c] = append(data[c], testSignal(c, i, ch.SampleRate))
			}
		}
		if err := wr.WriteRecord(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := wr.Close(); err != nil {
		t.Fatal(err)
	}
}

// quantum is the largest rounding error of channel c as written.
func quantum(c int) float64 {
	switch c {
	case 0, 1:
		return 0.5 * 0.1e-6
	case 2:
		return 0.5 * 200.0 / 65535
	}
	return 0
}

// wantAnnotations is what MNE keeps of roundTripAnnotations in a 3 s
// recording: sorted, then clipped to [0, 3] (clipping keeps the order).
var wantAnnotations = []formats.Annotation{
	{Onset: 0, Duration: 0.5, Description: "before start"},
	{Onset: 0, Duration: 0, Description: "start"},
	{Onset: 1.25, Duration: 0.5, Description: "仰卧 — UTF-8"},
	{Onset: 1.25, Duration: 0.5, Description: "same time"},
	{Onset: 2.123456, Duration: 0, Description: "microseconds"},
	{Onset: 2.75, Duration: 0.25, Description: "past the end"},
}

func TestWriterRoundTrip(t *testing.T) {
	start := time.Date(2024, 3, 5, 10, 20, 30, 0, time.UTC)
	for _, mode := range []string{"NRecords", "seek"} {
		t.Run(mode, func(t *testing.T) {
			var b []byte
			if mode == "NRecords" {
				var buf bytes.Buffer
				writeTestFile(t, &buf, 6, 6, start, roundTripChannels, roundTripAnnotations)
				b = buf.Bytes()
			} else {
				var sb seekBuffer
				writeTestFile(t, &sb, 6, 0, start, roundTripChannels, roundTripAnnotations)
				b = sb.b
			}
			r := open(t, b, "rt.edf")
			info := r.Info()
			if info.Format != "EDF+C" || info.SampleRate != 256 || info.NSamples != 768 || !info.StartTime.Equal(start) {
				t.Fatalf("format %q rate %v n %d start %v", info.Format, info.SampleRate, info.NSamples, info.StartTime)
			}
			if r.Header().NRecords != 6 {
				t.Errorf("header NRecords %d, want 6", r.Header().NRecords)
			}
			wantTypes := []formats.ChannelType{formats.EEG, formats.EEG, formats.EEG, formats.Stim}
			wantUnits := []string{"V", "V", "degC", ""}
			for c, ch := range info.Channels {
				if ch.Label != roundTripChannels[c].Label || ch.Type != wantTypes[c] || ch.Unit != wantUnits[c] {
					t.Errorf("channel %d = %+v", c, ch)
				}
			}
			if !equalAnns(info.Annotations, wantAnnotations) {
				t.Errorf("annotations %v\nwant %v", info.Annotations, wantAnnotations)
			}
			got := formatstest.ReadAll(t, r)
			for c := range got {
				for i, v := range got[c] {
					w := testSignal(c, int64(i), 256)
					if math.Abs(v-w) > quantum(c)*(1+1e-9) {
						t.Fatalf("channel %d sample %d = %v, wrote %v", c, i, v, w)
					}
				}
			}
		})
	}
}

// TestWriterSubsecond checks a start with a fraction of a second: it goes
// into the first time-keeping TAL and comes back in StartTime, and
// annotation onsets stay relative to the first sample.
func TestWriterSubsecond(t *testing.T) {
	start := time.Date(2024, 3, 5, 10, 20, 30, 250_000_000, time.UTC)
	var buf bytes.Buffer
	writeTestFile(t, &buf, 6, 6, start, roundTripChannels[:1], roundTripAnnotations)
	r := open(t, buf.Bytes(), "sub.edf")
	if !r.Info().StartTime.Equal(start) {
		t.Errorf("start %v, want %v", r.Info().StartTime, start)
	}
	if !equalAnns(r.Info().Annotations, wantAnnotations) {
		t.Errorf("annotations %v\nwant %v", r.Info().Annotations, wantAnnotations)
	}
}

func TestWriterErrors(t *testing.T) {
	good := func() WriterHeader {
		return WriterHeader{Start: time.Unix(0, 0), RecordDuration: 1, NRecords: 1,
			Channels: []formats.Channel{{Label: "A", Unit: "V", SampleRate: 10}},
			PhysMin:  []float64{-1}, PhysMax: []float64{1}}
	}
	for name, f := range map[string]func(*WriterHeader){
		"no range":        func(h *WriterHeader) { h.PhysMin = nil },
		"empty range":     func(h *WriterHeader) { h.PhysMax[0] = -1 },
		"long label":      func(h *WriterHeader) { h.Channels[0].Label = strings.Repeat("x", 17) },
		"tal label":       func(h *WriterHeader) { h.Channels[0].Label = "EDF Annotations" },
		"fractional rate": func(h *WriterHeader) { h.Channels[0].SampleRate = 10.5 },
		"zero duration":   func(h *WriterHeader) { h.RecordDuration = 0 },
		"long duration":   func(h *WriterHeader) { h.RecordDuration = 1.0 / 3 },
		"no seek":         func(h *WriterHeader) { h.NRecords = 0 },
		"bad annotation":  func(h *WriterHeader) { h.Annotations = []formats.Annotation{{Onset: 1, Description: "a\x14b"}} },
		"empty note":      func(h *WriterHeader) { h.Annotations = []formats.Annotation{{Onset: 1}} },
		"non-ASCII name":  func(h *WriterHeader) { h.Patient = "Zoë" },
		"coarse range": func(h *WriterHeader) {
			h.Channels[0].Unit, h.PhysMin[0], h.PhysMax[0] = "A", -1e-12, 1e-12
		},
	} {
		h := good()
		f(&h)
		if _, err := NewWriter(io.Discard, h); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	w, err := NewWriter(io.Discard, good())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRecord([][]float64{make([]float64, 9)}); err == nil {
		t.Error("short record: no error")
	}
	if err := w.WriteRecord([][]float64{{math.NaN(), 0, 0, 0, 0, 0, 0, 0, 0, 0}}); err == nil {
		t.Error("NaN: no error")
	}
	if err := w.Close(); err == nil {
		t.Error("Close after 0 of 1 records: no error")
	}
	// Seek mode with an annotation after the last record written.
	h := good()
	h.NRecords = 0
	h.Annotations = []formats.Annotation{{Onset: 5, Description: "late"}}
	w, err = NewWriter(&seekBuffer{}, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteRecord([][]float64{make([]float64, 10)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "after the last") {
		t.Errorf("late annotation: %v", err)
	}
}

// mneDump is what mneScript prints.
type mneDump struct {
	SFreq       float64     `json:"sfreq"`
	Names       []string    `json:"names"`
	Types       []string    `json:"types"`
	MeasDate    string      `json:"meas_date"`
	Data        [][]float64 `json:"data"`
	Annotations [][3]any    `json:"annotations"`
}

const mneScript = `
import sys, json
import mne
mne.set_log_level("ERROR")
out = []
for path in sys.argv[1:]:
    raw = mne.io.read_raw_edf(path, preload=True)
    out.append({
        "sfreq": raw.info["sfreq"],
        "names": raw.ch_names,
        "types": raw.get_channel_types(),
        "meas_date": raw.info["meas_date"].isoformat(),
        "data": raw.get_data().tolist(),
        "annotations": [[float(a["onset"]), float(a["duration"]), a["description"]] for a in raw.annotations],
    })
print(json.dumps(out))
`

// readWithMNE reads the files with mne.io.read_raw_edf in one Python run.
func readWithMNE(t *testing.T, paths ...string) []mneDump {
	t.Helper()
	var d []mneDump
	formatstest.PythonJSON(t, &d, mneScript, paths...)
	if len(d) != len(paths) {
		t.Fatalf("MNE read %d of %d files", len(d), len(paths))
	}
	return d
}

// TestWriterMNE reads files our Writer wrote with MNE: the samples
// agree with ours and with what was written to within 16-bit
// quantization, the annotations exactly; a mixed-rate file checks our
// whole-recording resampling against MNE's.
func TestWriterMNE(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2024, 3, 5, 10, 20, 30, 0, time.UTC)
	write := func(name string, chans []formats.Channel) (string, *Reader) {
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		writeTestFile(t, f, 6, 0, start, chans, roundTripAnnotations)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return path, r
	}

	mixed := []formats.Channel{
		{Label: "Fp1", Unit: "V", SampleRate: 256},
		{Label: "ECG", Unit: "V", SampleRate: 64},
		{Label: "Temp", Unit: "degC", SampleRate: 2},
		{Label: "Trigger", Unit: "", SampleRate: 32},
	}
	pathSame, r := write("same.edf", roundTripChannels)
	pathMixed, rMixed := write("mixed.edf", mixed)
	dumps := readWithMNE(t, pathSame, pathMixed)
	d := &dumps[0]
	ours := formatstest.ReadAll(t, r)
	if d.SFreq != 256 || len(d.Data) != 4 || len(d.Data[0]) != 768 {
		t.Fatalf("MNE: %v Hz, %d channels", d.SFreq, len(d.Data))
	}
	if d.MeasDate != "2024-03-05T10:20:30+00:00" {
		t.Errorf("MNE meas_date %s", d.MeasDate)
	}
	for c := range ours {
		if d.Names[c] != roundTripChannels[c].Label {
			t.Errorf("MNE channel %d named %q", c, d.Names[c])
		}
		for i, v := range ours[c] {
			m := d.Data[c][i]
			w := testSignal(c, int64(i), 256)
			if math.Abs(v-m) > 1e-12*math.Max(1, math.Abs(m)) || math.Abs(m-w) > quantum(c)*(1+1e-9) {
				t.Fatalf("channel %d sample %d: ours %v, MNE %v, written %v", c, i, v, m, w)
			}
		}
	}
	var mneAnns []formats.Annotation
	for _, a := range d.Annotations {
		mneAnns = append(mneAnns, formats.Annotation{Onset: a[0].(float64), Duration: a[1].(float64), Description: a[2].(string)})
	}
	if !equalAnns(mneAnns, wantAnnotations) || !equalAnns(r.Info().Annotations, mneAnns) {
		t.Errorf("annotations: MNE %v\nours %v\nwant %v", mneAnns, r.Info().Annotations, wantAnnotations)
	}

	d = &dumps[1]
	ours = formatstest.ReadAll(t, rMixed)
	for c := range ours {
		var mean float64
		for _, m := range d.Data[c] {
			mean += math.Abs(m) / float64(len(d.Data[c]))
		}
		for i, v := range ours[c] {
			m := d.Data[c][i]
			if math.Abs(v-m) > 1e-9*math.Max(math.Abs(m), mean) {
				t.Fatalf("mixed rates: channel %d (%s) sample %d: ours %v, MNE %v", c, d.Names[c], i, v, m)
			}
		}
	}
}

// TestWriteRecordingMEG: simulated MEG (tesla-scale magnetometers, T/m
// gradiometers) and EEG written by WriteRecording come back within the
// 16-bit quantization of each channel's own range, in the unit the
// header names (fT, fT/cm: 8 decimal characters cannot resolve 1e-13 T),
// with MEG marked in the transducer field, as EDF carries no type.
func TestWriteRecordingMEG(t *testing.T) {
	for _, kind := range []string{"meg", "eeg"} {
		cfg := simulate.DefaultConfig()
		cfg.Duration, cfg.Montage.Kind, cfg.Montage.Locations = 4, kind, 4
		sim, err := simulate.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		want := formatstest.ReadAll(t, sim)
		var buf bytes.Buffer
		if err := WriteRecording(&buf, sim, WriteOptions{RecordDuration: 1}); err != nil {
			t.Fatal(err)
		}
		r := open(t, buf.Bytes(), kind+".edf")
		got := formatstest.ReadAll(t, r)
		for c, ch := range sim.Info().Channels {
			s := r.Header().Signals[c]
			wantUnit, wantTransducer := map[string]string{"V": "uV", "T": "fT", "T/m": "fT/cm"}[ch.Unit], map[formats.ChannelType]string{
				formats.MEGMag: "MEG magnetometer", formats.MEGGrad: "MEG planar gradiometer"}[ch.Type]
			if s.PhysDim != wantUnit || s.Transducer != wantTransducer {
				t.Errorf("%s %s: unit %q transducer %q, want %q %q", kind, ch.Label, s.PhysDim, s.Transducer, wantUnit, wantTransducer)
			}
			// SI value of one unit of what the reader returns.
			si := map[string]float64{"V": 1, "T": 1, "T/m": 1, "fT": 1e-15, "fT/cm": 1e-13}[r.Info().Channels[c].Unit]
			if si == 0 {
				t.Fatalf("%s %s: read back in unit %q", kind, ch.Label, r.Info().Channels[c].Unit)
			}
			// Stored units per SI unit.
			scale := map[string]float64{"uV": 1e6, "fT": 1e15, "fT/cm": 1e13}[s.PhysDim]
			if scale == 0 {
				scale = 1
			}
			quantum := (s.PhysMax - s.PhysMin) / (s.DigMax - s.DigMin) / scale
			var lo, hi float64
			for i, w := range want[c] {
				lo, hi = min(lo, w), max(hi, w)
				if g := got[c][i] * si; math.Abs(g-w) > 0.5*quantum*(1+1e-6) {
					t.Fatalf("%s %s sample %d: read %g %s, wrote %g", kind, ch.Label, i, g, ch.Unit, w)
				}
			}
			// The quantization resolves the signal: 16 bits over about its
			// own range, not a range set by the unit.
			if quantum > (hi-lo)/30000 {
				t.Errorf("%s %s: quantum %g %s for a signal spanning %g", kind, ch.Label, quantum, ch.Unit, hi-lo)
			}
		}
		sim.Close()
	}
}
