package wire

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/neurostream/neurostream/formats"
)

// Encoder writes chunks as Arrow IPC streams. It keeps the encoded column
// descriptions of the last channel set and the record batch header of the
// last shape, so encoding a session's steady stream of same-shaped chunks
// does not allocate once dst has grown to size.
//
// An Encoder is not safe for concurrent use; use one per goroutine.
type Encoder struct {
	chans     []formats.Channel // channel set fields encodes (Pos copied)
	fields    []byte            // encoded Schema.fields vector and its tables
	fieldsVec int               // position of the vector within fields

	rbCols, rbRows int
	rbMsg          []byte // framed RecordBatch message for that shape
}

// NewEncoder returns an Encoder. mem is accepted so the constructor matches
// the rest of the Arrow-facing API, but the encoder copies values straight
// from Chunk.Data into the message bytes and allocates no Arrow buffers; it
// may be nil.
func NewEncoder(mem memory.Allocator) *Encoder {
	_ = mem
	return &Encoder{}
}

// Encode appends the Arrow IPC stream of c (schema message, one record
// batch, end-of-stream marker) to dst and returns the extended slice, in the
// manner of strconv.AppendInt: pass buf[:0] to reuse a buffer. The result
// does not alias c.
//
// Encode checks that c is well formed: at least one channel and one row,
// len(Data) == len(Channels) with equal column lengths, a non-empty UTF-8
// session and labels, unique labels, valid channel types, non-empty units,
// finite positions, a finite positive sample rate, non-negative
// FirstSample and Seq, and FirstSample + rows within int64. NaN and Inf
// sample values are encoded as they are; whether they are acceptable is the
// consumer's Validator policy, as the sizes and rate are its Decoder's
// Limits. On error dst is returned with nothing appended.
func (e *Encoder) Encode(dst []byte, c *Chunk) ([]byte, error) {
	if err := checkChunk(c); err != nil {
		return dst, err
	}
	if !sameChannels(e.chans, c.Channels) {
		if err := checkChannels(c); err != nil {
			return dst, err
		}
		e.setChannels(c.Channels)
	}
	rows := c.Len()
	if e.rbMsg == nil || e.rbCols != len(c.Channels) || e.rbRows != rows {
		e.rbMsg = recordBatchMessage(e.rbMsg[:0], len(c.Channels), rows)
		e.rbCols, e.rbRows = len(c.Channels), rows
	}

	dst = e.appendSchema(dst, c)
	dst = append(dst, e.rbMsg...)
	colLen := rows * 4
	stride := pad8(colLen)
	body := len(dst)
	dst = append(dst, make([]byte, stride*len(c.Data))...)
	for i, col := range c.Data {
		putFloat32s(dst[body+i*stride:body+i*stride+colLen], col)
	}
	return append(dst, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0), nil
}

func pad8(n int) int { return (n + 7) &^ 7 }

func encodeErr(c *Chunk, format string, args ...any) error {
	return fmt.Errorf("wire: encode session %q chunk %d: %s", c.Session, c.Seq, fmt.Sprintf(format, args...))
}

// checkChunk checks everything but the channel descriptions.
func checkChunk(c *Chunk) error {
	switch {
	case c.Session == "":
		return encodeErr(c, "empty session")
	case !utf8.ValidString(c.Session):
		return encodeErr(c, "session is not valid UTF-8")
	case !(c.SampleRate > 0) || math.IsInf(c.SampleRate, 0):
		return encodeErr(c, "sample rate %v Hz, want finite and > 0", c.SampleRate)
	case c.FirstSample < 0:
		return encodeErr(c, "negative first sample %d", c.FirstSample)
	case c.Seq < 0:
		return encodeErr(c, "negative seq %d", c.Seq)
	case len(c.Channels) == 0:
		return encodeErr(c, "no channels")
	case len(c.Data) != len(c.Channels):
		return encodeErr(c, "%d data columns for %d channels", len(c.Data), len(c.Channels))
	case c.Len() == 0 && !c.Final:
		return encodeErr(c, "no rows (only a final chunk may be empty: it marks the end of a session with no sample left)")
	case c.FirstSample > math.MaxInt64-int64(c.Len()):
		return encodeErr(c, "first sample %d + %d rows overflows int64", c.FirstSample, c.Len())
	}
	for i, col := range c.Data {
		if len(col) != len(c.Data[0]) {
			return encodeErr(c, "channel %q has %d rows, channel %q has %d",
				c.Channels[i].Label, len(col), c.Channels[0].Label, len(c.Data[0]))
		}
	}
	return nil
}

