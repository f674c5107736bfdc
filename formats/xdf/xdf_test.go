package xdf

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

func open(t *testing.T, b []byte, opt Options) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b), int64(len(b)), "test.xdf", opt)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVarlen(t *testing.T) {
	for _, c := range []struct {
		in   []byte
		want uint64
		n    int
		err  string
	}{
		{[]byte{1, 200}, 200, 2, ""},
		{[]byte{4, 1, 2, 0, 0}, 0x201, 5, ""},
		{[]byte{8, 0, 0, 0, 0, 0, 0, 0, 0x80}, 1 << 63, 9, ""},
		{[]byte{2, 1, 1}, 0, 0, "not 1, 4 or 8"},
		{[]byte{4, 1}, 0, 0, "cut short"},
		{nil, 0, 0, "missing"},
	} {
		v, n, err := varlen(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("varlen(%v): error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || v != c.want || n != c.n {
			t.Errorf("varlen(%v) = %d, %d, %v; want %d, %d", c.in, v, n, err, c.want, c.n)
		}
	}
}

// TestDecodeUTF8: one U+FFFD per maximal subpart of an ill-formed
// sequence, as Python's decode(errors="replace") (pyxdf) gives.
func TestDecodeUTF8(t *testing.T) {
	const r = "\uFFFD"
	for in, want := range map[string]string{
		"plain ✓":           "plain ✓",
		"\xff\xfe ok":       r + r + " ok",
		"\xe2\x9ca":         r + "a",
		"\xed\xa0\x80":      r + r + r, // a surrogate: ED allows only 80–9F next
		"\xf4\x90\x80\x80":  r + r + r + r,
		"\xc0\xaf":          r + r,
		"ab\xf0\x9f\x99":    "ab" + r,
		"\xe0\x80":          r + r,
		"\xf0\x9f\x99\x82!": "🙂!",
	} {
		if got := decodeUTF8([]byte(in)); got != want {
			t.Errorf("decodeUTF8(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSession reads a small sound file: channels, values, annotations.
func TestSession(t *testing.T) {
	r := open(t, sessionBytes(), Options{})
	info := r.Info()
	if info.Format != "XDF 1.0" || info.SampleRate != 100 || info.NSamples != 300 || len(info.Warnings) != 0 {
		t.Fatalf("info %q %v Hz %d samples, warnings %q", info.Format, info.SampleRate, info.NSamples, info.Warnings)
	}
	want := []formats.Channel{
		{Label: "Fz", Type: formats.EEG, Unit: "V", SampleRate: 100},
		{Label: "EOG", Type: formats.EOG, Unit: "V", SampleRate: 100},
		{Label: "Trig", Type: formats.Stim, Unit: "NA", SampleRate: 100},
	}
	if !slices.Equal(info.Channels, want) {
		t.Errorf("channels %+v, want %+v", info.Channels, want)
	}
	got := formatstest.ReadAll(t, r)
	for i := range 300 {
		for c, w := range []float64{float64(i%200-100) * 1e-6, float64(-i) * 1e-6, float64(i % 3)} {
			if got[c][i] != w {
				t.Fatalf("channel %d sample %d = %v, want %v", c, i, got[c][i], w)
			}
		}
	}
	var desc []string
	for _, a := range info.Annotations {
		desc = append(desc, a.Description)
		// The onset is where the marker's time falls among the EEG's
		// synchronised time stamps.
		ts := r.Stream().Timestamps
		i := int(math.Round(a.Onset * info.SampleRate))
		if i < 0 || i >= len(ts) || a.Duration != 0 {
			t.Fatalf("annotation %+v outside the recording", a)
		}
	}
	if !slices.Equal(desc, []string{"start", "7", "go"}) {
		t.Errorf("annotations %q, want start, 7, go", desc)
	}
	// Clock offsets: the EEG stream's are fitted (-0.25 s), the string
	// markers' -30.25 s moves them from 80.5 to 50.25.
	m := r.File().Stream(2)
	if m.Timestamps[0] != 80.5-30.25 || m.Strings[1] != "go" {
		t.Errorf("markers at %v %q", m.Timestamps, m.Strings)
	}
	if d := r.Stream().Timestamps[0] - (50 - 0.25); math.Abs(d) > 5e-4 {
		t.Errorf("first EEG time stamp off by %g s", d)
	}
}

func TestSelectStreams(t *testing.T) {
	b := newBuilder()
	b.stream(1, "acc", "ACC", 2, 50, Float32)
	b.stream(2, "amp", "EEG", 1, 100, Double64)
	b.stream(3, "empty eeg", "eeg", 1, 100, Double64)
	b.stream(4, "psy", "Markers", 1, 0, String)
	b.stream(5, "codes", "Triggers", 1, 0, Int16)
	b.stream(6, "pos", "Mocap", 3, 0, Float32)
	b.numeric(1, Float32, [][]float64{{1, 2}}, []float64{10})
	b.numeric(2, Double64, [][]float64{{1}, {2}, {3}}, []float64{10, 10.01, 10.02})
	b.strings(4, [][]string{{"a"}}, []float64{10.005})
	b.numeric(5, Int16, [][]float64{{3}}, []float64{10.006})
	b.numeric(6, Float32, [][]float64{{1, 2, 3}}, []float64{10.02})
	data := b.Bytes()
	for _, c := range []struct {
		opt     Options
		session uint32
		ann     []string
		err     string
	}{
		{Options{}, 2, []string{"a", "3"}, ""},
		{Options{Stream: "acc"}, 1, []string{"a", "3"}, ""},              // within half a sample of its only one
		{Options{Stream: "acc", Markers: []string{"mocap"}}, 1, nil, ""}, // 20 ms: a sample later
		{Options{Stream: "eeg"}, 2, []string{"a", "3"}, ""},
		{Options{Stream: "empty eeg"}, 3, nil, ""},
		{Options{Markers: []string{"codes"}}, 2, []string{"3"}, ""},
		{Options{Markers: []string{"MARKERS", "mocap"}}, 2, []string{"a", "1/2/3"}, ""},
		{Options{Stream: "psy"}, 0, nil, `no regularly sampled numeric stream named or typed "psy"`},
		{Options{Markers: []string{"acc"}}, 0, nil, "is regularly sampled"},
		{Options{Markers: []string{"nope"}}, 0, nil, `no marker stream named or typed "nope"`},
		{Options{Sync: Sync{WinsorThreshold: -1}}, 0, nil, "Sync.WinsorThreshold"},
	} {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "sel.xdf", c.opt)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%+v: error %v, want %q", c.opt, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", c.opt, err)
			continue
		}
		var ann []string
		for _, a := range r.Info().Annotations {
			ann = append(ann, a.Description)
		}
		if r.Stream().ID != c.session || !slices.Equal(ann, c.ann) {
			t.Errorf("%+v: session %d, annotations %q; want %d, %q", c.opt, r.Stream().ID, ann, c.session, c.ann)
		}
	}
	// A file with no regular numeric stream is not a recording.
	b = newBuilder()
	b.stream(4, "psy", "Markers", 1, 0, String)
	_, err := NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()), "m.xdf", Options{})
	if fe := formatstest.AsError(t, err); !strings.Contains(fe.Msg, `4 "psy" (Markers, 1 × string, 0 Hz)`) {
		t.Errorf("error %v does not list the streams", err)
	}
}

