package wire

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/neurostream/neurostream/formats"
)

var oddLabels = []string{
	"Fz", "C3", "EEG Fp1-REF", "MEG 0113", "Oz,O1", `quote"d`, "Ünïcødé", "脑电", "tab\there",
	"emoji🧠", "a,b,c", " lead space", "x=1;y=2", "ч", "STI 014", "EOG061",
}

var allTypes = []formats.ChannelType{formats.EEG, formats.MEGMag, formats.MEGGrad, formats.EOG,
	formats.ECG, formats.EMG, formats.Stim, formats.Misc}

// randChunk returns a chunk of nch channels and rows rows with labels drawn
// from oddLabels (made unique), every channel type, and positions on some
// channels.
func randChunk(rng *rand.Rand, nch, rows int) *Chunk {
	c := &Chunk{
		Session:     fmt.Sprintf("sub-%02d_ses,1/é %d", rng.IntN(100), rng.IntN(1000)),
		SampleRate:  []float64{256, 512, 1000, 2048, 250.0 / 3, DefaultMinSampleRate, 5000.5, 1 / 3.0}[rng.IntN(8)],
		FirstSample: rng.Int64N(1 << 40),
		StartTimeNS: rng.Int64() - 1<<62,
		Seq:         rng.Int64N(1 << 30),
		Final:       rng.IntN(3) == 0,
	}
	for i := 0; i < nch; i++ {
		typ := allTypes[rng.IntN(len(allTypes))]
		unit := map[formats.ChannelType]string{formats.MEGMag: "T", formats.MEGGrad: "T/m", formats.Stim: "V", formats.Misc: "µV·s"}[typ]
		if unit == "" {
			unit = "V"
		}
		ch := formats.Channel{
			Label:      oddLabels[rng.IntN(len(oddLabels))] + "#" + strconv.Itoa(i),
			Type:       typ,
			Unit:       unit,
			SampleRate: c.SampleRate,
		}
		if rng.IntN(3) > 0 {
			ch.Pos = &[3]float64{rng.NormFloat64() * 0.1, rng.NormFloat64() * 0.1, -rng.Float64() / 7}
		}
		c.Channels = append(c.Channels, ch)
		col := make([]float32, rows)
		for j := range col {
			col[j] = float32(rng.NormFloat64() * 1e-5)
		}
		c.Data = append(c.Data, col)
	}
	return c
}

func mustEncode(t testing.TB, c *Chunk) []byte {
	t.Helper()
	b, err := NewEncoder(nil).Encode(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	enc, dec := NewEncoder(memory.DefaultAllocator), NewDecoder(memory.DefaultAllocator)
	var buf []byte
	var got Chunk // reused across shapes: capacity reuse must not leak old values
	shapes := [][2]int{{1, 1}, {1, 7}, {3, 1}, {64, 256}, {2, 3}, {306, 10}, {5, 1000}, {16, 33}, {1, 2}}
	for k := 0; k < 40; k++ {
		var nch, rows int
		if k < len(shapes) {
			nch, rows = shapes[k][0], shapes[k][1]
		} else {
			nch, rows = 1+rng.IntN(40), 1+rng.IntN(300)
		}
		want := randChunk(rng, nch, rows)
		var err error
		buf, err = enc.Encode(buf[:0], want)
		if err != nil {
			t.Fatalf("%dx%d: %v", nch, rows, err)
		}
		if err := dec.Decode(&got, buf); err != nil {
			t.Fatalf("%dx%d: %v", nch, rows, err)
		}
		if !reflect.DeepEqual(&got, want) {
			t.Fatalf("%dx%d: round trip differs:\ngot  %+v\nwant %+v", nch, rows, got.Channels, want.Channels)
		}
		// A fresh decoder and chunk give the same result.
		var fresh Chunk
		if err := NewDecoder(nil).Decode(&fresh, buf); err != nil || !reflect.DeepEqual(&fresh, want) {
			t.Fatalf("%dx%d: fresh decode differs (err %v)", nch, rows, err)
		}
	}
}

// TestRoundTripValues checks float32 bit patterns (including NaN payloads,
// infinities, subnormals, -0) and sample rates that need all 17 digits,
// extreme ones included, which a Decoder accepts when its Limits allow.
func TestRoundTripValues(t *testing.T) {
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, math.MaxFloat32, -math.MaxFloat32,
		math.SmallestNonzeroFloat32, float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(0x7fc00001), math.Float32frombits(0xffbfffff), 1e-12, 3.4028e-38}
	for _, rate := range []float64{1 / 3.0, 2048.0000000000005, math.SmallestNonzeroFloat64, math.MaxFloat64, 0.1 + 0.2, 1e21} {
		c := &Chunk{Session: "s", SampleRate: rate, FirstSample: math.MaxInt64 - 100, StartTimeNS: math.MinInt64, Seq: math.MaxInt64,
			Channels: []formats.Channel{{Label: "x", Type: formats.Misc, Unit: "V"}},
			Data:     [][]float32{vals}}
		var got Chunk
		dec := NewDecoder(nil)
		dec.Limits.MinSampleRate, dec.Limits.MaxSampleRate = math.SmallestNonzeroFloat64, math.MaxFloat64
		if err := dec.Decode(&got, mustEncode(t, c)); err != nil {
			t.Fatal(err)
		}
		if got.SampleRate != rate || got.FirstSample != c.FirstSample || got.StartTimeNS != c.StartTimeNS || got.Seq != c.Seq {
			t.Errorf("rate %v: metadata round trip gave %+v", rate, got)
		}
		for i, v := range got.Data[0] {
			if math.Float32bits(v) != math.Float32bits(vals[i]) {
				t.Errorf("value %d: got bits %#x, want %#x", i, math.Float32bits(v), math.Float32bits(vals[i]))
			}
		}
	}
}

