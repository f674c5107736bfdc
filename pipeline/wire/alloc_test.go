package wire

import (
	"encoding/binary"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// Hand-crafted messages for the allocation bound. The encoder never writes
// them: they are what a hostile or broken producer can send.

// craftSchemaOpts shapes a hand-written Schema message.
type craftSchemaOpts struct {
	n          int              // columns
	label      func(int) string // column i's name
	unit       string           // every column's unit
	shareUnit  bool             // one unit string, referenced by every field
	shareTable bool             // one Field table, referenced n times
	shareMeta  bool             // one type table, children and metadata vector for all fields
}

// craftSchema writes a framed Schema message with goodMeta's metadata and
// o.n float32 "eeg" columns, sharing strings or tables as asked (legal
// flatbuffers: offsets may point anywhere forward).
func craftSchema(o craftSchemaOpts) []byte {
	w := fbWriter{b: []byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0}, base: 8}
	w.u32(0)
	var mat [4]int
	w.patch(0, w.table([]fbSlot{
		{slot: slotMessageVersion, size: 2, val: fbMetadataV5},
		{slot: slotMessageHeaderType, size: 1, val: fbHeaderSchema},
		{slot: slotMessageHeader, size: 4},
		{slot: slotMessageBodyLength, size: 8},
	}, mat[:]))
	var sat [3]int
	w.patch(mat[2], w.table([]fbSlot{
		{slot: slotSchemaEndianness, size: 2, val: fbEndianLittle},
		{slot: slotSchemaFields, size: 4},
		{slot: slotSchemaMetadata, size: 4},
	}, sat[:]))
	fields := w.offsetVector(o.n)
	w.patch(sat[1], fields-4)
	m := goodMeta()
	keys := []string{KeyVersion, KeySession, KeySampleRate, KeyFirstSample, KeyStartTimeNS, KeySeq}
	kvs := w.offsetVector(len(keys))
	w.patch(sat[2], kvs-4)
	for i, k := range keys {
		w.keyValue(kvs+4*i, k, m[k])
	}
	ntab := o.n
	if o.shareTable {
		ntab = 1
	}
	var unitAt []int
	var sharedAt [][3]int // type, children and metadata slots of each field
	for i := 0; i < ntab; i++ {
		var at [6]int
		t := w.table([]fbSlot{
			{slot: slotFieldName, size: 4},
			{slot: slotFieldNullable, size: 1},
			{slot: slotFieldTypeType, size: 1, val: fbTypeFloatingPoint},
			{slot: slotFieldType, size: 4},
			{slot: slotFieldChildren, size: 4},
			{slot: slotFieldMetadata, size: 4},
		}, at[:])
		if o.shareTable {
			for j := 0; j < o.n; j++ {
				w.patch(fields+4*j, t)
			}
		} else {
			w.patch(fields+4*i, t)
		}
		w.patch(at[0], w.str(o.label(i)))
		if o.shareMeta {
			sharedAt = append(sharedAt, [3]int{at[3], at[4], at[5]})
			continue
		}
		var pat [1]int
		w.patch(at[3], w.table([]fbSlot{{slot: slotFloatingPointPrecision, size: 2, val: fbPrecisionSingle}}, pat[:]))
		w.pad(4)
		w.patch(at[4], w.pos())
		w.u32(0)
		fkv := w.offsetVector(2)
		w.patch(at[5], fkv-4)
		w.keyValue(fkv, FieldKeyType, "eeg")
		if o.shareUnit {
			kat := w.keyValueTable(fkv + 4)
			w.patch(kat[0], w.str(FieldKeyUnit))
			unitAt = append(unitAt, kat[1])
		} else {
			w.keyValue(fkv+4, FieldKeyUnit, o.unit)
		}
	}
	if o.shareUnit {
		s := w.str(o.unit)
		for _, a := range unitAt {
			w.patch(a, s)
		}
	}
	if o.shareMeta { // written after every field, so that offsets point forward
		var pat [1]int
		ft := w.table([]fbSlot{{slot: slotFloatingPointPrecision, size: 2, val: fbPrecisionSingle}}, pat[:])
		w.pad(4)
		children := w.pos()
		w.u32(0)
		fkv := w.offsetVector(2)
		w.keyValue(fkv, FieldKeyType, "eeg")
		w.keyValue(fkv+4, FieldKeyUnit, o.unit)
		for _, at := range sharedAt {
			w.patch(at[0], ft)
			w.patch(at[1], children)
			w.patch(at[2], fkv-4)
		}
	}
	w.pad(8)
	binary.LittleEndian.PutUint32(w.b[4:], uint32(w.pos()))
	return w.b
}

