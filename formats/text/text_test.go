package text

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// setStride lowers the index stride for one test so that small inputs
// exercise seeking between index entries.
func setStride(t testing.TB, n int64) {
	old := indexStride
	indexStride = n
	t.Cleanup(func() { indexStride = old })
}

// rateOf is the documented sample rate of each text dataset (SOURCES.md).
// Muse CSVs carry timestamps, but the parity test gives the nominal rate
// so that it reads them exactly like the headerless files.
func rateOf(t *testing.T, source string) float64 {
	switch {
	case strings.HasPrefix(source, "bonn-epilepsy/"):
		return 173.61
	case strings.HasPrefix(source, "malow-seizure-eeg/"):
		return 100
	case strings.HasSuffix(source, "_200Hz.txt"):
		return 200
	case strings.HasSuffix(source, "_100Hz.txt"):
		return 100
	case strings.HasPrefix(source, "ssvep-muse-eeg-notebooks/"):
		return 256
	}
	t.Fatalf("%s: no known sample rate; add it to rateOf", source)
	return 0
}

// TestGolden reads every text file in the golden index with the default
// unit (µV) and compares with numpy's values scaled to V. CSV files are
// read without TimeColumn/MarkerColumn, so every header column is a
// channel, as in numpy.genfromtxt.
func TestGolden(t *testing.T) {
	entries := formatstest.Index(t, "numpy.loadtxt", "numpy.genfromtxt")
	if len(entries) == 0 {
		t.Fatal("no numpy.loadtxt / numpy.genfromtxt entries in the golden index")
	}
	data := formatstest.DataDir(t)
	for i, e := range entries {
		t.Run(e.Source, func(t *testing.T) {
			rate := rateOf(t, e.Source)
			r, err := Open(filepath.Join(data, e.Source), Options{SampleRate: rate})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for _, c := range r.Info().Channels {
				if c.Unit != "V" || c.Type != formats.EEG || c.SampleRate != rate {
					t.Errorf("channel %s: unit %q type %q rate %v, want V eeg %v", c.Label, c.Unit, c.Type, c.SampleRate, rate)
				}
			}
			if r.Info().SampleRate != rate {
				t.Errorf("sample rate %v, want %v", r.Info().SampleRate, rate)
			}
			// Chunk lengths that do and do not divide the index stride.
			chunk := []int64{1000, 4096, 777}[i%3]
			formatstest.Check(t, r, formatstest.Load(t, e.Golden), formatstest.Options{Scale: 1e-6, ChunkLen: chunk})
		})
	}
}

// TestGoldenUnscaled reads Bonn segments with a unit the reader does not
// know: values must be the file's numbers, unscaled.
func TestGoldenUnscaled(t *testing.T) {
	data := formatstest.DataDir(t)
	for _, e := range formatstest.Index(t, "numpy.loadtxt") {
		if !strings.HasPrefix(e.Source, "bonn-epilepsy/O/") {
			continue // O has the files without a trailing newline
		}
		t.Run(e.Source, func(t *testing.T) {
			r, err := Open(filepath.Join(data, e.Source), Options{SampleRate: 173.61, Unit: "a.u."})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if u := r.Info().Channels[0].Unit; u != "a.u." {
				t.Errorf("unit %q, want a.u.", u)
			}
			formatstest.Check(t, r, formatstest.Load(t, e.Golden), formatstest.Options{})
		})
	}
}

// channelView shows one channel of a recording as a one-channel
// recording, so that each Malow channel can be checked against the golden
// file of its own .inp file.
type channelView struct {
	r    formats.Recording
	c    int
	info formats.Info
	buf  [][]float64
}

func newChannelView(r formats.Recording, c int) *channelView {
	info := *r.Info()
	info.Channels = info.Channels[c : c+1]
	return &channelView{r: r, c: c, info: info, buf: make([][]float64, len(r.Info().Channels))}
}

func (v *channelView) Info() *formats.Info { return &v.info }
func (v *channelView) Close() error        { return nil }
func (v *channelView) ReadSamples(dst [][]float64, start, stop int64) error {
	if err := formats.CheckRange(&v.info, dst, start, stop); err != nil {
		return err
	}
	for c := range v.buf {
		v.buf[c] = slices.Grow(v.buf[c][:0], int(stop-start))[:stop-start]
	}
	if err := v.r.ReadSamples(v.buf, start, stop); err != nil {
		return err
	}
	copy(dst[0], v.buf[v.c])
	return nil
}

var malowLabels = []string{"Fp1", "Fp2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2",
	"SP1", "SP2", "F7", "F8", "T3", "T4", "T5", "T6", "Fz", "Cz", "Pz"}