// TestArrowReadsEncoded decodes Encoder output with arrow's own IPC reader,
// an independent implementation.
func TestArrowReadsEncoded(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, shape := range [][2]int{{1, 1}, {7, 13}, {64, 256}} {
		c := randChunk(rng, shape[0], shape[1])
		r, err := ipc.NewReader(bytes.NewReader(mustEncode(t, c)))
		if err != nil {
			t.Fatal(err)
		}
		md := r.Schema().Metadata()
		for key, want := range map[string]string{
			KeySession: c.Session, KeySampleRate: strconv.FormatFloat(c.SampleRate, 'g', -1, 64),
			KeyFirstSample: strconv.FormatInt(c.FirstSample, 10), KeyStartTimeNS: strconv.FormatInt(c.StartTimeNS, 10),
			KeySeq: strconv.FormatInt(c.Seq, 10), KeyVersion: "1",
		} {
			if i := md.FindKey(key); i < 0 || md.Values()[i] != want {
				t.Errorf("metadata %s: got index %d in %v, want %q", key, i, md, want)
			}
		}
		nrec := 0
		for r.Next() {
			rec := r.Record()
			nrec++
			if int(rec.NumRows()) != c.Len() || int(rec.NumCols()) != len(c.Channels) {
				t.Fatalf("record %dx%d, want %dx%d", rec.NumCols(), rec.NumRows(), len(c.Channels), c.Len())
			}
			for i, ch := range c.Channels {
				f := rec.Schema().Field(i)
				if f.Name != ch.Label || f.Nullable || !arrow.TypeEqual(f.Type, arrow.PrimitiveTypes.Float32) {
					t.Errorf("field %d: %v, want non-nullable float32 %q", i, f, ch.Label)
				}
				typ, _ := f.Metadata.GetValue(FieldKeyType)
				unit, _ := f.Metadata.GetValue(FieldKeyUnit)
				pos, hasPos := f.Metadata.GetValue(FieldKeyPos)
				if typ != string(ch.Type) || unit != ch.Unit || hasPos != (ch.Pos != nil) {
					t.Errorf("field %d metadata %v", i, f.Metadata)
				}
				if ch.Pos != nil {
					want := fmt.Sprintf("%s,%s,%s", strconv.FormatFloat(ch.Pos[0], 'g', -1, 64),
						strconv.FormatFloat(ch.Pos[1], 'g', -1, 64), strconv.FormatFloat(ch.Pos[2], 'g', -1, 64))
					if pos != want {
						t.Errorf("field %d pos %q, want %q", i, pos, want)
					}
				}
				if got := rec.Column(i).(*array.Float32).Float32Values(); !reflect.DeepEqual(got, c.Data[i]) {
					t.Errorf("column %d values differ", i)
				}
			}
		}
		if v, ok := md.GetValue(KeyFinal); ok != c.Final || (ok && v != "true") {
			t.Errorf("metadata %s: %q (present %v), want present only when final", KeyFinal, v, ok)
		}
		if r.Err() != nil || nrec != 1 {
			t.Fatalf("arrow reader: %d records, err %v", nrec, r.Err())
		}
		r.Release()
	}
}

