package brainvision

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// TestGolden reads every BrainVision recording in the shared data and
// compares it with MNE's read_raw_brainvision (default arguments).
func TestGolden(t *testing.T) {
	formatstest.RunGolden(t, "mne.io.read_raw_brainvision", 1, Open, func(t *testing.T, r *Reader, g *formatstest.Golden) {
		formatstest.Check(t, r, g, formatstest.Options{})
		// An odd chunk length exercises spans that start inside
		// the scratch buffer's last frame.
		formatstest.Check(t, r, g, formatstest.Options{ChunkLen: 333})
		formatstest.CheckStart(t, r.Info().StartTime, g.MeasDate)
	})
}

// synth is a small BrainVision recording built in memory.
type synth struct {
	vhdr, vmrk string
	eeg        []byte
}

// write puts the three files in dir under base and returns the header path.
func (s synth) write(t testing.TB, dir, base string) string {
	t.Helper()
	for ext, b := range map[string][]byte{".vhdr": []byte(s.vhdr), ".vmrk": []byte(s.vmrk), ".eeg": s.eeg} {
		formatstest.WriteFile(t, dir, base+ext, b)
	}
	return filepath.Join(dir, base+".vhdr")
}

const synthHeader = `Brain Vision Data Exchange Header File Version 1.0
; synthetic

[Common Infos]
Codepage=UTF-8
DataFile=s.eeg
MarkerFile=s.vmrk
DataFormat=BINARY
DataOrientation=%ORIENT%
NumberOfChannels=4
SamplingInterval=2000

[Binary Infos]
BinaryFormat=%FORMAT%

[Channel Infos]
Ch1=Fp1,,0.5,µV
Ch2=HEOGL,,1,nV
Ch3=GSR,,2,µS
Ch4=Temp\1x,,0.25,C

[Comment]
free text [Channel Infos] that is not INI
`

const synthMarkers = "Brain Vision Data Exchange Marker File, Version 1.0\r\n" +
	"\r\n[Marker Infos]\r\n" +
	"Mk1=New Segment,,1,1,0,20240229235959123456\r\n" +
	"Mk2=Stimulus,S  1,3,0,0\r\n" +
	"Mk3=Comment,a\\1b,1,200,0\r\n" +
	"Mk4=Response,R  2,0,4,0\r\n" +
	"Mk5=Stimulus,S  3,10,1\r\n"

// newSynth builds a 4-channel, n-sample recording whose raw value for
// channel c at sample i is c*1000 + i - 7 (wrapped to the format).
func newSynth(t testing.TB, format string, orient Orientation, n int) synth {
	t.Helper()
	o := "MULTIPLEXED"
	if orient == Vectorized {
		o = "VECTORIZED"
	}
	h := strings.NewReplacer("%ORIENT%", o, "%FORMAT%", format).Replace(synthHeader)
	bf := binaryFormats[format]
	var buf bytes.Buffer
	put := func(c, i int) {
		v := c*1000 + i - 7
		switch bf {
		case Int16:
			binary.Write(&buf, binary.LittleEndian, int16(v))
		case UInt16:
			binary.Write(&buf, binary.LittleEndian, uint16(v+7))
		case Int32:
			binary.Write(&buf, binary.LittleEndian, int32(v*70000))
		case Float32:
			binary.Write(&buf, binary.LittleEndian, float32(v)/3)
		}
	}
	if orient == Multiplexed {
		for i := 0; i < n; i++ {
			for c := 0; c < 4; c++ {
				put(c, i)
			}
		}
	} else {
		for c := 0; c < 4; c++ {
			for i := 0; i < n; i++ {
				put(c, i)
			}
		}
	}
	return synth{vhdr: h, vmrk: synthMarkers, eeg: buf.Bytes()}
}

func rawValue(f BinaryFormat, c, i int) float64 {
	v := c*1000 + i - 7
	switch f {
	case Int16:
		return float64(int16(v))
	case UInt16:
		return float64(uint16(v + 7))
	case Int32:
		return float64(int32(v * 70000))
	}
	return float64(float32(v) / 3)
}