// TestMalowOneRecording opens ch01.inp … ch21.inp as one 21-channel
// recording and checks every channel against its file's golden values.
func TestMalowOneRecording(t *testing.T) {
	data := formatstest.DataDir(t)
	var paths []string
	for i := 1; i <= 21; i++ {
		paths = append(paths, filepath.Join(data, "malow-seizure-eeg", fmt.Sprintf("ch%02d.inp", i)))
	}
	r, err := OpenChannels(paths, Options{SampleRate: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	if len(info.Channels) != 21 || info.NSamples != 50000 || info.Duration() != 500 || info.Format != "text" {
		t.Fatalf("%d channels, %d samples, %v s, format %q; want 21, 50000, 500 s, text",
			len(info.Channels), info.NSamples, info.Duration(), info.Format)
	}
	for c := range info.Channels {
		name := fmt.Sprintf("malow-seizure-eeg__ch%02d.inp.json", c+1)
		t.Run(info.Channels[c].Label, func(t *testing.T) {
			formatstest.Check(t, newChannelView(r, c), formatstest.Load(t, name), formatstest.Options{Scale: 1e-6, ChunkLen: 5000})
		})
	}

	named, err := OpenChannels(paths, Options{SampleRate: 100, Labels: malowLabels})
	if err != nil {
		t.Fatal(err)
	}
	defer named.Close()
	if got := named.Info().Labels(); !slices.Equal(got, malowLabels) {
		t.Errorf("labels %q, want %q", got, malowLabels)
	}
}

// TestMuse reads the Muse CSVs the way an SSVEP pipeline does: the time
// column gives the rate, the marker column gives annotations, and the
// five electrodes are the channels.
func TestMuse(t *testing.T) {
	formatstest.EachGolden(t, []string{"numpy.genfromtxt"}, 1, func(t *testing.T, _ formatstest.Entry, path string, g *formatstest.Golden) {
		r, err := Open(path, Options{TimeColumn: "timestamps", MarkerColumn: "Marker0"})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		info := r.Info()
		want := []string{"TP9", "AF7", "AF8", "TP10", "Right AUX"}
		if !slices.Equal(info.Labels(), want) {
			t.Fatalf("labels %q, want %q", info.Labels(), want)
		}
		// The Muse 2016 samples at 256 Hz; the LSL clock drifts by
		// up to 0.03 Hz against it in subject1.
		if math.Abs(info.SampleRate-256) > 0.05 {
			t.Errorf("estimated rate %v Hz, want 256 ± 0.05", info.SampleRate)
		}
		// LSL's chunk jitter is not a gap.
		if len(info.Warnings) > 0 {
			t.Errorf("warnings %q", info.Warnings)
		}

		sub := *g
		sub.Channels, sub.Values = g.Channels[1:6], g.Values[1:6]
		sub.Sum, sub.SumAbs, sub.SumSq = g.Sum[1:6], g.SumAbs[1:6], g.SumSq[1:6]
		// The golden file has no annotations (numpy has no such
		// notion); they are checked against encoding/csv below.
		formatstest.Check(t, r, &sub, formatstest.Options{Scale: 1e-6, SkipAnnotations: true})

		times := make([]float64, info.NSamples)
		if err := r.ReadTimes(times, 0, info.NSamples); err != nil {
			t.Fatal(err)
		}
		for k, i := range g.Index {
			if times[i] != g.Values[0][k] {
				t.Errorf("timestamp %d = %v, numpy %v", i, times[i], g.Values[0][k])
			}
		}

		rows, markers := readMarkers(t, path, "Marker0")
		if rows != info.NSamples {
			t.Errorf("encoding/csv reads %d rows, reader %d", rows, info.NSamples)
		}
		if len(info.Annotations) != len(markers) {
			t.Fatalf("%d annotations, encoding/csv finds %d non-zero Marker0 values", len(info.Annotations), len(markers))
		}
		for i, a := range info.Annotations {
			m := markers[i]
			if math.Abs(a.Onset-float64(m.row)/info.SampleRate) > 1e-9 || a.Duration != 0 || a.Description != m.text {
				t.Errorf("annotation %d = %+v, want row %d (%v s) %q", i, a, m.row, float64(m.row)/info.SampleRate, m.text)
			}
		}
	})
}

type csvMarker struct {
	row  int64
	text string
}

// readMarkers reads the file with encoding/csv, independently of the
// reader, and returns its row count and the non-zero values of column.
func readMarkers(t *testing.T, path, column string) (int64, []csvMarker) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	head, err := cr.Read()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(head, column)
	if col < 0 {
		t.Fatalf("no %s column in %q", column, head)
	}
	var rows int64
	var out []csvMarker
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if v, err := strconv.ParseFloat(rec[col], 64); err != nil {
			t.Fatal(err)
		} else if v != 0 {
			out = append(out, csvMarker{rows, rec[col]})
		}
		rows++
	}
	return rows, out
}