// TestDamaged: a damaged file either fails with a *formats.Error naming
// the field, or reads what it can and says so in Info.Warnings.
func TestDamaged(t *testing.T) {
	full := sessionBytes()
	whole := open(t, full, Options{})
	want := formatstest.ReadAll(t, whole)

	header := func(xml string) []byte {
		b := newBuilder()
		b.chunk(tagStreamHeader, withID(1, []byte(xml)))
		return b.Bytes()
	}
	for _, c := range []struct {
		name  string
		b     []byte
		field string
	}{
		{"magic", append([]byte("XDF;"), full[4:]...), "magic"},
		{"empty", nil, "magic"},
		{"header XML", header("<info><name>x</name"), "stream 1 header"},
		{"no channel count", header("<info><nominal_srate>1</nominal_srate><channel_format>int8</channel_format></info>"), "stream 1 header"},
		{"format", header("<info><channel_count>1</channel_count><nominal_srate>1</nominal_srate><channel_format>int12</channel_format></info>"), "channel_format"},
		{"channel count", header("<info><channel_count>1000000</channel_count><nominal_srate>1</nominal_srate><channel_format>int8</channel_format></info>"), "channel_count"},
		{"negative count", header("<info><channel_count>-1</channel_count><nominal_srate>1</nominal_srate><channel_format>int8</channel_format></info>"), "channel_count"},
		{"rate", header("<info><channel_count>1</channel_count><nominal_srate>fast</nominal_srate><channel_format>int8</channel_format></info>"), "nominal_srate"},
		{"negative rate", header("<info><channel_count>1</channel_count><nominal_srate>-100</nominal_srate><channel_format>int8</channel_format></info>"), "nominal_srate"},
	} {
		_, err := NewReader(bytes.NewReader(c.b), int64(len(c.b)), "bad.xdf", Options{})
		if fe := formatstest.AsError(t, err); !strings.Contains(fe.Field, c.field) || fe.File != "bad.xdf" {
			t.Errorf("%s: error %v, want field %q", c.name, err, c.field)
		}
	}

	// Cut at every byte after the stream headers: never an error, the
	// samples read are a prefix of the whole file's, and a cut inside a
	// chunk is a warning.
	first := bytes.Index(full, []byte("\x03\x00\x01\x00\x00\x00")) - 2 // the first Samples chunk
	for cut := first; cut < len(full); cut++ {
		r, err := NewReader(bytes.NewReader(full[:cut]), int64(cut), "cut.xdf", Options{})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		got := formatstest.ReadAll(t, r)
		for c := range got {
			if !slices.Equal(got[c], want[c][:len(got[c])]) {
				t.Fatalf("cut at %d: channel %d differs from the whole file's", cut, c)
			}
		}
		if len(r.Info().Warnings) == 0 && !chunkEnd(full, cut) {
			t.Fatalf("cut at %d inside a chunk: no warning", cut)
		}
	}

	// Garbage instead of a chunk length: skipped to the next boundary.
	i := bytes.Index(full, boundarySignature) - 4
	bad := slices.Concat(full[:i], []byte{3, 9, 9, 9}, full[i:])
	r := open(t, bad, Options{})
	formatstest.HasWarning(t, r.Info(), "test.xdf", "chunk length", "width byte 3", "skipped to the next boundary chunk")
	if r.Info().NSamples != whole.Info().NSamples {
		t.Errorf("%d samples after skipping to a boundary, want %d", r.Info().NSamples, whole.Info().NSamples)
	}

	// A Samples chunk claiming more samples than it holds is dropped;
	// one for a stream with no header and a short clock offset are
	// skipped.
	b := bytes.NewBuffer(slices.Clone(full))
	bb := &builder{Buffer: *b}
	bb.chunk(tagSamples, withID(1, []byte{4, 0xff, 0xff, 0, 0, 0, 1, 2, 3}))
	bb.chunk(tagSamples, withID(9, []byte{1, 0}))
	bb.chunk(tagClockOffset, withID(1, []byte{1, 2, 3}))
	bb.numeric(1, Int16, [][]float64{{1, 2, 3}}, []float64{math.NaN()})
	r = open(t, bb.Bytes(), Options{})
	formatstest.HasWarning(t, r.Info(), "samples", "stream 1: 65535 samples claimed")
	formatstest.HasWarning(t, r.Info(), "tag 3 for stream 9, which has no header")
	formatstest.HasWarning(t, r.Info(), "clock offset", "3 bytes, want 16")
	if r.Info().NSamples != whole.Info().NSamples+1 {
		t.Errorf("%d samples, want %d", r.Info().NSamples, whole.Info().NSamples+1)
	}
	// Many damaged chunks: five warnings, then a count.
	bb = &builder{Buffer: *bytes.NewBuffer(slices.Clone(full))}
	for range 40 {
		bb.Write([]byte{3, 1, 2, 3})
		bb.boundary()
	}
	r = open(t, bb.Bytes(), Options{})
	if w := r.Info().Warnings; len(w) != 6 || !strings.HasSuffix(w[5], "test.xdf: chunk length: 35 more warnings like the above") {
		t.Errorf("warnings %q", w)
	}
	// Ten streams whose rate is off: five warnings, then a count.
	bb = newBuilder()
	for id := range uint32(10) {
		bb.stream(id, "s", "EEG", 1, 100, Int8)
		bb.numeric(id, Int8, [][]float64{{1}, {2}}, []float64{1, 1.5})
	}
	r = open(t, bb.Bytes(), Options{})
	if w := r.Info().Warnings; len(w) != 6 || !strings.Contains(w[0], "stream 0: effective sampling rate 2.0000 Hz differs from the nominal 100.0000 Hz") ||
		w[5] != "test.xdf: 5 more warnings like the above" {
		t.Errorf("warnings %q", w)
	}
}