// plainSchema is a craftSchema of n columns "c0", "c1", … in volts.
func plainSchema(n int) []byte {
	return craftSchema(craftSchemaOpts{n: n, label: func(i int) string { return "c" + strconv.Itoa(i) }, unit: "V"})
}

// craftBatch appends to schema a RecordBatch message of ncols columns and
// rows rows whose FieldNode i has length node(i) (rows when node is nil)
// and whose buffers are span(i) = validity offset, validity length, values
// offset, values length; then a body of bodyLen zero bytes and the
// end-of-stream marker.
func craftBatch(schema []byte, ncols int, rows int64, node func(int) int64, span func(int) [4]int64, bodyLen int) []byte {
	start := len(schema)
	w := fbWriter{b: append(schema, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0), base: start + 8}
	w.u32(0)
	var mat [4]int
	w.patch(0, w.table([]fbSlot{
		{slot: slotMessageVersion, size: 2, val: fbMetadataV5},
		{slot: slotMessageHeaderType, size: 1, val: fbHeaderRecordBatch},
		{slot: slotMessageHeader, size: 4},
		{slot: slotMessageBodyLength, size: 8, val: uint64(bodyLen)},
	}, mat[:]))
	var rat [3]int
	w.patch(mat[2], w.table([]fbSlot{
		{slot: slotRecordBatchLength, size: 8, val: uint64(rows)},
		{slot: slotRecordBatchNodes, size: 4},
		{slot: slotRecordBatchBuffers, size: 4},
	}, rat[:]))
	w.patch(rat[1], w.structVector16(ncols))
	for i := 0; i < ncols; i++ {
		n := rows
		if node != nil {
			n = node(i)
		}
		w.u64(uint64(n))
		w.u64(0)
	}
	w.patch(rat[2], w.structVector16(2*ncols))
	for i := 0; i < ncols; i++ {
		for _, v := range span(i) {
			w.u64(uint64(v))
		}
	}
	w.pad(8)
	binary.LittleEndian.PutUint32(w.b[start+4:], uint32(w.pos()))
	b := append(w.b, make([]byte, bodyLen)...)
	return append(b, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)
}

// packed places column i's values right after column i-1's, as Encoder
// does (rows*4 bytes each, padded to 8).
func packed(rows int64) func(int) [4]int64 {
	stride := int64(pad8(int(rows * 4)))
	return func(i int) [4]int64 { return [4]int64{int64(i) * stride, 0, int64(i) * stride, rows * 4} }
}

// hostileMessage is one crafted message and whether a decoder with
// default Limits must accept it.
type hostileMessage struct {
	name string
	b    []byte
	ok   bool
	want string // substring of the error when !ok
}