// open is NewReader over a string.
func open(s string, opt Options) (*Reader, error) {
	return NewReader(strings.NewReader(s), int64(len(s)), "mem/rec.txt", opt)
}

// TestLayouts covers the line and column conventions of text files.
func TestLayouts(t *testing.T) {
	tests := []struct {
		name, in string
		opt      Options
		format   string
		labels   []string
		values   [][]float64 // file numbers; µV unless opt.Unit says
	}{
		{"one column", "1\n2\n3\n", Options{}, "text", []string{"rec"}, [][]float64{{1, 2, 3}}},
		{"no trailing newline", "1\n2\n3", Options{}, "text", []string{"rec"}, [][]float64{{1, 2, 3}}},
		{"CRLF", "1\r\n-2\r\n3.5\r\n", Options{}, "text", []string{"rec"}, [][]float64{{1, -2, 3.5}}},
		{"leading spaces", "   -241\n   -228\n  17\n", Options{}, "text", []string{"rec"}, [][]float64{{-241, -228, 17}}},
		{"exponents", "-2.805092048645019531e+01\n1E-3\n+.5\n5.\n", Options{}, "text", []string{"rec"}, [][]float64{{-28.05092048645019531, 1e-3, 0.5, 5}}},
		{"comments and blank lines", "# exported\n\n1 # first\n  \n2\n#\n3\n\n", Options{}, "text", []string{"rec"}, [][]float64{{1, 2, 3}}},
		{"whitespace columns", "1 2 3\n4  5\t6\n", Options{}, "text", []string{"rec-1", "rec-2", "rec-3"}, [][]float64{{1, 4}, {2, 5}, {3, 6}}},
		{"CSV header", "a,b\n1,2\n3,4\n", Options{}, "CSV", []string{"a", "b"}, [][]float64{{1, 3}, {2, 4}}},
		{"BOM, quoted header, spaces", "\xEF\xBB\xBF\"Fp1\", \"Fp2\"\r\n1 , 2\r\n3,4\r\n", Options{}, "CSV", []string{"Fp1", "Fp2"}, [][]float64{{1, 3}, {2, 4}}},
		{"TSV header with spaces in names", "Right AUX\tTP9\n1\t2\n", Options{}, "TSV", []string{"Right AUX", "TP9"}, [][]float64{{1}, {2}}},
		{"semicolons", "x;y\n1;2\n", Options{}, "text (';'-separated)", []string{"x", "y"}, [][]float64{{1}, {2}}},
		{"explicit pipe", "x|y\n1|2\n", Options{Delimiter: '|'}, "text ('|'-separated)", []string{"x", "y"}, [][]float64{{1}, {2}}},
		{"explicit whitespace despite commas in a comment", "1 2 # a, b\n3 4\n", Options{Delimiter: ' '}, "text", []string{"rec-1", "rec-2"}, [][]float64{{1, 3}, {2, 4}}},
		{"unnamed index column", ",TP9\n0,5\n1,6\n", Options{}, "CSV", []string{"column 1", "TP9"}, [][]float64{{0, 1}, {5, 6}}},
		{"duplicate names", "C3,C3,Cz\n1,2,3\n", Options{}, "CSV", []string{"C3-0", "C3-1", "Cz"}, [][]float64{{1}, {2}, {3}}},
		{"labels override", "1,2\n3,4\n", Options{Labels: []string{"O1", "O2"}}, "CSV", []string{"O1", "O2"}, [][]float64{{1, 3}, {2, 4}}},
		{"time and marker", "t,m,x\n10,0,1\n10.5,3,2\n11,0,3\n", Options{TimeColumn: "t", MarkerColumn: "m"}, "CSV", []string{"x"}, [][]float64{{1, 2, 3}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opt.SampleRate == 0 && tt.opt.TimeColumn == "" {
				tt.opt.SampleRate = 10
			}
			r, err := open(tt.in, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			info := r.Info()
			if info.Format != tt.format {
				t.Errorf("format %q, want %q", info.Format, tt.format)
			}
			if !slices.Equal(info.Labels(), tt.labels) {
				t.Errorf("labels %q, want %q", info.Labels(), tt.labels)
			}
			got := formatstest.ReadAll(t, r)
			for c := range tt.values {
				for i, v := range tt.values[c] {
					if want := v * 1e-6; got[c][i] != want {
						t.Errorf("channel %d sample %d = %v, want %v", c, i, got[c][i], want)
					}
				}
			}
			if int64(len(tt.values[0])) != info.NSamples {
				t.Errorf("%d samples, want %d", info.NSamples, len(tt.values[0]))
			}
		})
	}
}

// TestTimeAndMarkers checks the rate estimate, the marker annotations and
// ReadTimes on a file with jittered, millisecond-rounded timestamps like
// the Muse ones.
func TestTimeAndMarkers(t *testing.T) {
	const rate, n = 256.0, 5000
	rng := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	sb.WriteString("timestamps,TP9,Marker0\n")
	var wantMarks []formats.Annotation
	for i := range n {
		ts := 213542.918 + float64(i)/rate + rng.NormFloat64()*0.004
		m := 0.0
		if i%700 == 350 {
			m = float64(1 + i%3)
			if i == 350 {
				m = 2.5
			}
			wantMarks = append(wantMarks, formats.Annotation{Onset: float64(i), Description: strconv.FormatFloat(m, 'f', -1, 64)})
		}
		fmt.Fprintf(&sb, "%.3f,%d,%g\n", ts, i, m)
	}
	r, err := open(sb.String(), Options{TimeColumn: "timestamps", MarkerColumn: "Marker0"})
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	if math.Abs(info.SampleRate-rate) > 0.01 {
		t.Errorf("rate %v, want %v ± 0.01", info.SampleRate, rate)
	}
	if len(info.Annotations) != len(wantMarks) {
		t.Fatalf("%d annotations, want %d", len(info.Annotations), len(wantMarks))
	}
	for i, a := range info.Annotations {
		w := wantMarks[i]
		w.Onset /= info.SampleRate // the row over the estimated rate
		if math.Abs(a.Onset-w.Onset) > 1e-12 || a.Description != w.Description || a.Duration != 0 {
			t.Errorf("annotation %d = %+v, want %+v", i, a, w)
		}
	}
	if d := info.Annotations[0].Description; d != "2.5" {
		t.Errorf("description %q, want 2.5", d)
	}
	times := make([]float64, 3)
	if err := r.ReadTimes(times, 100, 103); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(sb.String(), "\n")
	for i, v := range times {
		want, _ := strconv.ParseFloat(strings.Split(lines[101+i], ",")[0], 64)
		if v != want {
			t.Errorf("time %d = %v, want %v", 100+i, v, want)
		}
	}

	// An explicit rate wins over the estimate.
	r, err = open(sb.String(), Options{SampleRate: 250, TimeColumn: "timestamps", MarkerColumn: "Marker0"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Info().SampleRate != 250 || r.Info().Annotations[0].Onset != 350.0/250 {
		t.Errorf("rate %v, first onset %v; want 250, %v", r.Info().SampleRate, r.Info().Annotations[0].Onset, 350.0/250)
	}
}

func TestUnits(t *testing.T) {
	tests := []struct {
		unit, si string
		scale    float64
		typ      formats.ChannelType
	}{
		{"", "V", 1e-6, formats.EEG},
		{"uV", "V", 1e-6, formats.EEG},
		{"µV", "V", 1e-6, formats.EEG},
		{"mV", "V", 1e-3, formats.ECG},
		{"V", "V", 1, formats.EMG},
		{"fT", "T", 1e-15, formats.MEGMag},
		{"fT/cm", "T/m", 1e-13, formats.MEGGrad},
		{"counts", "counts", 1, formats.Misc},
	}
	for _, tt := range tests {
		r, err := open("12.5\n-3\n", Options{SampleRate: 1, Unit: tt.unit, Type: tt.typ})
		if err != nil {
			t.Fatal(err)
		}
		c := r.Info().Channels[0]
		got := formatstest.ReadAll(t, r)[0]
		if c.Unit != tt.si || c.Type != tt.typ || got[0] != 12.5*tt.scale || got[1] != -3*tt.scale {
			t.Errorf("unit %q: channel %+v values %v, want unit %q type %q values %v", tt.unit, c, got, tt.si, tt.typ, []float64{12.5 * tt.scale, -3 * tt.scale})
		}
	}
}

// TestMalformed checks that bad files fail at Open with an error naming
// the line, column, byte offset and offending text.
func TestMalformed(t *testing.T) {
	tests := []struct {
		name, in string
		opt      Options
		offset   int64
		field    string
		msg      string // substring of Msg
	}{
		{"bad number", "12\n1x3\n4\n", Options{}, 3, "line 2, column 1", `"1x3" is not a number`},
		{"NaN", "1\n2\nnan\n", Options{}, 4, "line 3, column 1", "NaN or infinite"},
		{"Inf in CSV", "a,b\n1,2\n3,-Inf\n", Options{}, 10, `line 3, column 2 ("b")`, `"-Inf" is NaN or infinite`},
		{"hexadecimal in data", "1\n0x10\n", Options{}, 2, "line 2, column 1", `"0x10" is not a number`},
		{"overflow", "1\n1e999\n", Options{}, 2, "line 2, column 1", "outside the float64 range"},
		{"empty field", "a,b,c\n1,,3\n", Options{}, 8, `line 2, column 2 ("b")`, "is empty"},
		{"trailing delimiter", "1,2\n3,4,\n", Options{}, 4, "line 2", "3 columns, expected 2"},
		{"ragged short row", "a,b,c\n1,2,3\n4,5\n", Options{}, 12, "line 3", "2 columns, expected 3 (as in the header on line 1)"},
		{"ragged long row", "1 2\n3 4\n5 6 7\n", Options{}, 8, "line 3", "3 columns, expected 2 (as on line 1)"},
		{"ragged after comments", "# c\n\na;b\n1;2\n\n3\n", Options{}, 14, "line 6", "1 columns, expected 2 (as in the header on line 3)"},
		{"empty file", "", Options{}, 0, "data", "no rows of numbers"},
		{"only comments", "# nothing\n\n  \n", Options{}, 14, "data", "no rows of numbers"},
		{"header only", "timestamps,TP9\n", Options{}, 15, "data", "no rows of numbers after the header"},
		{"missing time column", "t,x\n1,2\n", Options{TimeColumn: "timestamps"}, 0, "header", `no column "timestamps" in header ["t" "x"]`},
		{"marker column without header", "1,2\n", Options{SampleRate: 1, MarkerColumn: "m"}, 0, "header", "the file has no header row"},
		{"only time and marker", "t,m\n1,0\n", Options{TimeColumn: "t", MarkerColumn: "m"}, 0, "header", "no data columns"},
		{"timestamps not increasing", "t,x\n5,1\n5,2\n5,3\n", Options{TimeColumn: "t"}, -1, `column "t"`, "cannot estimate the sample rate from 3 timestamps"},
		{"one timestamp", "t,x\n5,1\n", Options{TimeColumn: "t"}, -1, `column "t"`, "cannot estimate"},
		{"long field shortened", "1\n" + strings.Repeat("9", 50) + "z\n", Options{}, 2, "line 2, column 1", `"` + strings.Repeat("9", 40) + `…" is not a number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opt.SampleRate == 0 && tt.opt.TimeColumn == "" {
				tt.opt.SampleRate = 100
			}
			_, err := open(tt.in, tt.opt)
			var fe *formats.Error
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want *formats.Error", err, err)
			}
			if fe.File != "mem/rec.txt" || fe.Offset != tt.offset || fe.Field != tt.field || !strings.Contains(fe.Msg, tt.msg) {
				t.Errorf("error %q\n(file %q offset %d field %q msg %q)\nwant offset %d field %q msg containing %q",
					err, fe.File, fe.Offset, fe.Field, fe.Msg, tt.offset, tt.field, tt.msg)
			}
		})
	}
}

func TestLineTooLong(t *testing.T) {
	in := "1\n" + strings.Repeat(" ", maxLine+10) + "2\n"
	_, err := open(in, Options{SampleRate: 1})
	var fe *formats.Error
	if !errors.As(err, &fe) || fe.Field != "line 2" || fe.Offset != 2 || !strings.Contains(fe.Msg, "longer than") {
		t.Errorf("error %v, want *formats.Error at line 2, byte 2, saying the line is too long", err)
	}
}

func TestOptionErrors(t *testing.T) {
	tests := []struct {
		opt  Options
		want string
	}{
		{Options{}, "Options.SampleRate is required"},
		{Options{SampleRate: -1}, "Options.SampleRate -1"},
		{Options{SampleRate: math.NaN()}, "Options.SampleRate NaN"},
		{Options{SampleRate: 1, Type: "brain"}, `Options.Type "brain"`},
		{Options{SampleRate: 1, Delimiter: '.'}, "Options.Delimiter '.'"},
		{Options{SampleRate: 1, Delimiter: 'é'}, "Options.Delimiter"},
		{Options{SampleRate: 1, TimeColumn: "a", MarkerColumn: "a"}, "both"},
		{Options{SampleRate: 1, Labels: []string{"a", "b", "c"}}, "Options.Labels has 3 labels for 2 channels"},
	}
	for _, tt := range tests {
		_, err := open("1,2\n3,4\n", tt.opt)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want one containing %q", tt.opt, err, tt.want)
		}
	}
	if _, err := OpenChannels(nil, Options{SampleRate: 1}); err == nil {
		t.Error("OpenChannels(nil) succeeded")
	}
	if _, err := Open(filepath.Join(t.TempDir(), "absent.txt"), Options{SampleRate: 1}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open of a missing file: %v, want os.ErrNotExist", err)
	}
}

func TestOpenChannels(t *testing.T) {
	dir := t.TempDir()
	a := formatstest.WriteFile(t, dir, "ch01.inp", []byte("1\n2\n3\n"))
	b := formatstest.WriteFile(t, dir, "ch02.inp", []byte("  4\n  5\n  6"))
	c := formatstest.WriteFile(t, dir, "ch03.inp", []byte("7\n8\n"))
	csvFile := formatstest.WriteFile(t, dir, "more.csv", []byte("t,x,y,m\n0,1,2,0\n0.5,3,4,9\n1,5,6,0\n"))

	r, err := OpenChannels([]string{a, b, csvFile}, Options{Unit: "V", TimeColumn: "t", MarkerColumn: "m"})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	if want := []string{"ch01", "ch02", "x", "y"}; !slices.Equal(info.Labels(), want) {
		t.Errorf("labels %q, want %q", info.Labels(), want)
	}
	if info.SampleRate != 2 || len(info.Annotations) != 1 || info.Annotations[0].Onset != 0.5 || info.Annotations[0].Description != "9" {
		t.Errorf("rate %v annotations %+v, want 2 Hz and one at 0.5 s %q", info.SampleRate, info.Annotations, "9")
	}
	got := formatstest.ReadAll(t, r)
	if want := [][]float64{{1, 2, 3}, {4, 5, 6}, {1, 3, 5}, {2, 4, 6}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("samples %v, want %v", got, want)
	}
	if err := r.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}

	_, err = OpenChannels([]string{a, b, c}, Options{SampleRate: 1})
	var fe *formats.Error
	if !errors.As(err, &fe) || fe.File != c || fe.Field != "length" || !strings.Contains(fe.Msg, "2 samples, but "+a+" has 3") {
		t.Errorf("error %v, want *formats.Error naming %s and its length", err, c)
	}
}

// TestRandomAccess compares reads of random spans, in random order and
// through several index strides, with one read of everything.
func TestRandomAccess(t *testing.T) {
	const n = 3000
	var sb strings.Builder
	sb.WriteString("# made by TestRandomAccess\ntime,a,b,c\n")
	want := make([][]float64, 3)
	for i := range n {
		if i%97 == 0 {
			sb.WriteString("\n# a comment between rows\n")
		}
		fields := []string{fmt.Sprint(i), fmt.Sprintf("%d.5", -i), fmt.Sprintf("%de-1", 3*i)}
		fmt.Fprintf(&sb, "%d,%s\r\n", i, strings.Join(fields, ","))
		for c, f := range fields {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				t.Fatal(err)
			}
			want[c] = append(want[c], v)
		}
	}
	in := sb.String()
	for _, stride := range []int64{1, 7, 64, 4096} {
		t.Run(fmt.Sprint("stride ", stride), func(t *testing.T) {
			setStride(t, stride)
			r, err := open(in, Options{SampleRate: 1, Unit: "V", TimeColumn: "time"})
			if err != nil {
				t.Fatal(err)
			}
			all := formatstest.ReadAll(t, r)
			if !slices.EqualFunc(all, want, slices.Equal) {
				t.Fatal("full read differs from the numbers written")
			}
			rng := rand.New(rand.NewPCG(3, uint64(stride)))
			dst := make([][]float64, 3)
			times := make([]float64, n)
			for range 300 {
				start := rng.Int64N(n + 1)
				stop := start + rng.Int64N(n-start+1)
				for c := range dst {
					dst[c] = make([]float64, stop-start)
				}
				if err := r.ReadSamples(dst, start, stop); err != nil {
					t.Fatalf("ReadSamples(%d, %d): %v", start, stop, err)
				}
				for c := range dst {
					if !slices.Equal(dst[c], all[c][start:stop]) {
						t.Fatalf("ReadSamples(%d, %d) channel %d differs from the full read", start, stop, c)
					}
				}
				if err := r.ReadTimes(times[:stop-start], start, stop); err != nil {
					t.Fatal(err)
				}
				for i, v := range times[:stop-start] {
					if v != float64(start)+float64(i) {
						t.Fatalf("ReadTimes(%d, %d)[%d] = %v", start, stop, i, v)
					}
				}
			}
		})
	}
}

func TestRangeErrors(t *testing.T) {
	r, err := open("1\n2\n3\n", Options{SampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	dst := [][]float64{make([]float64, 2)}
	for _, span := range [][2]int64{{-1, 1}, {2, 4}} {
		if err := r.ReadSamples(dst, span[0], span[1]); err == nil {
			t.Errorf("ReadSamples(%d, %d) succeeded on 3 samples", span[0], span[1])
		}
	}
	if err := r.ReadSamples([][]float64{{}}, 3, 3); err != nil {
		t.Errorf("empty read at the end: %v", err)
	}
	if err := r.ReadTimes(make([]float64, 1), 0, 1); err == nil || !strings.Contains(err.Error(), "no time column") {
		t.Errorf("ReadTimes without a time column: %v", err)
	}
}

// TestChangedAfterOpen checks that ReadSamples reports, rather than
// misreads, a file that was cut or edited after Open counted its rows.
func TestChangedAfterOpen(t *testing.T) {
	setStride(t, 4)
	dir := t.TempDir()
	var sb strings.Builder
	for i := range 20 {
		fmt.Fprintf(&sb, "%d\n", 10+i)
	}
	p := formatstest.WriteFile(t, dir, "rec.txt", []byte(sb.String()))
	r, err := Open(p, Options{SampleRate: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	// Row 13 ("23") becomes "2x".
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("2x"), 3*13); err != nil {
		t.Fatal(err)
	}
	dst := [][]float64{make([]float64, 5)}
	err = r.ReadSamples(dst, 10, 15)
	var fe *formats.Error
	if !errors.As(err, &fe) || fe.Field != "line 14, column 1" || fe.Offset != 39 || !strings.Contains(fe.Msg, `"2x"`) {
		t.Errorf("edited file: %v, want *formats.Error at line 14, byte 39", err)
	}
	// A range before the edit still reads.
	scale := 1e-6
	if err := r.ReadSamples(dst, 0, 5); err != nil || dst[0][4] != 14*scale {
		t.Errorf("ReadSamples(0, 5) = %v, %v; want sample 4 = %v", dst[0], err, 14*scale)
	}

	if err := f.Truncate(3 * 17); err != nil {
		t.Fatal(err)
	}
	f.Close()
	err = r.ReadSamples(dst, 15, 20)
	if !errors.As(err, &fe) || fe.Field != "row 17" || !strings.Contains(fe.Msg, "changed after Open") {
		t.Errorf("truncated file: %v, want *formats.Error at row 17 saying the file changed", err)
	}
}

// TestReadSamplesAllocs checks the streaming promise: no allocation per
// ReadSamples call once the reader is warm, sequential or seeking.
func TestReadSamplesAllocs(t *testing.T) {
	r, err := open(syntheticCSV(20000, 8), Options{SampleRate: 256, TimeColumn: "timestamps"})
	if err != nil {
		t.Fatal(err)
	}
	dst := make([][]float64, 8)
	for c := range dst {
		dst[c] = make([]float64, 500)
	}
	var start int64
	if n := testing.AllocsPerRun(100, func() {
		if err := r.ReadSamples(dst, start, start+500); err != nil {
			t.Fatal(err)
		}
		start = (start + 7919) % (20000 - 500)
	}); n != 0 {
		t.Errorf("%v allocations per ReadSamples, want 0", n)
	}
}

// syntheticCSV is a Muse-like CSV of n rows and nc EEG columns.
func syntheticCSV(n, nc int) string {
	var sb strings.Builder
	sb.WriteString("timestamps")
	for c := range nc {
		fmt.Fprintf(&sb, ",ch%d", c+1)
	}
	sb.WriteByte('\n')
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range n {
		fmt.Fprintf(&sb, "%.3f", 213542.918+float64(i)/256)
		for range nc {
			fmt.Fprintf(&sb, ",%.3f", rng.NormFloat64()*40)
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

func BenchmarkReadSamples(b *testing.B) {
	const n, nc, span = 200000, 8, 1000
	dir := b.TempDir()
	p := formatstest.WriteFile(b, dir, "bench.csv", []byte(syntheticCSV(n, nc)))
	r, err := Open(p, Options{SampleRate: 256, TimeColumn: "timestamps"})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	dst := make([][]float64, nc)
	for c := range dst {
		dst[c] = make([]float64, span)
	}
	b.Run("sequential", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(span * nc * 8))
		var start int64
		for b.Loop() {
			if err := r.ReadSamples(dst, start, start+span); err != nil {
				b.Fatal(err)
			}
			if start += span; start+span > n {
				start = 0
			}
		}
	})
	b.Run("random", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(span * nc * 8))
		rng := rand.New(rand.NewPCG(7, 8))
		for b.Loop() {
			start := rng.Int64N(n - span)
			if err := r.ReadSamples(dst, start, start+span); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkOpen(b *testing.B) {
	in := syntheticCSV(50000, 8)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := NewReader(strings.NewReader(in), int64(len(in)), "bench.csv", Options{TimeColumn: "timestamps"}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzOpen feeds arbitrary bytes to the header detection and row parser
// under several option sets. Whatever it accepts must read back
// consistently through the index; whatever it refuses must be refused
// with a *formats.Error.
func FuzzOpen(f *testing.F) {
	setStride(f, 3)
	seeds := []string{
		"1\n2\n3\n",
		"12\n22\n35",
		"   -241\r\n   -228\r\n",
		"-2.805092048645019531e+01\n-3.006139564514160156e+01\n",
		"timestamps,TP9,AF7,AF8,TP10,Right AUX,Marker0\n213542.918,10.742,33.203,23.438,15.137,43.945,0\n213542.922,36.133,41.016,37.598,41.504,55.176,1\n213542.926,35.156,48.340,36.621,38.574,48.340,0\n",
		"t\tm\tx\n0\t0\t1\n1\t2\t2\n",
		"# c\n\n\xEF\xBB\xBFa;b\n1;2\n3;\n",
		"1,2\n3\n",
		"nan\n",
		"\"t\",\"m\",\n1,2,\n",
		"t m x\n1 0 1e999\n",
	}
	if dir := sharedData(); dir != "" {
		for _, p := range []string{"bonn-epilepsy/O/O001.txt", "malow-seizure-eeg/ch01.inp",
			"sleep/yasa-excerpts/data_N2_spindles_15sec_200Hz.txt",
			"ssvep-muse-eeg-notebooks/subject4/session1/data_2018-04-22-15.00.15.csv"} {
			if b, err := os.ReadFile(filepath.Join(dir, p)); err == nil {
				seeds = append(seeds, string(b[:min(len(b), 2048)]))
			}
		}
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		opt := Options{SampleRate: 100}
		if mode&1 != 0 {
			opt.TimeColumn = "t"
			if mode&2 != 0 {
				opt.SampleRate = 0
			}
		}
		if mode&4 != 0 {
			opt.MarkerColumn = "m"
		}
		if mode&8 != 0 {
			opt.Delimiter = []rune{',', ' ', '\t', ';'}[mode>>4&3]
		}
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz", opt)
		if err != nil {
			formatstest.AsError(t, err)
			return
		}
		info := r.Info()
		if info.NSamples <= 0 || len(info.Channels) == 0 || !(info.SampleRate > 0) || math.IsInf(info.SampleRate, 0) {
			t.Fatalf("accepted with %d samples, %d channels, rate %v", info.NSamples, len(info.Channels), info.SampleRate)
		}
		for i, a := range info.Annotations {
			if a.Description == "0" || math.IsNaN(a.Onset) || i > 0 && a.Onset < info.Annotations[i-1].Onset {
				t.Fatalf("annotation %d = %+v", i, a)
			}
		}
		all := formatstest.ReadAll(t, r)
		for c := range all {
			for i, v := range all[c] {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("channel %d sample %d = %v", c, i, v)
				}
			}
		}
		// Read back to front in spans of 2 through the index.
		dst := make([][]float64, len(all))
		for stop := info.NSamples; stop > 0; stop -= 2 {
			start := max(stop-2, 0)
			for c := range dst {
				dst[c] = dst[c][:0]
				dst[c] = append(dst[c], make([]float64, stop-start)...)
			}
			if err := r.ReadSamples(dst, start, stop); err != nil {
				t.Fatalf("ReadSamples(%d, %d): %v", start, stop, err)
			}
			for c := range dst {
				if !slices.Equal(dst[c], all[c][start:stop]) {
					t.Fatalf("ReadSamples(%d, %d) channel %d = %v, full read %v", start, stop, c, dst[c], all[c][start:stop])
				}
			}
		}
	})
}

// sharedData is the shared recordings folder when present, else "": the
// fuzz seeds use it when they can but must not need it.
func sharedData() string {
	dir := formatstest.SeedDir()
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		return ""
	}
	return dir
}

// FuzzParseNumber checks the number parser against strconv: whatever it
// accepts strconv reads to the same finite value, and every plain decimal
// that strconv reads to a finite value it accepts.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-241", "+.5", "5.", "1e-3", "-2.805092048645019531e+01", "1e999", "1e-999",
		"nan", "-Inf", "infinity", "0x1p3", "1_000", "", ".", "e5", "--1", "1e", "١"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, msg := parseNumber(b)
		want, err := strconv.ParseFloat(string(b), 64)
		plain := len(b) > 0 && strings.Trim(string(b), "0123456789.+-eE") == ""
		switch {
		case msg == "" && (err != nil || v != want || math.IsInf(v, 0) || math.IsNaN(v)):
			t.Fatalf("parseNumber(%q) = %v, strconv %v, %v", b, v, want, err)
		case msg != "" && plain && err == nil:
			t.Fatalf("parseNumber(%q) refused (%s), strconv reads %v", b, msg, want)
		case msg != "" && !plain && err == nil && !math.IsNaN(want) && !math.IsInf(want, 0) && !strings.ContainsAny(string(b), "xX_"):
			t.Fatalf("parseNumber(%q) refused (%s), strconv reads finite %v", b, msg, want)
		}
	})
}