// chunkEnd reports whether cut falls between two chunks of b.
func chunkEnd(b []byte, cut int) bool {
	off := 4
	for off < cut {
		n, k, err := varlen(b[off:])
		if err != nil {
			return false
		}
		off += k + int(n)
	}
	return off == cut
}

// TestReadSamples: range checks, and a span reads only the blocks that
// cover it.
func TestReadSamples(t *testing.T) {
	data := sessionBytes()
	cr := &formatstest.CountingReaderAt{R: bytes.NewReader(data)}
	r, err := NewReader(cr, int64(len(data)), "s.xdf", Options{})
	if err != nil {
		t.Fatal(err)
	}
	all := formatstest.ReadAll(t, r)
	dst := [][]float64{make([]float64, 3), make([]float64, 3), make([]float64, 3)}
	cr.Calls, cr.Bytes = 0, 0
	if err := r.ReadSamples(dst, 101, 104); err != nil {
		t.Fatal(err)
	}
	for c := range dst {
		if !slices.Equal(dst[c], all[c][101:104]) {
			t.Errorf("channel %d: %v, want %v", c, dst[c], all[c][101:104])
		}
	}
	// Samples 101–103 are in the chunk of 100–124: 25 samples of at
	// most 9+6 bytes.
	if cr.Calls != 1 || cr.Bytes > 25*15 {
		t.Errorf("%d reads of %d bytes for 3 samples", cr.Calls, cr.Bytes)
	}
	if err := r.ReadSamples(dst, 298, 301); err == nil {
		t.Error("no error reading past the end")
	}
	if allocs := testing.AllocsPerRun(10, func() { r.ReadSamples(dst, 40, 43) }); allocs != 0 {
		t.Errorf("%v allocations per ReadSamples", allocs)
	}
}