func hostileMessages() []hostileMessage {
	const (
		aliasCols = 256
		aliasRows = 16 << 10 // 64 KiB of values, claimed by every column
	)
	huge := func(i int) [4]int64 { return [4]int64{0, 0, 0, 1 << 62} }
	return []hostileMessage{
		// The operator's message, scaled down: every column's values are
		// the same body bytes, so a 0.1 MB message decoded to 16 MiB.
		{name: "aliased values", b: craftBatch(plainSchema(aliasCols), aliasCols, aliasRows, nil,
			func(int) [4]int64 { return [4]int64{0, 0, 0, aliasRows * 4} }, aliasRows*4), want: "overlaps"},
		// Each column starts one value after the previous one.
		{name: "overlap by one value", b: craftBatch(plainSchema(64), 64, 1024, nil,
			func(i int) [4]int64 { return [4]int64{0, 0, int64(4 * i), 4096} }, 4096+4*64), want: "overlaps"},
		// Validity bitmaps laid over the values.
		{name: "validity over values", b: craftBatch(plainSchema(64), 64, 1024, nil,
			func(i int) [4]int64 { return [4]int64{int64(4096 * i), 128, int64(4096 * i), 4096} }, 4096*64), want: "overlaps"},
		// Every Field table the same one, with a long name: the labels
		// are copied before they are found to be duplicates.
		{name: "shared field table", b: craftBatch(craftSchema(craftSchemaOpts{n: 1024, shareTable: true, unit: "V",
			label: func(int) string { return strings.Repeat("L", 4096) }}), 1024, 1, nil, packed(1), 8*1024), want: "text"},
		// Distinct fields whose unit is one long string.
		{name: "shared unit string", b: craftBatch(craftSchema(craftSchemaOpts{n: 256, shareUnit: true, unit: strings.Repeat("V", 64<<10),
			label: func(i int) string { return "c" + strconv.Itoa(i) }}), 256, 1, nil, packed(1), 8*256), want: "text"},
		// Lengths far beyond the body.
		{name: "2^40 rows", b: craftBatch(plainSchema(4), 4, 1<<40, nil, packed(2), 64), want: "claims 1099511627776 rows"},
		{name: "2^62-byte values buffer", b: craftBatch(plainSchema(4), 4, 2, nil, huge, 64), want: "outside"},
		{name: "2^62-row field node", b: craftBatch(plainSchema(4), 4, 2, func(int) int64 { return 1 << 62 }, packed(2), 64), want: "column length mismatch"},
		{name: "negative offset", b: craftBatch(plainSchema(4), 4, 2, nil, func(int) [4]int64 { return [4]int64{0, 0, -8, 8} }, 64), want: "outside"},
		// A schema of many columns with no record batch: the columns
		// are described only once a batch shows room for them.
		{name: "1024 columns, no batch", b: plainSchema(1024), want: "0 record batches"},
		// Honest large messages, which must decode: one long column, and
		// many columns of one row.
		{name: "one column of 100000 rows", b: craftBatch(plainSchema(1), 1, 100000, nil, packed(100000), 400000), ok: true},
		{name: "1024 columns of one row", b: craftBatch(plainSchema(1024), 1024, 1, nil, packed(1), 8*1024), ok: true},
		// The fewest message bytes per column the decoder accepts: short
		// labels, everything else shared, one row.
		{name: "1024 lean columns", b: craftBatch(craftSchema(craftSchemaOpts{n: 1024, shareMeta: true, unit: "V",
			label: func(i int) string { return strconv.FormatInt(int64(i), 36) }}), 1024, 1, nil, packed(1), 8*1024), ok: true},
		{name: "306 columns of 2500 rows", b: craftBatch(plainSchema(306), 306, 2500, nil, packed(2500), 306*10000), ok: true},
	}
}

// allocBound is how many bytes decoding a len-byte message may allocate:
// allocK bytes per message byte, plus allocC for the fixed costs (the
// Decoder and Chunk, the label map's first group, the error text).
//
// allocK covers the worst case, many one-row columns. Decoding costs about
// 410 bytes per column (measured: "1024 lean columns"): its cached
// description (112), formats.Channel (64), slice header and values, label
// map entry, and the decoder's per-column scratch. A column costs the
// message at least about 80 bytes even with every string, table and
// vector that can be shared shared: a fields-vector entry, its own Field
// table and name (labels are unique), a FieldNode, two Buffers and 4 bytes
// of values; "1024 lean columns" spends 116. So about 5×; 8 leaves
// margin. The columns' text is charged to the message too (the decoder
// refuses a schema whose text is longer than the message), and values
// are copied once into storage the size of their buffers, which do not
// overlap. Before the fix, aliased buffers decoded at 140×.
const (
	allocK = 8
	allocC = 16 << 10
)

func allocBound(n int) uint64 { return uint64(allocK*n + allocC) }

// decodeAlloc returns the bytes one Decode of b allocates with a fresh
// Decoder and Chunk, the worst case, averaged over runs, and Decode's
// error.
func decodeAlloc(b []byte, runs int) (bytes uint64, err error) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	testing.AllocsPerRun(runs, func() {
		var c Chunk
		err = NewDecoder(nil).Decode(&c, b)
	})
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / uint64(runs+1), err
}

// TestDecodeAllocBound: whatever a message claims, decoding it allocates at
// most allocK bytes per message byte plus allocC.
func TestDecodeAllocBound(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation figures are meaningless under -race")
	}
	for _, m := range hostileMessages() {
		alloc, err := decodeAlloc(m.b, 3)
		switch {
		case m.ok && err != nil:
			t.Errorf("%s: %v", m.name, err)
		case !m.ok && err == nil:
			t.Errorf("%s: accepted", m.name)
		case !m.ok && !strings.Contains(err.Error(), m.want):
			t.Errorf("%s: error %q does not contain %q", m.name, err, m.want)
		}
		if alloc > allocBound(len(m.b)) {
			t.Errorf("%s: %d-byte message allocated %d bytes (%.0f×), bound %d", m.name, len(m.b), alloc,
				float64(alloc)/float64(len(m.b)), allocBound(len(m.b)))
		} else {
			t.Logf("%s: %d-byte message allocated %d bytes (%.2f×)", m.name, len(m.b), alloc, float64(alloc)/float64(len(m.b)))
		}
	}
}