// checkChannels checks the channel descriptions.
func checkChannels(c *Chunk) error {
	seen := make(map[string]bool, len(c.Channels))
	for i, ch := range c.Channels {
		switch {
		case ch.Label == "":
			return encodeErr(c, "channel %d has an empty label", i)
		case !utf8.ValidString(ch.Label):
			return encodeErr(c, "channel %d label is not valid UTF-8", i)
		case seen[ch.Label]:
			return encodeErr(c, "duplicate channel label %q", ch.Label)
		case !ch.Type.Valid():
			return encodeErr(c, "channel %q has invalid type %q", ch.Label, ch.Type)
		case ch.Unit == "" || !utf8.ValidString(ch.Unit):
			return encodeErr(c, "channel %q has an empty or non-UTF-8 unit", ch.Label)
		}
		if ch.Pos != nil {
			for _, x := range ch.Pos {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return encodeErr(c, "channel %q has a non-finite position %v", ch.Label, *ch.Pos)
				}
			}
		}
		seen[ch.Label] = true
	}
	return nil
}

func sameChannels(a, b []formats.Channel) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := &a[i], &b[i]
		if x.Label != y.Label || x.Type != y.Type || x.Unit != y.Unit {
			return false
		}
		if (x.Pos == nil) != (y.Pos == nil) || (x.Pos != nil && *x.Pos != *y.Pos) {
			return false
		}
	}
	return true
}

// setChannels caches chans (copying positions, so later changes by the
// caller are seen) and their encoded field descriptions.
func (e *Encoder) setChannels(chans []formats.Channel) {
	e.chans = append(e.chans[:0], chans...)
	for i := range e.chans {
		e.chans[i].SampleRate = 0
		if p := e.chans[i].Pos; p != nil {
			q := *p
			e.chans[i].Pos = &q
		}
	}
	w := fbWriter{b: e.fields[:0]}
	elems := w.offsetVector(len(chans))
	e.fieldsVec = elems - 4
	for i, ch := range chans {
		var at [6]int
		t := w.table([]fbSlot{
			{slot: slotFieldName, size: 4},
			{slot: slotFieldNullable, size: 1, val: 0},
			{slot: slotFieldTypeType, size: 1, val: fbTypeFloatingPoint},
			{slot: slotFieldType, size: 4},
			{slot: slotFieldChildren, size: 4},
			{slot: slotFieldMetadata, size: 4},
		}, at[:])
		w.patch(elems+4*i, t)
		w.patch(at[0], w.str(ch.Label))
		var pat [1]int
		w.patch(at[3], w.table([]fbSlot{{slot: slotFloatingPointPrecision, size: 2, val: fbPrecisionSingle}}, pat[:]))
		w.pad(4)
		w.patch(at[4], w.pos()) // empty children vector
		w.u32(0)
		nkv := 2
		if ch.Pos != nil {
			nkv = 3
		}
		kvs := w.offsetVector(nkv)
		w.patch(at[5], kvs-4)
		w.keyValue(kvs, FieldKeyType, string(ch.Type))
		w.keyValue(kvs+4, FieldKeyUnit, ch.Unit)
		if ch.Pos != nil {
			kat := w.keyValueTable(kvs + 8)
			w.patch(kat[0], w.str(FieldKeyPos))
			s := w.strStart()
			for j, x := range ch.Pos {
				if j > 0 {
					w.b = append(w.b, ',')
				}
				w.b = strconv.AppendFloat(w.b, x, 'g', -1, 64)
			}
			w.strEnd(s)
			w.patch(kat[1], s)
		}
	}
	w.pad(8)
	e.fields = w.b
}

// keyValueTable writes a KeyValue table referenced from element position
// elem and returns the positions of its key and value offsets.
func (w *fbWriter) keyValueTable(elem int) [2]int {
	var at [2]int
	t := w.table([]fbSlot{{slot: slotKeyValueKey, size: 4}, {slot: slotKeyValueValue, size: 4}}, at[:])
	w.patch(elem, t)
	return at
}