// arrowChunk writes c with arrow's IPC writer: an independent producer.
func arrowChunk(t testing.TB, c *Chunk) []byte {
	t.Helper()
	keys := []string{KeySession, KeySampleRate, KeyFirstSample, KeyStartTimeNS, KeySeq, KeyVersion, "producer.extra", KeyFinal}
	vals := []string{c.Session, strconv.FormatFloat(c.SampleRate, 'g', -1, 64), strconv.FormatInt(c.FirstSample, 10),
		strconv.FormatInt(c.StartTimeNS, 10), strconv.FormatInt(c.Seq, 10), Version, "ignored", strconv.FormatBool(c.Final)}
	md := arrow.NewMetadata(keys, vals)
	fields := make([]arrow.Field, len(c.Channels))
	cols := make([]arrow.Array, len(c.Channels))
	for i, ch := range c.Channels {
		keys, vals := []string{FieldKeyUnit, FieldKeyType}, []string{ch.Unit, string(ch.Type)}
		if ch.Pos != nil {
			keys = append(keys, FieldKeyPos)
			vals = append(vals, fmt.Sprintf("%v, %v, %v", ch.Pos[0], ch.Pos[1], ch.Pos[2]))
		}
		fields[i] = arrow.Field{Name: ch.Label, Type: arrow.PrimitiveTypes.Float32, Metadata: arrow.NewMetadata(keys, vals)}
		b := array.NewFloat32Builder(memory.DefaultAllocator)
		b.AppendValues(c.Data[i], nil)
		cols[i] = b.NewArray()
	}
	return arrowStream(t, arrow.NewSchema(fields, &md), cols)
}

// arrowStream writes one record batch per element of batches.
func arrowStream(t testing.TB, schema *arrow.Schema, batches ...[]arrow.Array) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(schema))
	for _, cols := range batches {
		rec := array.NewRecord(schema, cols, int64(cols[0].Len()))
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
		rec.Release()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecodeArrowWritten(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, shape := range [][2]int{{1, 1}, {9, 31}, {64, 256}} {
		want := randChunk(rng, shape[0], shape[1])
		var got Chunk
		if err := NewDecoder(nil).Decode(&got, arrowChunk(t, want)); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&got, want) {
			t.Fatalf("%v: decoded arrow-written chunk differs:\ngot  %+v\nwant %+v", shape, got, want)
		}
	}
}

func TestEncodeAppends(t *testing.T) {
	c := randChunk(rand.New(rand.NewPCG(7, 8)), 3, 5)
	one := mustEncode(t, c)
	prefix := []byte("key:")
	out, err := NewEncoder(nil).Encode(prefix, c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, prefix) || !bytes.Equal(out[len(prefix):], one) {
		t.Fatal("Encode did not append the stream after dst's contents")
	}
	// The stream ends with the end-of-stream marker and is 8-byte padded.
	if !bytes.HasSuffix(one, []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}) || len(one)%8 != 0 {
		t.Fatalf("stream of %d bytes does not end with an aligned end-of-stream marker", len(one))
	}
}

