package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/endian"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/neurostream/neurostream/formats"
)

// goodMeta is valid schema metadata; tests change one entry at a time.
func goodMeta() map[string]string {
	return map[string]string{
		KeySession: "s12", KeySampleRate: "512", KeyFirstSample: "20480",
		KeyStartTimeNS: "1700000000000000000", KeySeq: "40", KeyVersion: "1",
	}
}

// metaOf builds schema metadata from m; a key mapped to "\x00drop" is left
// out.
func metaOf(m map[string]string) *arrow.Metadata {
	var keys, vals []string
	for _, k := range []string{KeySession, KeySampleRate, KeyFirstSample, KeyStartTimeNS, KeySeq, KeyVersion, KeyFinal} {
		if v, ok := m[k]; ok && v != "\x00drop" {
			keys, vals = append(keys, k), append(vals, v)
		}
	}
	md := arrow.NewMetadata(keys, vals)
	return &md
}

func f32Field(name string, kv ...string) arrow.Field {
	if len(kv) == 0 {
		kv = []string{FieldKeyType, "eeg", FieldKeyUnit, "V"}
	}
	var keys, vals []string
	for i := 0; i < len(kv); i += 2 {
		keys, vals = append(keys, kv[i]), append(vals, kv[i+1])
	}
	return arrow.Field{Name: name, Type: arrow.PrimitiveTypes.Float32, Metadata: arrow.NewMetadata(keys, vals)}
}

func f32Col(vals ...float32) arrow.Array {
	b := array.NewFloat32Builder(memory.DefaultAllocator)
	b.AppendValues(vals, nil)
	return b.NewArray()
}

// streamWith writes a two-column stream (Fz, Cz; 3 rows) with metadata m.
func streamWith(t *testing.T, m map[string]string) []byte {
	t.Helper()
	s := arrow.NewSchema([]arrow.Field{f32Field("Fz"), f32Field("Cz")}, metaOf(m))
	return arrowStream(t, s, []arrow.Array{f32Col(1, 2, 3), f32Col(4, 5, 6)})
}

// withField writes a stream whose second column is field/col.
func withField(t *testing.T, field arrow.Field, col arrow.Array) []byte {
	t.Helper()
	s := arrow.NewSchema([]arrow.Field{f32Field("Fz"), field}, metaOf(goodMeta()))
	return arrowStream(t, s, []arrow.Array{f32Col(1, 2, 3), col})
}

// patchNode returns a copy of an Encoder stream in which column col's
// FieldNode fields are set to length and nulls. It locates the RecordBatch
// through the package's own flatbuffer reader.
func patchNode(t *testing.T, b []byte, col int, length, nulls int64) []byte {
	t.Helper()
	b = bytes.Clone(b)
	p := 8 + int(binary.LittleEndian.Uint32(b[4:])) // skip the schema message (no body)
	r := fbReader{b: b[p+8:]}
	rb, ok := r.child(r.root(), slotMessageHeader)
	start, n, _ := r.vector(rb, slotRecordBatchNodes, 16)
	if !ok || r.bad || col >= n {
		t.Fatal("cannot locate the record batch nodes")
	}
	binary.LittleEndian.PutUint64(r.b[start+16*col:], uint64(length))
	binary.LittleEndian.PutUint64(r.b[start+16*col+8:], uint64(nulls))
	return b
}

func twoChannelChunk() *Chunk {
	return &Chunk{Session: "s12", SampleRate: 512, FirstSample: 20480, StartTimeNS: 1, Seq: 40,
		Channels: []formats.Channel{{Label: "Fz", Type: formats.EEG, Unit: "V"}, {Label: "Cz", Type: formats.EEG, Unit: "V"}},
		Data:     [][]float32{{1, 2, 3}, {4, 5, 6}}}
}