func TestSynthetic(t *testing.T) {
	const n = 50
	scale := []float64{0.5e-6, 1e-9, 2e-6, 0.25}
	for _, format := range []string{"INT_16", "INT_32", "UINT_16", "IEEE_FLOAT_32"} {
		for _, orient := range []Orientation{Multiplexed, Vectorized} {
			t.Run(format+"/"+orient.String(), func(t *testing.T) {
				s := newSynth(t, format, orient, n)
				if orient == Multiplexed {
					// A trailing partial frame is ignored, as MNE
					// does, with a warning.
					s.eeg = append(s.eeg, 1)
				}
				r, err := Open(s.write(t, t.TempDir(), "s"))
				if err != nil {
					t.Fatal(err)
				}
				defer r.Close()
				info := r.Info()
				if orient == Multiplexed {
					formatstest.HasWarning(t, info, "s.eeg: data: the file ends with 1 of a sample's", "reading the 50 whole samples (0.1 s)")
				} else if len(info.Warnings) > 0 {
					t.Errorf("warnings %q", info.Warnings)
				}
				if info.NSamples != n || info.SampleRate != 500 {
					t.Fatalf("NSamples %d rate %v, want %d 500", info.NSamples, info.SampleRate, n)
				}
				want := []formats.Channel{
					{Label: "Fp1", Type: formats.EEG, Unit: "V", SampleRate: 500},
					{Label: "HEOGL", Type: formats.EOG, Unit: "V", SampleRate: 500},
					{Label: "GSR", Type: formats.Misc, Unit: "S", SampleRate: 500},
					{Label: "Temp,x", Type: formats.Misc, Unit: "C", SampleRate: 500},
				}
				for i, c := range info.Channels {
					if c != want[i] {
						t.Errorf("channel %d = %+v, want %+v", i, c, want[i])
					}
				}
				dst := [][]float64{make([]float64, 17), make([]float64, 17), make([]float64, 17), make([]float64, 17)}
				for _, start := range []int64{0, 5, n - 17} {
					if err := r.ReadSamples(dst, start, start+17); err != nil {
						t.Fatal(err)
					}
					for c := range dst {
						for i, v := range dst[c] {
							w := rawValue(binaryFormats[format], c, int(start)+i) * scale[c]
							if math.Abs(v-w) > 1e-12*math.Abs(w) {
								t.Fatalf("ch %d sample %d = %g, want %g", c, int(start)+i, v, w)
							}
						}
					}
				}
				if err := r.ReadSamples(dst, n-16, n+1); err == nil {
					t.Error("reading past the end succeeded")
				}
			})
		}
	}
}