// TestEncoderCache checks that a cached channel set is not reused when the
// channels change, including a position changed in place.
func TestEncoderCache(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	enc, dec := NewEncoder(nil), NewDecoder(nil)
	c := randChunk(rng, 4, 8)
	c.Channels[1].Pos = &[3]float64{0.01, 0.02, 0.03}
	steps := []func(){
		func() {},
		func() { c.Channels[2].Label = "renamed" },
		func() { c.Channels[0].Type = formats.Stim },
		func() { c.Channels[3].Unit = "T" },
		func() { c.Channels[1].Pos[2] = 0.5 }, // in place
		func() { c.Channels[1].Pos = nil },
		func() { c.Channels = c.Channels[:3]; c.Data = c.Data[:3] },
		func() {
			c.Data[0] = append(c.Data[0], 1)
			c.Data[1] = append(c.Data[1], 2)
			c.Data[2] = append(c.Data[2], 3)
		},
	}
	for i, step := range steps {
		step()
		b, err := enc.Encode(nil, c)
		if err != nil {
			t.Fatal(err)
		}
		var got Chunk
		if err := dec.Decode(&got, b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(&got, c) {
			t.Fatalf("step %d: got %+v, want %+v", i, got.Channels, c.Channels)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	base := func() *Chunk {
		return &Chunk{Session: "s1", SampleRate: 256, Channels: []formats.Channel{
			{Label: "Fz", Type: formats.EEG, Unit: "V"}, {Label: "Cz", Type: formats.EEG, Unit: "V"}},
			Data: [][]float32{{1, 2}, {3, 4}}}
	}
	nan := math.NaN()
	for _, tc := range []struct {
		name, want string
		mod        func(*Chunk)
	}{
		{"empty session", "empty session", func(c *Chunk) { c.Session = "" }},
		{"bad utf8 session", "UTF-8", func(c *Chunk) { c.Session = "\xff" }},
		{"zero rate", "sample rate", func(c *Chunk) { c.SampleRate = 0 }},
		{"nan rate", "sample rate", func(c *Chunk) { c.SampleRate = nan }},
		{"inf rate", "sample rate", func(c *Chunk) { c.SampleRate = math.Inf(1) }},
		{"negative first sample", "first sample", func(c *Chunk) { c.FirstSample = -1 }},
		{"negative seq", "negative seq", func(c *Chunk) { c.Seq = -1 }},
		{"sample clock overflow", "first sample 9223372036854775806 + 2 rows overflows", func(c *Chunk) { c.FirstSample = math.MaxInt64 - 1 }},
		{"no channels", "no channels", func(c *Chunk) { c.Channels, c.Data = nil, nil }},
		{"data/channels mismatch", "2 data columns for 1 channels", func(c *Chunk) { c.Channels = c.Channels[:1] }},
		{"no rows", "no rows", func(c *Chunk) { c.Data = [][]float32{{}, {}} }},
		{"ragged", `channel "Cz" has 1 rows`, func(c *Chunk) { c.Data[1] = c.Data[1][:1] }},
		{"empty label", "empty label", func(c *Chunk) { c.Channels[1].Label = "" }},
		{"duplicate label", `duplicate channel label "Fz"`, func(c *Chunk) { c.Channels[1].Label = "Fz" }},
		{"bad type", `invalid type "grad"`, func(c *Chunk) { c.Channels[0].Type = "grad" }},
		{"empty unit", "unit", func(c *Chunk) { c.Channels[0].Unit = "" }},
		{"nan pos", "non-finite position", func(c *Chunk) { c.Channels[0].Pos = &[3]float64{0, nan, 0} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mod(c)
			dst := []byte("keep")
			out, err := NewEncoder(nil).Encode(dst, c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want one containing %q", err, tc.want)
			}
			if string(out) != "keep" {
				t.Errorf("dst changed on error: %q", out)
			}
		})
	}
}

// TestDecodeReuse checks that decoding reuses the chunk's storage, does not
// alias the message, and leaves the chunk alone on error.
func TestDecodeReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	dec := NewDecoder(nil)
	a := randChunk(rng, 8, 100)
	msg := mustEncode(t, a)
	var c Chunk
	if err := dec.Decode(&c, msg); err != nil {
		t.Fatal(err)
	}
	col0 := &c.Data[0][0]
	pos := c.Channels[0].Pos
	for i := range msg {
		msg[i] = 0 // the decoded chunk must not alias msg
	}
	if !reflect.DeepEqual(&c, a) {
		t.Fatal("decoded chunk aliases the message bytes")
	}
	if err := dec.Decode(&c, mustEncode(t, a)); err != nil {
		t.Fatal(err)
	}
	if &c.Data[0][0] != col0 || c.Channels[0].Pos != pos {
		t.Error("second Decode did not reuse the chunk's storage")
	}
	before := fmt.Sprintf("%+v", c)
	bad := mustEncode(t, a)
	if err := dec.Decode(&c, bad[:len(bad)-100]); err == nil {
		t.Fatal("truncated message decoded")
	}
	if fmt.Sprintf("%+v", c) != before {
		t.Error("failed Decode changed the chunk")
	}
}

// TestSteadyStateAllocs pins the property the pipeline relies on: a steady
// stream of same-shaped chunks encodes and decodes without allocating.
func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	c := randChunk(rand.New(rand.NewPCG(13, 14)), 64, 256)
	enc, dec := NewEncoder(nil), NewDecoder(nil)
	buf, _ := enc.Encode(nil, c)
	var got Chunk
	if err := dec.Decode(&got, buf); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(50, func() {
		c.Seq++
		c.FirstSample += 256
		buf, _ = enc.Encode(buf[:0], c)
	}); n != 0 {
		t.Errorf("Encode: %v allocations per chunk, want 0", n)
	}
	if n := testing.AllocsPerRun(50, func() {
		if err := dec.Decode(&got, buf); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Decode: %v allocations per chunk, want 0", n)
	}
	if got.Seq != c.Seq || got.FirstSample != c.FirstSample {
		t.Errorf("decoded seq %d first %d, want %d %d", got.Seq, got.FirstSample, c.Seq, c.FirstSample)
	}
}

func TestReasonOf(t *testing.T) {
	var c Chunk
	err := NewDecoder(nil).Decode(&c, []byte("nope"))
	if ReasonOf(err) != ReasonDecode || ReasonOf(fmt.Errorf("wrapped: %w", err)) != ReasonDecode {
		t.Errorf("ReasonOf(decode error) = %q", ReasonOf(err))
	}
	gap := &Error{Reason: ReasonGap}
	if ReasonOf(fmt.Errorf("x: %w", gap)) != ReasonGap || ReasonOf(errors.New("other")) != "" || ReasonOf(nil) != "" {
		t.Error("ReasonOf misreads validation errors")
	}
}

// TestPortableValueCopy runs the byte-order-independent value copy that
// big-endian hosts use.
func TestPortableValueCopy(t *testing.T) {
	defer func(le bool) { hostLittleEndian = le }(hostLittleEndian)
	c := randChunk(rand.New(rand.NewPCG(15, 16)), 5, 9)
	fast := mustEncode(t, c)
	hostLittleEndian = false
	slow := mustEncode(t, c)
	if !bytes.Equal(fast, slow) {
		t.Fatal("portable encoding differs")
	}
	var got Chunk
	if err := NewDecoder(nil).Decode(&got, slow); err != nil || !reflect.DeepEqual(&got, c) {
		t.Fatalf("portable decoding differs (err %v)", err)
	}
}

// TestEmptyFinalChunk: a session can be ended by a final chunk with no
// rows (the producer had no sample left to carry the mark); any other
// empty chunk is refused by the encoder.
func TestEmptyFinalChunk(t *testing.T) {
	c := &Chunk{Session: "s", SampleRate: 250, FirstSample: 500, Seq: 4, Final: true,
		Channels: []formats.Channel{{Label: "Cz", Type: formats.EEG, Unit: "V"}}, Data: [][]float32{{}}}
	b, err := NewEncoder(nil).Encode(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	var got Chunk
	if err := NewDecoder(nil).Decode(&got, b); err != nil {
		t.Fatal(err)
	}
	if !got.Final || got.Len() != 0 || got.FirstSample != 500 || got.LastSample() != 500 {
		t.Errorf("decoded %+v", got)
	}
	c.Final = false
	if _, err := NewEncoder(nil).Encode(nil, c); err == nil {
		t.Error("an empty chunk that is not final was encoded")
	}
}