func TestDecodeErrors(t *testing.T) {
	set := func(k, v string) []byte {
		m := goodMeta()
		m[k] = v
		return streamWith(t, m)
	}
	valid := mustEncode(t, twoChannelChunk())
	schema := arrow.NewSchema([]arrow.Field{f32Field("Fz")}, metaOf(goodMeta()))

	ff, err := os.Create(filepath.Join(t.TempDir(), "chunk.arrow"))
	if err != nil {
		t.Fatal(err)
	}
	fw, err := ipc.NewFileWriter(ff, ipc.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	rec := array.NewRecord(schema, []arrow.Array{f32Col(1)}, 1)
	if err := fw.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	ff.Close()
	arrowFile, err := os.ReadFile(ff.Name())
	if err != nil {
		t.Fatal(err)
	}

	var compressed bytes.Buffer
	cw := ipc.NewWriter(&compressed, ipc.WithSchema(schema), ipc.WithLZ4())
	if err := cw.Write(rec); err != nil {
		t.Fatal(err)
	}
	cw.Close()

	nullable := f32Field("Cz")
	nullable.Nullable = true
	nb := array.NewFloat32Builder(memory.DefaultAllocator)
	nb.AppendValues([]float32{1, 0, 3}, []bool{true, false, true})
	withNulls := nb.NewArray()
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.PrimitiveTypes.Float32}
	db := array.NewDictionaryBuilder(memory.DefaultAllocator, dictType).(*array.Float32DictionaryBuilder)
	db.Append(1)
	db.Append(2)
	db.Append(1)
	bigEndian := arrow.NewSchemaWithEndian([]arrow.Field{f32Field("Fz")}, metaOf(goodMeta()), endian.BigEndian)

	for _, tc := range []struct {
		name        string
		b           []byte
		key, column string
		want        string // substring of Error()
		session     string
		seq         int64
	}{
		// Framing.
		{name: "empty", b: nil, want: "not an Arrow IPC stream", seq: -1},
		{name: "text", b: []byte(`{"session":"s12","data":[1,2,3]}`), want: "not an Arrow IPC stream: no continuation marker", seq: -1},
		{name: "arrow file", b: arrowFile, want: "Arrow IPC file", seq: -1},
		{name: "stray bytes", b: []byte{0xff, 0xff, 0xff}, want: "3 stray bytes", seq: -1},
		{name: "metadata length too long", b: append([]byte{0xff, 0xff, 0xff, 0xff, 0, 1, 0, 0}, make([]byte, 16)...), want: "metadata length 256", seq: -1},
		{name: "negative metadata length", b: []byte{0xff, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff}, want: "metadata length -16", seq: -1},
		{name: "garbage metadata", b: append([]byte{0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0}, 0xee, 0xee, 0xee, 0x7e, 1, 2, 3, 4), want: "malformed Arrow message", seq: -1},
		{name: "truncated body", b: valid[:len(valid)-20], want: "body length", session: "s12", seq: 40},
		{name: "trailing bytes", b: append(bytes.Clone(valid), 1, 2, 3, 4, 5, 6, 7, 8), want: "8 bytes after the end-of-stream marker", session: "s12", seq: 40},
		{name: "record batch first", b: valid[8+binary.LittleEndian.Uint32(valid[4:]):], want: "first message is RecordBatch, want Schema", seq: -1},
		{name: "zero record batches", b: arrowStream(t, schema), want: "0 record batches, want exactly 1", session: "s12", seq: 40},
		{name: "two record batches", b: arrowStream(t, schema, []arrow.Array{f32Col(1)}, []arrow.Array{f32Col(2)}), want: "2 record batches, want exactly 1", session: "s12", seq: 40},
		{name: "compressed", b: compressed.Bytes(), want: "compression", session: "s12", seq: 40},
		{name: "big endian", b: arrowStream(t, bigEndian, []arrow.Array{f32Col(1)}), want: "big-endian", session: "s12", seq: 40},
		{name: "no columns", b: arrowStream(t, arrow.NewSchema(nil, metaOf(goodMeta()))), want: "no columns", session: "s12", seq: 40},

		// Schema metadata.
		{name: "missing version", b: set(KeyVersion, "\x00drop"), key: KeyVersion, want: "metadata neurostream.version: missing", session: "s12", seq: 40},
		{name: "version mismatch", b: set(KeyVersion, "2"), key: KeyVersion, want: `version mismatch: chunk has version "2", this reader reads "1"`, session: "s12", seq: 40},
		{name: "missing session", b: set(KeySession, "\x00drop"), key: KeySession, want: "missing", seq: 40},
		{name: "empty session", b: set(KeySession, ""), key: KeySession, want: "invalid value", seq: 40},
		{name: "missing sample rate", b: set(KeySampleRate, "\x00drop"), key: KeySampleRate, want: "missing", session: "s12", seq: 40},
		{name: "text sample rate", b: set(KeySampleRate, "512Hz"), key: KeySampleRate, want: `invalid value "512Hz"`, session: "s12", seq: 40},
		{name: "zero sample rate", b: set(KeySampleRate, "0"), key: KeySampleRate, want: "invalid value", session: "s12", seq: 40},
		{name: "nan sample rate", b: set(KeySampleRate, "NaN"), key: KeySampleRate, want: "invalid value", session: "s12", seq: 40},
		{name: "inf sample rate", b: set(KeySampleRate, "+Inf"), key: KeySampleRate, want: "invalid value", session: "s12", seq: 40},
		{name: "missing first sample", b: set(KeyFirstSample, "\x00drop"), key: KeyFirstSample, want: "missing", session: "s12", seq: 40},
		{name: "negative first sample", b: set(KeyFirstSample, "-1"), key: KeyFirstSample, want: "invalid value", session: "s12", seq: 40},
		{name: "fractional first sample", b: set(KeyFirstSample, "1.5"), key: KeyFirstSample, want: "invalid value", session: "s12", seq: 40},
		{name: "overflowing first sample", b: set(KeyFirstSample, "9223372036854775808"), key: KeyFirstSample, want: "invalid value", session: "s12", seq: 40},
		{name: "missing start time", b: set(KeyStartTimeNS, "\x00drop"), key: KeyStartTimeNS, want: "missing", session: "s12", seq: 40},
		{name: "float start time", b: set(KeyStartTimeNS, "1.7e18"), key: KeyStartTimeNS, want: "invalid value", session: "s12", seq: 40},
		{name: "missing seq", b: set(KeySeq, "\x00drop"), key: KeySeq, want: "session s12: decode: metadata neurostream.seq: missing", session: "s12", seq: -1},
		{name: "negative seq", b: set(KeySeq, "-3"), key: KeySeq, want: "invalid value", session: "s12", seq: -1},
		{name: "spaced seq", b: set(KeySeq, " 40"), key: KeySeq, want: "invalid value", session: "s12", seq: -1},
		{name: "final not a boolean", b: set(KeyFinal, "yes"), key: KeyFinal, want: `invalid value "yes": want "true" or "false"`, session: "s12", seq: 40},

		// Columns.
		{name: "float64 column", b: withField(t, arrow.Field{Name: "Cz", Type: arrow.PrimitiveTypes.Float64}, func() arrow.Array {
			b := array.NewFloat64Builder(memory.DefaultAllocator)
			b.AppendValues([]float64{1, 2, 3}, nil)
			return b.NewArray()
		}()), column: "Cz", want: "type float64; want float32", session: "s12", seq: 40},
		{name: "int32 column", b: withField(t, arrow.Field{Name: "Cz", Type: arrow.PrimitiveTypes.Int32}, func() arrow.Array {
			b := array.NewInt32Builder(memory.DefaultAllocator)
			b.AppendValues([]int32{1, 2, 3}, nil)
			return b.NewArray()
		}()), column: "Cz", want: "type int; want float32", session: "s12", seq: 40},
		{name: "string column", b: withField(t, arrow.Field{Name: "Cz", Type: arrow.BinaryTypes.String}, func() arrow.Array {
			b := array.NewStringBuilder(memory.DefaultAllocator)
			b.AppendValues([]string{"a", "b", "c"}, nil)
			return b.NewArray()
		}()), column: "Cz", want: "type utf8; want float32", session: "s12", seq: 40},
		{name: "dictionary column", b: withField(t, arrow.Field{Name: "Cz", Type: dictType}, db.NewArray()), column: "Cz", want: "dictionary-encoded", session: "s12", seq: 40},
		{name: "nullable column", b: withField(t, nullable, f32Col(1, 2, 3)), column: "Cz", want: "declared nullable", session: "s12", seq: 40},
		{name: "nulls in column", b: withField(t, f32Field("Cz"), withNulls), column: "Cz", want: "1 null values", session: "s12", seq: 40},
		{name: "duplicate names", b: withField(t, f32Field("Fz"), f32Col(1, 2, 3)), column: "Fz", want: "duplicate column name (columns 0 and 1)", session: "s12", seq: 40},
		{name: "empty name", b: withField(t, f32Field(""), f32Col(1, 2, 3)), want: "column 1: name \"\" is empty", session: "s12", seq: 40},
		{name: "column length mismatch", b: patchNode(t, valid, 1, 2, 0), column: "Cz", want: "column length mismatch: 2 rows, record batch has 3", session: "s12", seq: 40},
		{name: "zero rows", b: withFieldRows(t), want: "0 rows", session: "s12", seq: 40},
		{name: "sample clock overflow", b: set(KeyFirstSample, "9223372036854775805"), key: KeyFirstSample,
			want: "first_sample 9223372036854775805 + 3 rows overflows the sample clock", session: "s12", seq: 40},
		{name: "aliased values", b: craftBatch(plainSchema(2), 2, 3, nil, func(int) [4]int64 { return [4]int64{0, 0, 0, 12} }, 16),
			column: "c1", want: `values buffer [0, +12) overlaps the values buffer [0, +12) of column "c0"`, session: "s12", seq: 40},
		{name: "values overlap, out of order", b: craftBatch(plainSchema(3), 3, 3, nil, func(i int) [4]int64 { return [4]int64{0, 0, int64(16 - 4*i), 12} }, 32),
			column: "c1", want: `values buffer [12, +12) overlaps the values buffer [8, +12) of column "c2"`, session: "s12", seq: 40},
		{name: "validity over values", b: craftBatch(plainSchema(2), 2, 3, nil, func(i int) [4]int64 { return [4]int64{int64(16*i + 8), 8, int64(16 * i), 12} }, 32),
			column: "c0", want: `validity buffer [8, +8) overlaps the values buffer [0, +12) of column "c0"`, session: "s12", seq: 40},
		{name: "validity outside body", b: craftBatch(plainSchema(1), 1, 3, nil, func(int) [4]int64 { return [4]int64{16, 8, 0, 12} }, 16),
			column: "c0", want: "validity buffer [16, +8) outside the 16-byte body", session: "s12", seq: 40},
		{name: "shared unit string", b: craftBatch(craftSchema(craftSchemaOpts{n: 64, shareUnit: true, unit: strings.Repeat("V", 1000),
			label: func(i int) string { return "c" + strconv.Itoa(i) }}), 64, 1, nil, packed(1), 8*64),
			column: "c15", want: "fields share strings", session: "s12", seq: 40},
		{name: "shared field table", b: craftBatch(craftSchema(craftSchemaOpts{n: 64, shareTable: true, unit: "V",
			label: func(int) string { return "Fz" }}), 64, 1, nil, packed(1), 8*64),
			column: "Fz", want: "duplicate column name (columns 0 and 1)", session: "s12", seq: 40},
		{name: "missing type", b: withField(t, f32Field("Cz", FieldKeyUnit, "V"), f32Col(1, 2, 3)), column: "Cz", key: FieldKeyType, want: `column "Cz" field metadata "type": missing`, session: "s12", seq: 40},
		{name: "invalid type", b: withField(t, f32Field("Cz", FieldKeyType, "EEG", FieldKeyUnit, "V"), f32Col(1, 2, 3)), column: "Cz", key: FieldKeyType, want: `invalid value "EEG"`, session: "s12", seq: 40},
		{name: "missing unit", b: withField(t, f32Field("Cz", FieldKeyType, "eeg"), f32Col(1, 2, 3)), column: "Cz", key: FieldKeyUnit, want: "missing", session: "s12", seq: 40},
		{name: "empty unit", b: withField(t, f32Field("Cz", FieldKeyType, "eeg", FieldKeyUnit, ""), f32Col(1, 2, 3)), column: "Cz", key: FieldKeyUnit, want: "invalid value", session: "s12", seq: 40},
		{name: "two-component pos", b: withField(t, f32Field("Cz", FieldKeyType, "eeg", FieldKeyUnit, "V", FieldKeyPos, "0.1,0.2"), f32Col(1, 2, 3)), column: "Cz", key: FieldKeyPos, want: `invalid value "0.1,0.2"`, session: "s12", seq: 40},
		{name: "four-component pos", b: withField(t, f32Field("Cz", FieldKeyType, "eeg", FieldKeyUnit, "V", FieldKeyPos, "1,2,3,4"), f32Col(1, 2, 3)), column: "Cz", key: FieldKeyPos, want: "invalid value", session: "s12", seq: 40},
		{name: "nan pos", b: withField(t, f32Field("Cz", FieldKeyType, "eeg", FieldKeyUnit, "V", FieldKeyPos, "NaN,0,0"), f32Col(1, 2, 3)), column: "Cz", key: FieldKeyPos, want: "invalid value", session: "s12", seq: 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := twoChannelChunk()
			before := c.Data[0][0]
			err := NewDecoder(nil).Decode(c, tc.b)
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want a *DecodeError", err)
			}
			if de.Reason != ReasonDecode || de.Key != tc.key || de.Column != tc.column || de.Session != tc.session || de.Seq != tc.seq {
				t.Errorf("got Reason %q Key %q Column %q Session %q Seq %d, want decode %q %q %q %d",
					de.Reason, de.Key, de.Column, de.Session, de.Seq, tc.key, tc.column, tc.session, tc.seq)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "internal error") {
				t.Errorf("decoder panicked: %v", err)
			}
			if c.Data[0][0] != before || c.Session != "s12" {
				t.Error("failed Decode changed the chunk")
			}
		})
	}
}