func (w *fbWriter) keyValue(elem int, key, val string) {
	at := w.keyValueTable(elem)
	w.patch(at[0], w.str(key))
	w.patch(at[1], w.str(val))
}

// appendSchema appends the framed Schema message of c, reusing the cached
// field descriptions.
func (e *Encoder) appendSchema(dst []byte, c *Chunk) []byte {
	start := len(dst)
	dst = append(dst, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)
	w := fbWriter{b: dst, base: len(dst)}
	w.u32(0) // root offset
	var mat [4]int
	w.patch(0, w.table([]fbSlot{
		{slot: slotMessageVersion, size: 2, val: fbMetadataV5},
		{slot: slotMessageHeaderType, size: 1, val: fbHeaderSchema},
		{slot: slotMessageHeader, size: 4},
		{slot: slotMessageBodyLength, size: 8, val: 0},
	}, mat[:]))
	var sat [3]int
	w.patch(mat[2], w.table([]fbSlot{
		{slot: slotSchemaEndianness, size: 2, val: fbEndianLittle},
		{slot: slotSchemaFields, size: 4},
		{slot: slotSchemaMetadata, size: 4},
	}, sat[:]))
	w.pad(8)
	w.patch(sat[1], w.pos()+e.fieldsVec)
	w.b = append(w.b, e.fields...)

	nkv := 6
	if c.Final {
		nkv = 7
	}
	kvs := w.offsetVector(nkv)
	w.patch(sat[2], kvs-4)
	w.keyValue(kvs, KeySession, c.Session)
	for i, key := range [...]string{KeySampleRate, KeyFirstSample, KeyStartTimeNS, KeySeq} {
		at := w.keyValueTable(kvs + 4*(i+1))
		w.patch(at[0], w.str(key))
		s := w.strStart()
		switch key {
		case KeySampleRate:
			w.b = strconv.AppendFloat(w.b, c.SampleRate, 'g', -1, 64)
		case KeyFirstSample:
			w.b = strconv.AppendInt(w.b, c.FirstSample, 10)
		case KeyStartTimeNS:
			w.b = strconv.AppendInt(w.b, c.StartTimeNS, 10)
		case KeySeq:
			w.b = strconv.AppendInt(w.b, c.Seq, 10)
		}
		w.strEnd(s)
		w.patch(at[1], s)
	}
	w.keyValue(kvs+20, KeyVersion, Version)
	if c.Final {
		w.keyValue(kvs+24, KeyFinal, "true")
	}
	w.pad(8)
	binary.LittleEndian.PutUint32(w.b[start+4:], uint32(w.pos()))
	return w.b
}

// recordBatchMessage appends the framed RecordBatch message for ncols
// float32 columns of rows rows. The body it describes holds, per column, an
// empty validity buffer and the data buffer, each column padded to 8 bytes.
func recordBatchMessage(dst []byte, ncols, rows int) []byte {
	start := len(dst)
	dst = append(dst, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)
	w := fbWriter{b: dst, base: len(dst)}
	colLen := rows * 4
	stride := pad8(colLen)
	w.u32(0)
	var mat [4]int
	w.patch(0, w.table([]fbSlot{
		{slot: slotMessageVersion, size: 2, val: fbMetadataV5},
		{slot: slotMessageHeaderType, size: 1, val: fbHeaderRecordBatch},
		{slot: slotMessageHeader, size: 4},
		{slot: slotMessageBodyLength, size: 8, val: uint64(stride * ncols)},
	}, mat[:]))
	var rat [3]int
	w.patch(mat[2], w.table([]fbSlot{
		{slot: slotRecordBatchLength, size: 8, val: uint64(rows)},
		{slot: slotRecordBatchNodes, size: 4},
		{slot: slotRecordBatchBuffers, size: 4},
	}, rat[:]))
	w.patch(rat[1], w.structVector16(ncols))
	for i := 0; i < ncols; i++ {
		w.u64(uint64(rows)) // FieldNode.length
		w.u64(0)            // FieldNode.null_count
	}
	w.patch(rat[2], w.structVector16(2*ncols))
	for i := 0; i < ncols; i++ {
		off := uint64(i * stride)
		w.u64(off) // validity: absent (no nulls)
		w.u64(0)
		w.u64(off) // values
		w.u64(uint64(colLen))
	}
	w.pad(8)
	binary.LittleEndian.PutUint32(w.b[start+4:], uint32(w.pos()))
	return w.b
}