func TestMarkers(t *testing.T) {
	s := newSynth(t, "INT_16", Multiplexed, 50) // 0.1 s at 500 Hz
	r, err := Open(s.write(t, t.TempDir(), "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	// Expected as MNE: New Segment dropped; Mk4 at -1 clipped to 0; Mk3
	// clipped at 0.1 s; Mk5 has no fifth field but CRLF leaves "1\r" as
	// the size, which is not a number (size 0).
	want := []formats.Annotation{
		{Onset: 0, Duration: 0.006, Description: "Response/R  2"},
		{Onset: 0, Duration: 0.1, Description: "Comment/a,b"},
		{Onset: 0.004, Duration: 0, Description: "Stimulus/S  1"},
		{Onset: 0.018, Duration: 0, Description: "Stimulus/S  3"},
	}
	if len(info.Annotations) != len(want) {
		t.Fatalf("annotations %+v, want %+v", info.Annotations, want)
	}
	for i, a := range info.Annotations {
		if math.Abs(a.Onset-want[i].Onset) > 1e-12 || math.Abs(a.Duration-want[i].Duration) > 1e-12 || a.Description != want[i].Description {
			t.Errorf("annotation %d = %+v, want %+v", i, a, want[i])
		}
	}
	if w := time.Date(2024, 2, 29, 23, 59, 59, 123456000, time.UTC); !info.StartTime.Equal(w) {
		t.Errorf("start %v, want %v", info.StartTime, w)
	}
}

func TestLatin1AndFallback(t *testing.T) {
	s := newSynth(t, "INT_16", Multiplexed, 10)
	// No Codepage: not valid UTF-8, so latin-1 (MNE's fallback), where
	// 0xB5 is µ.
	h := strings.Replace(s.vhdr, "Codepage=UTF-8\n", "", 1)
	h = strings.Replace(h, "Ch1=Fp1,,0.5,µV", "Ch1=Fp\xe91,,0.5,\xb5V", 1)
	h = strings.Replace(h, "DataFile=s.eeg", `DataFile=C:\rec\old.eeg`, 1)
	h = strings.Replace(h, "MarkerFile=s.vmrk", "MarkerFile=renamed.vmrk", 1)
	s.vhdr = h
	dir := t.TempDir()
	r, err := Open(s.write(t, dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if c := r.Info().Channels[0]; c.Label != "Fpé1" || c.Unit != "V" || c.Type != formats.EEG {
		t.Errorf("channel 0 = %+v", c)
	}
	dst := [][]float64{{0}, {0}, {0}, {0}}
	if err := r.ReadSamples(dst, 1, 2); err != nil {
		t.Fatal(err)
	}
	if w := -6 * 0.5e-6; math.Abs(dst[0][0]-w) > 1e-18 {
		t.Errorf("sample = %g, want %g", dst[0][0], w)
	}
	// Without the fallback candidates the data file is missing.
	os.Remove(filepath.Join(dir, "s.eeg"))
	_, err = Open(filepath.Join(dir, "s.vhdr"))
	var fe *formats.Error
	if !errors.As(err, &fe) || !strings.Contains(fe.Field, "DataFile") {
		t.Fatalf("missing data file: %v", err)
	}
}

func TestParseHeaderINI(t *testing.T) {
	s := newSynth(t, "INT_16", Multiplexed, 1)
	// configparser details: ":" delimiter, key case, an indented
	// continuation, comments, and DEFAULT keys showing up in every section
	// (here Ch0, which MNE's n-1 indexing makes the last channel).
	h := strings.Replace(s.vhdr, "NumberOfChannels=4\n", "numberofchannels : 4\n", 1)
	h = strings.Replace(h, "Ch4=Temp\\1x,,0.25,C\n", "  ; comment\n# another\n", 1)
	h = strings.Replace(h, "Ch3=GSR,,2,µS\n", "Ch3=GSR,,2,µS\n    more\n", 1)
	h = strings.Replace(h, "[Common Infos]\n", "[DEFAULT]\nCh0=Temp\\1x,,0.25,C\n[Common Infos]\n", 1)
	h = strings.Replace(h, "SamplingInterval=2000\n", "SamplingInterval=1000\n", 1)
	hd, err := ParseHeader(strings.NewReader(h))
	if err != nil {
		t.Fatal(err)
	}
	if hd.SampleRate() != 1000 || len(hd.Channels) != 4 || hd.Channels[3].Name != "Temp,x" || hd.Channels[2].Unit != "µS\nmore" {
		t.Errorf("header %+v", hd)
	}
}

// TestMalformed checks that broken headers, markers and data give a
// *formats.Error naming the field (and offset where there is one).
func TestMalformed(t *testing.T) {
	base := strings.NewReplacer("%ORIENT%", "MULTIPLEXED", "%FORMAT%", "INT_16").Replace(synthHeader)
	off := func(s string) int64 { return int64(strings.Index(base, s)) }
	cases := []struct {
		name, old, new, field string
		offset                int64
	}{
		{"no common", "[Common Infos]", "[Common]", "[Common Infos]", -1},
		{"bad interval", "SamplingInterval=2000", "SamplingInterval=2ms", "SamplingInterval", off("SamplingInterval")},
		{"zero interval", "SamplingInterval=2000", "SamplingInterval=0", "SamplingInterval", off("SamplingInterval")},
		{"orientation", "DataOrientation=MULTIPLEXED", "DataOrientation=ROWS", "DataOrientation", off("DataOrientation")},
		{"ascii", "DataFormat=BINARY", "DataFormat=ASCII", "DataFormat", off("DataFormat")},
		{"format", "BinaryFormat=INT_16", "BinaryFormat=INT_24", "BinaryFormat", off("BinaryFormat")},
		{"channels", "NumberOfChannels=4", "NumberOfChannels=four", "NumberOfChannels", off("NumberOfChannels")},
		{"too many", "NumberOfChannels=4", "NumberOfChannels=5", "[Channel Infos]", off("[Channel Infos]")},
		{"resolution", "Ch2=HEOGL,,1,nV", "Ch2=HEOGL,,one,nV", "ch2", off("Ch2=")},
		{"short entry", "Ch2=HEOGL,,1,nV", "Ch2=HEOGL", "ch2", off("Ch2=")},
		{"index", "Ch2=HEOGL,,1,nV", "Ch9=HEOGL,,1,nV", "ch9", off("Ch2=")},
		{"missing ch", "Ch2=HEOGL,,1,nV", "Xy2=HEOGL,,1,nV", "xy2", off("Ch2=")},
		{"dup key", "Ch2=HEOGL,,1,nV", "Ch1=HEOGL,,1,nV", "header", off("Ch2=")},
		{"no delim", "Ch2=HEOGL,,1,nV", "Ch2 HEOGL", "header", off("Ch2")},
		{"codepage", "Codepage=UTF-8", "Codepage=EBCDIC", "Codepage", -1},
		{"no marker file", "MarkerFile=s.vmrk\n", "", "MarkerFile", off("[Common Infos]")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := strings.Replace(base, c.old, c.new, 1)
			if c.old == c.new || !strings.Contains(base, c.old) {
				t.Fatalf("bad case: %q not in header", c.old)
			}
			_, err := parseHeader("x.vhdr", []byte(h))
			var fe *formats.Error
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want *formats.Error", err)
			}
			if fe.File != "x.vhdr" || !strings.Contains(strings.ToLower(fe.Field), strings.ToLower(c.field)) || fe.Offset != c.offset {
				t.Errorf("err = %v (field %q offset %d), want field %q offset %d", err, fe.Field, fe.Offset, c.field, c.offset)
			}
		})
	}

	t.Run("marker position", func(t *testing.T) {
		m := synthMarkers + "Mk6=Stimulus,S  4,x9,1,0\n"
		_, err := parseMarkers("x.vmrk", []byte(m))
		var fe *formats.Error
		if !errors.As(err, &fe) || fe.Field != "[Marker Infos] Mk6" || fe.Offset != int64(len(synthMarkers)) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("marker fields", func(t *testing.T) {
		_, err := parseMarkers("x.vmrk", []byte(synthMarkers+"Mk6=Stimulus,S  4,9\n"))
		var fe *formats.Error
		if !errors.As(err, &fe) || fe.Field != "[Marker Infos] Mk6" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("truncated data", func(t *testing.T) {
		s := newSynth(t, "INT_16", Multiplexed, 10)
		hd, err := parseHeader("s.vhdr", []byte(strings.NewReplacer("%ORIENT%", "MULTIPLEXED", "%FORMAT%", "INT_16").Replace(s.vhdr)))
		if err != nil {
			t.Fatal(err)
		}
		// The size promises 10 samples but the reader ends after 4.
		r, err := NewReader(hd, bytes.NewReader(s.eeg[:4*8]), int64(len(s.eeg)), nil, "s.eeg")
		if err != nil {
			t.Fatal(err)
		}
		dst := [][]float64{make([]float64, 10), make([]float64, 10), make([]float64, 10), make([]float64, 10)}
		err = r.ReadSamples(dst, 0, 10)
		var fe *formats.Error
		if !errors.As(err, &fe) || fe.File != "s.eeg" || fe.Field != "data" || fe.Offset != 32 {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestStreaming checks that ReadSamples reads only the span it needs: one
// ReadAt of the frames for a multiplexed file, one per channel for a
// vectorized one.
func TestStreaming(t *testing.T) {
	const n = 10000
	for _, orient := range []Orientation{Multiplexed, Vectorized} {
		s := newSynth(t, "INT_16", orient, n)
		o := map[Orientation]string{Multiplexed: "MULTIPLEXED", Vectorized: "VECTORIZED"}[orient]
		hd, err := parseHeader("s.vhdr", []byte(strings.NewReplacer("%ORIENT%", o, "%FORMAT%", "INT_16").Replace(s.vhdr)))
		if err != nil {
			t.Fatal(err)
		}
		cr := &formatstest.CountingReaderAt{R: bytes.NewReader(s.eeg)}
		r, err := NewReader(hd, cr, int64(len(s.eeg)), nil, "s.eeg")
		if err != nil {
			t.Fatal(err)
		}
		dst := [][]float64{make([]float64, 100), make([]float64, 100), make([]float64, 100), make([]float64, 100)}
		if err := r.ReadSamples(dst, 5000, 5100); err != nil {
			t.Fatal(err)
		}
		wantCalls := map[Orientation]int{Multiplexed: 1, Vectorized: 4}[orient]
		if cr.Calls != wantCalls || cr.Bytes != 100*4*2 {
			t.Errorf("%s: %d ReadAt calls, %d bytes; want %d calls, 800 bytes", orient, cr.Calls, cr.Bytes, wantCalls)
		}
		if dst[3][0] != rawValue(Int16, 3, 5000)*0.25 {
			t.Errorf("%s: value %g", orient, dst[3][0])
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	for _, fm := range []string{"INT_16", "IEEE_FLOAT_32"} {
		for _, o := range []string{"MULTIPLEXED", "VECTORIZED"} {
			f.Add([]byte(strings.NewReplacer("%ORIENT%", o, "%FORMAT%", fm).Replace(synthHeader)))
		}
	}
	f.Add([]byte("Brain Vision Data Exchange Header File Version 1.0\n[Common Infos]\nDataFile=a\n  b\n[Coordinates]\nCh1=1,90,0\n"))
	addRealFiles(f, ".vhdr")
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseHeader("fuzz.vhdr", b)
		if err != nil {
			formatstest.AsError(t, err)
			return
		}
		if len(h.Channels) == 0 || !(h.SamplingInterval > 0) {
			t.Fatalf("accepted header without channels or rate: %+v", h)
		}
		// The accepted header must give a usable reader over a data
		// file of two whole samples, unless it says the file holds more.
		size := int64(2 * h.Format.Size() * len(h.Channels))
		r, err := NewReader(h, bytes.NewReader(make([]byte, size)), size, nil, "fuzz.eeg")
		if h.Orientation == Vectorized && h.DataPoints > 2 {
			if err == nil {
				t.Fatalf("DataPoints=%d read from 2 samples", h.DataPoints)
			}
			formatstest.AsError(t, err)
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Info().Channels {
			if !c.Type.Valid() {
				t.Fatalf("invalid type %q", c.Type)
			}
		}
		dst := make([][]float64, len(h.Channels))
		n := r.Info().NSamples
		for c := range dst {
			dst[c] = make([]float64, n)
		}
		if err := r.ReadSamples(dst, 0, n); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseMarkers(f *testing.F) {
	f.Add([]byte(synthMarkers))
	f.Add([]byte("[marker infos]Mk1=New Segment,,1,1,0,20131113161403794232\nMk2=A,B,-3,99999999999999999999999,0\n"))
	addRealFiles(f, ".vmrk")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseMarkers("fuzz.vmrk", b)
		if err != nil {
			formatstest.AsError(t, err)
			return
		}
		ann := m.Annotations(1000, 100)
		for i, a := range ann {
			if a.Onset < 0 || a.Duration < 0 || a.Onset > 0.1 || a.Onset+a.Duration > 0.1+1e-9 {
				t.Fatalf("annotation %d outside the recording: %+v", i, a)
			}
			if i > 0 && a.Onset < ann[i-1].Onset {
				t.Fatalf("annotations not sorted: %+v", ann)
			}
		}
	})
}

// addRealFiles seeds a fuzz corpus with the shared BrainVision files when
// they are present; fuzzing works without them.
func addRealFiles(f *testing.F, ext string) {
	paths, _ := filepath.Glob(filepath.Join(formatstest.SeedDir(), "format-samples", "brainvision", "*"+ext))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

func BenchmarkReadSamples(b *testing.B) {
	const n, span = 100000, 1000
	for _, orient := range []Orientation{Multiplexed, Vectorized} {
		b.Run(orient.String(), func(b *testing.B) {
			s := newSynth(b, "IEEE_FLOAT_32", orient, n)
			o := orient.String()
			hd, err := parseHeader("s.vhdr", []byte(strings.NewReplacer("%ORIENT%", o, "%FORMAT%", "IEEE_FLOAT_32").Replace(s.vhdr)))
			if err != nil {
				b.Fatal(err)
			}
			r, err := NewReader(hd, bytes.NewReader(s.eeg), int64(len(s.eeg)), nil, "s.eeg")
			if err != nil {
				b.Fatal(err)
			}
			dst := make([][]float64, 4)
			for c := range dst {
				dst[c] = make([]float64, span)
			}
			if err := r.ReadSamples(dst, 0, span); err != nil { // warm-up
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(span * 4 * 4)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := int64(i*span) % (n - span)
				if err := r.ReadSamples(dst, start, start+span); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