func withFieldRows(t *testing.T) []byte {
	s := arrow.NewSchema([]arrow.Field{f32Field("Fz")}, metaOf(goodMeta()))
	return arrowStream(t, s, []arrow.Array{f32Col()})
}

// TestDecodeLenient covers what a non-Go producer may legitimately do
// differently from Encoder.
func TestDecodeLenient(t *testing.T) {
	m := goodMeta()
	m[KeySampleRate] = "512.0" // Python str(512.0)
	b := streamWith(t, m)
	var c Chunk
	if err := NewDecoder(nil).Decode(&c, b); err != nil {
		t.Fatal(err)
	}
	if c.SampleRate != 512 || c.Seq != 40 || c.FirstSample != 20480 || c.StartTimeNS != 1700000000000000000 {
		t.Errorf("got %+v", c)
	}
	// Without the end-of-stream marker (a truncated writer that still
	// flushed the whole batch).
	if err := NewDecoder(nil).Decode(&c, b[:len(b)-8]); err != nil {
		t.Errorf("stream without end-of-stream marker: %v", err)
	}
	// Unknown schema and field metadata keys are ignored; pos may carry
	// spaces.
	s := arrow.NewSchema([]arrow.Field{f32Field("Fz", "extra", "x", FieldKeyType, "eeg", FieldKeyUnit, "V", FieldKeyPos, " 0.1, -0.2 ,3e-2")},
		func() *arrow.Metadata {
			md := arrow.NewMetadata(append(metaOf(goodMeta()).Keys(), "neurostream.future"), append(metaOf(goodMeta()).Values(), "?"))
			return &md
		}())
	if err := NewDecoder(nil).Decode(&c, arrowStream(t, s, []arrow.Array{f32Col(7)})); err != nil {
		t.Fatal(err)
	}
	if want := (&[3]float64{0.1, -0.2, 0.03}); !reflect.DeepEqual(c.Channels[0].Pos, want) {
		t.Errorf("pos %v, want %v", c.Channels[0].Pos, want)
	}
}