// TestAllocBoundedByFileSize opens and streams files whose headers and
// chunks claim huge counts, and checks that the reader allocates in
// proportion to the file, not to what the file claims.
func TestAllocBoundedByFileSize(t *testing.T) {
	huge := func(f func(b *builder)) []byte {
		b := newBuilder()
		b.stream(1, "amp", "EEG", 4, 1000, Int8)
		f(b)
		return b.Bytes()
	}
	deep := "<info><channel_count>1</channel_count><nominal_srate>1</nominal_srate><channel_format>int8</channel_format><desc>" +
		strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200) + "</desc></info>"
	many := "<info><channel_count>1</channel_count><nominal_srate>1</nominal_srate><channel_format>int8</channel_format><desc>" +
		strings.Repeat("<b/>", 20000) + "</desc></info>"
	cases := []struct {
		name string
		b    []byte
	}{
		{"huge sample count", huge(func(b *builder) {
			b.chunk(tagSamples, withID(1, []byte{8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0}))
		})},
		{"huge chunk length", append(huge(func(*builder) {}), 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 3, 0)},
		{"huge string", func() []byte {
			b := newBuilder()
			b.stream(1, "m", "Markers", 1, 0, String)
			b.chunk(tagSamples, withID(1, []byte{1, 1, 0, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}))
			return b.Bytes()
		}()},
		{"many empty chunks", huge(func(b *builder) {
			for range 5000 {
				b.chunk(tagSamples, withID(1, []byte{1, 0}))
			}
		})},
		{"samples with no channels", func() []byte {
			b := newBuilder()
			b.stream(1, "amp", "EEG", 0, 1000, Int8)
			b.stream(2, "amp", "EEG", 1, 1000, Int8)
			b.chunk(tagSamples, withID(1, append([]byte{4, 0x40, 0x9c, 0, 0}, make([]byte, 40000)...)))
			return b.Bytes()
		}()},
		{"many corrupt chunk sizes", huge(func(b *builder) {
			for range 3000 {
				b.Write([]byte{3, 1, 2, 3})
				b.boundary()
			}
		})},
		{"deep XML", func() []byte { b := newBuilder(); b.chunk(tagStreamHeader, withID(1, []byte(deep))); return b.Bytes() }()},
		{"many XML elements", func() []byte { b := newBuilder(); b.chunk(tagStreamHeader, withID(1, []byte(many))); return b.Bytes() }()},
		{"session", sessionBytes()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			used := formatstest.CheckAllocs(t, int64(len(c.b)), func() (formats.Recording, error) {
				return NewReader(bytes.NewReader(c.b), int64(len(c.b)), "crafted.xdf", Options{})
			})
			t.Logf("%d bytes: %d allocated", len(c.b), used)
		})
	}
}