// TestDecodeHostileLengths checks that lengths a message claims cannot
// make the decoder allocate: a schema claiming 2^32-1 fields and metadata
// entries, and a record batch claiming 2^62 rows.
func TestDecodeHostileLengths(t *testing.T) {
	valid := mustEncode(t, twoChannelChunk())
	schemaLen := int(binary.LittleEndian.Uint32(valid[4:]))
	r := fbReader{b: bytes.Clone(valid[8 : 8+schemaLen])}
	hdr, _ := r.child(r.root(), slotMessageHeader)
	for _, slot := range []int{slotSchemaFields, slotSchemaMetadata} {
		hostile := bytes.Clone(valid)
		q, _ := r.ref(r.field(hdr, slot))
		binary.LittleEndian.PutUint32(hostile[8+q:], 0xffffffff)
		var c Chunk
		allocs := testing.AllocsPerRun(5, func() {
			if err := NewDecoder(nil).Decode(&c, hostile); err == nil {
				t.Fatal("hostile vector length accepted")
			}
		})
		if allocs > 10 {
			t.Errorf("slot %d: %v allocations for a hostile vector length", slot, allocs)
		}
	}
	rows := mustEncode(t, twoChannelChunk())
	p := 8 + schemaLen
	rr := fbReader{b: rows[p+8:]}
	rb, _ := rr.child(rr.root(), slotMessageHeader)
	binary.LittleEndian.PutUint64(rr.b[rr.field(rb, slotRecordBatchLength):], 1<<62)
	var c Chunk
	if err := NewDecoder(nil).Decode(&c, rows); err == nil || !strings.Contains(err.Error(), "claims 4611686018427387904 rows") {
		t.Errorf("got %v", err)
	}
}

func TestDecodeErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		e    DecodeError
		want string
	}{
		{DecodeError{Seq: -1, Msg: "not an Arrow IPC stream"}, "decode: not an Arrow IPC stream"},
		{DecodeError{Session: "s12", Seq: 40, Key: KeySampleRate, Msg: `invalid value "x"`}, `session s12 chunk 40: decode: metadata neurostream.sample_rate: invalid value "x"`},
		{DecodeError{Session: "s12", Seq: -1, Column: "Fz", Key: "unit", Msg: "missing"}, `session s12: decode: column "Fz" field metadata "unit": missing`},
		{DecodeError{Seq: 3, Column: "Fz", Msg: "declared nullable", Err: errors.New("x")}, `chunk 3: decode: column "Fz": declared nullable: x`},
	} {
		if got := tc.e.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestParseDecimal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"42", 42, true}, {"-42", -42, true}, {"007", 7, true},
		{"9223372036854775807", 9223372036854775807, true}, {"-9223372036854775808", -9223372036854775808, true},
		{"9223372036854775808", 0, false}, {"-9223372036854775809", 0, false}, {"99999999999999999999", 0, false},
		{"", 0, false}, {"-", 0, false}, {"+1", 0, false}, {"1e3", 0, false}, {" 1", 0, false}, {"1.0", 0, false},
	} {
		got, ok := parseDecimal([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseDecimal(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if want, err := strconv.ParseInt(tc.in, 10, 64); tc.in != "+1" && (err == nil) != ok || ok && want != got {
			t.Errorf("parseDecimal(%q) disagrees with strconv.ParseInt", tc.in)
		}
	}
}

// TestDecodeFinal reads the optional end-of-session key as producers other
// than Encoder write it: absent, "false" or "true".
func TestDecodeFinal(t *testing.T) {
	for _, tc := range []struct {
		val  string
		want bool
	}{{"\x00drop", false}, {"false", false}, {"true", true}} {
		m := goodMeta()
		m[KeyFinal] = tc.val
		var c Chunk
		if err := NewDecoder(nil).Decode(&c, streamWith(t, m)); err != nil {
			t.Fatalf("%q: %v", tc.val, err)
		}
		if c.Final != tc.want {
			t.Errorf("%s = %q: Final %v, want %v", KeyFinal, tc.val, c.Final, tc.want)
		}
	}
}