// TestWrittenFiles checks what the Python-written files say beyond their
// samples: channel metadata in SI and the warnings on damaged files.
func TestWrittenFiles(t *testing.T) {
	dir := filepath.Dir(writeTestFiles(t)[0])
	r, err := Open(filepath.Join(dir, "session.xdf"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	var labels, units []string
	var types []formats.ChannelType
	for _, c := range info.Channels {
		labels = append(labels, c.Label)
		units = append(units, c.Unit)
		types = append(types, c.Type)
	}
	if w := []string{"Fz", "Cz-0", "Pz", "Oz", "HEOG", "ECG", "Cz-1", "Temp"}; !slices.Equal(labels, w) {
		t.Errorf("labels %q, want %q", labels, w)
	}
	if w := []string{"V", "V", "V", "NA", "V", "V", "V", "celsius"}; !slices.Equal(units, w) {
		t.Errorf("units %q, want %q", units, w)
	}
	if w := []formats.ChannelType{"eeg", "eeg", "eeg", "eeg", "eog", "ecg", "eeg", "misc"}; !slices.Equal(types, w) {
		t.Errorf("types %q, want %q", types, w)
	}
	if info.Format != "XDF 1.0" || info.SampleRate != 250 || len(info.Warnings) != 0 || !info.StartTime.IsZero() {
		t.Errorf("%q at %v Hz from %v, warnings %q", info.Format, info.SampleRate, info.StartTime, info.Warnings)
	}
	for name, want := range map[string][]string{
		"corrupt.xdf":   {"chunk length", "skipped to the next boundary chunk"},
		"truncated.xdf": {"the file is cut short"},
		"pylsl67.xdf":   {"stream 1", "truncated (pylsl#67)"},
	} {
		r, err := Open(filepath.Join(dir, name), Options{})
		if err != nil {
			t.Fatal(err)
		}
		formatstest.HasWarning(t, r.Info(), append([]string{name}, want...)...)
		r.Close()
	}
	if _, err := Open(filepath.Join(dir, "none.xdf"), Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestFileChanged: a file rewritten after Open gives an error, not a
// panic or wrong samples of another layout.
func TestFileChanged(t *testing.T) {
	data := sessionBytes()
	r := open(t, slices.Clone(data), Options{})
	// Every time stamp flag set: each sample now seems 8 bytes longer.
	rd := r.rd.(*bytes.Reader)
	changed := slices.Clone(data)
	for _, bl := range r.blocks {
		pos := bl.off
		for range bl.n {
			if changed[pos] == 0 {
				changed[pos] = 8
				pos += 1 + 6
			} else {
				pos += 9 + 6
			}
		}
	}
	*rd = *bytes.NewReader(changed)
	dst := [][]float64{make([]float64, 300), make([]float64, 300), make([]float64, 300)}
	err := r.ReadSamples(dst, 0, 300)
	if fe := formatstest.AsError(t, err); !strings.Contains(fe.Msg, "the file changed") {
		t.Errorf("error %v", err)
	}
}
