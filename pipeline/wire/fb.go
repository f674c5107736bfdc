package wire

// A minimal FlatBuffers reader and writer for the handful of Arrow IPC
// tables a chunk uses (Message, Schema, Field, FloatingPoint, KeyValue,
// RecordBatch). See docs/wire-format.md, "Why a hand-written codec", for why
// this does not go through arrow/ipc.
//
// Reading is bounds-checked everywhere: every offset, vector length and
// string length is checked against the buffer before it is used, so a
// hostile message can make the reader fail but never panic or allocate in
// proportion to a length it claims.

import (
	"encoding/binary"
)

// Arrow flatbuffer enum values (format/Message.fbs, format/Schema.fbs).
const (
	fbMetadataV4 = 3
	fbMetadataV5 = 4

	fbHeaderSchema          = 1
	fbHeaderDictionaryBatch = 2
	fbHeaderRecordBatch     = 3

	fbTypeFloatingPoint = 3
	fbPrecisionSingle   = 1

	fbEndianLittle = 0
)

// Slot indices of the fields used, in declaration order in the .fbs files
// (a union takes two slots: its type tag, then its value).
const (
	slotMessageVersion    = 0
	slotMessageHeaderType = 1
	slotMessageHeader     = 2
	slotMessageBodyLength = 3

	slotSchemaEndianness = 0
	slotSchemaFields     = 1
	slotSchemaMetadata   = 2

	slotFieldName       = 0
	slotFieldNullable   = 1
	slotFieldTypeType   = 2
	slotFieldType       = 3
	slotFieldDictionary = 4
	slotFieldChildren   = 5
	slotFieldMetadata   = 6

	slotFloatingPointPrecision = 0

	slotKeyValueKey   = 0
	slotKeyValueValue = 1

	slotRecordBatchLength      = 0
	slotRecordBatchNodes       = 1
	slotRecordBatchBuffers     = 2
	slotRecordBatchCompression = 3
)

// fbReader reads one flatbuffer. Any out-of-bounds access sets bad and
// returns a zero value; callers check bad once after a group of reads.
type fbReader struct {
	b   []byte
	bad bool
}

type fbTable struct {
	pos, vt, vtLen int
}

func (r *fbReader) in(p, n int) bool {
	if p < 0 || n < 0 || p > len(r.b) || n > len(r.b)-p {
		r.bad = true
		return false
	}
	return true
}

func (r *fbReader) u8(p int) uint8 {
	if !r.in(p, 1) {
		return 0
	}
	return r.b[p]
}

func (r *fbReader) u16(p int) uint16 {
	if !r.in(p, 2) {
		return 0
	}
	return binary.LittleEndian.Uint16(r.b[p:])
}

func (r *fbReader) u32(p int) uint32 {
	if !r.in(p, 4) {
		return 0
	}
	return binary.LittleEndian.Uint32(r.b[p:])
}

func (r *fbReader) u64(p int) uint64 {
	if !r.in(p, 8) {
		return 0
	}
	return binary.LittleEndian.Uint64(r.b[p:])
}

// root returns the buffer's root table.
func (r *fbReader) root() fbTable {
	return r.table(int(r.u32(0)))
}

// table opens the table at p. On a bad position the returned table has no
// fields, so every accessor yields its default.
func (r *fbReader) table(p int) fbTable {
	if !r.in(p, 4) {
		return fbTable{}
	}
	vt := int64(p) - int64(int32(r.u32(p)))
	if vt < 0 || vt > int64(len(r.b)) {
		r.bad = true
		return fbTable{}
	}
	vtLen := int(r.u16(int(vt)))
	if vtLen < 4 || !r.in(int(vt), vtLen) {
		r.bad = true
		return fbTable{}
	}
	if !r.in(p, int(r.u16(int(vt)+2))) {
		return fbTable{}
	}
	return fbTable{pos: p, vt: int(vt), vtLen: vtLen}
}

// field returns the absolute position of a table slot, or 0 when absent.
func (r *fbReader) field(t fbTable, slot int) int {
	o := 4 + 2*slot
	if o+2 > t.vtLen {
		return 0
	}
	fo := int(r.u16(t.vt + o))
	if fo == 0 {
		return 0
	}
	return t.pos + fo
}

func (r *fbReader) scalarU8(t fbTable, slot int, def uint8) uint8 {
	if p := r.field(t, slot); p != 0 {
		return r.u8(p)
	}
	return def
}

func (r *fbReader) scalarI16(t fbTable, slot int, def int16) int16 {
	if p := r.field(t, slot); p != 0 {
		return int16(r.u16(p))
	}
	return def
}

func (r *fbReader) scalarI64(t fbTable, slot int, def int64) int64 {
	if p := r.field(t, slot); p != 0 {
		return int64(r.u64(p))
	}
	return def
}

// ref follows the offset stored at absolute position p.
func (r *fbReader) ref(p int) (int, bool) {
	u := r.u32(p)
	if r.bad {
		return 0, false
	}
	if uint64(u) >= uint64(len(r.b)-p) {
		r.bad = true
		return 0, false
	}
	return p + int(u), true
}

// child returns the table referenced by a slot; ok is false when the slot
// is absent or the reference is bad.
func (r *fbReader) child(t fbTable, slot int) (fbTable, bool) {
	p := r.field(t, slot)
	if p == 0 {
		return fbTable{}, false
	}
	q, ok := r.ref(p)
	if !ok {
		return fbTable{}, false
	}
	ct := r.table(q)
	return ct, !r.bad
}

// vector returns the start of the elements and the element count of the
// vector referenced by a slot. present is false when the slot is absent.
// The whole vector is checked to lie inside the buffer.
func (r *fbReader) vector(t fbTable, slot, elemSize int) (start, n int, present bool) {
	p := r.field(t, slot)
	if p == 0 {
		return 0, 0, false
	}
	q, ok := r.ref(p)
	if !ok {
		return 0, 0, true
	}
	cnt := r.u32(q)
	if r.bad {
		return 0, 0, true
	}
	if uint64(cnt)*uint64(elemSize) > uint64(len(r.b)-q-4) {
		r.bad = true
		return 0, 0, true
	}
	return q + 4, int(cnt), true
}

// vectorTable returns element j of a vector of tables starting at start.
func (r *fbReader) vectorTable(start, j int) fbTable {
	q, ok := r.ref(start + 4*j)
	if !ok {
		return fbTable{}
	}
	return r.table(q)
}

// str returns the bytes of the string referenced by a slot (aliasing the
// buffer) and whether the slot is present.
func (r *fbReader) str(t fbTable, slot int) ([]byte, bool) {
	p := r.field(t, slot)
	if p == 0 {
		return nil, false
	}
	q, ok := r.ref(p)
	if !ok {
		return nil, true
	}
	n := r.u32(q)
	if r.bad {
		return nil, true
	}
	if uint64(n) > uint64(len(r.b)-q-4) {
		r.bad = true
		return nil, true
	}
	return r.b[q+4 : q+4+int(n)], true
}

// fbWriter appends a flatbuffer to b, starting at b[base]. Objects are
// written front to back, parents before children, so every uoffset points
// forward as the format requires; offsets are patched once the child's
// position is known. Alignment is relative to base: the caller places base
// at a multiple of 8 within the IPC stream.
type fbWriter struct {
	b    []byte
	base int
}

// fbSlot describes one table field for fbWriter.table: size 1, 2, 4 or 8
// bytes, val its scalar value. An offset field has size 4 and val 0 and is
// patched later through the position table reports.
type fbSlot struct {
	slot, size int
	val        uint64
}

func (w *fbWriter) pos() int { return len(w.b) - w.base }

func (w *fbWriter) pad(align int) {
	for w.pos()%align != 0 {
		w.b = append(w.b, 0)
	}
}

func (w *fbWriter) u16(v uint16) { w.b = binary.LittleEndian.AppendUint16(w.b, v) }
func (w *fbWriter) u32(v uint32) { w.b = binary.LittleEndian.AppendUint32(w.b, v) }
func (w *fbWriter) u64(v uint64) { w.b = binary.LittleEndian.AppendUint64(w.b, v) }

// patch stores at position at the uoffset of target (target > at).
func (w *fbWriter) patch(at, target int) {
	binary.LittleEndian.PutUint32(w.b[w.base+at:], uint32(target-at))
}

// table writes a vtable followed by its table (8-aligned) holding the given
// fields, largest first so that each is naturally aligned, and stores each
// field's absolute position in at[i]. It returns the table's position.
func (w *fbWriter) table(fields []fbSlot, at []int) int {
	// Order by size, largest first (insertion sort: at most 7 fields).
	var order [8]int
	for i := range fields {
		order[i] = i
		for j := i; j > 0 && fields[order[j]].size > fields[order[j-1]].size; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	var off [8]int
	nslots, o := 0, 4 // the table starts with its int32 vtable offset
	for k := range fields {
		f := fields[order[k]]
		o = (o + f.size - 1) / f.size * f.size
		off[order[k]] = o
		o += f.size
		if f.slot+1 > nslots {
			nslots = f.slot + 1
		}
	}
	w.pad(2)
	vt := w.pos()
	w.u16(uint16(4 + 2*nslots))
	w.u16(uint16(o))
	for s := 0; s < nslots; s++ {
		v := uint16(0)
		for i, f := range fields {
			if f.slot == s {
				v = uint16(off[i])
			}
		}
		w.u16(v)
	}
	w.pad(8)
	t := w.pos()
	w.u32(uint32(int32(t - vt)))
	for k := range fields {
		i := order[k]
		f := fields[i]
		for w.pos() < t+off[i] {
			w.b = append(w.b, 0)
		}
		at[i] = t + off[i]
		switch f.size {
		case 1:
			w.b = append(w.b, uint8(f.val))
		case 2:
			w.u16(uint16(f.val))
		case 4:
			w.u32(uint32(f.val))
		case 8:
			w.u64(f.val)
		}
	}
	return t
}

// str writes a string and returns its position.
func (w *fbWriter) str(s string) int {
	w.pad(4)
	p := w.pos()
	w.u32(uint32(len(s)))
	w.b = append(w.b, s...)
	w.b = append(w.b, 0)
	return p
}

// strStart begins a string whose bytes the caller appends to w.b directly;
// strEnd finishes it. They let numbers be formatted with strconv.Append*
// without an intermediate string.
func (w *fbWriter) strStart() int {
	w.pad(4)
	p := w.pos()
	w.u32(0)
	return p
}

func (w *fbWriter) strEnd(p int) {
	binary.LittleEndian.PutUint32(w.b[w.base+p:], uint32(w.pos()-p-4))
	w.b = append(w.b, 0)
}

// offsetVector writes a vector of n offsets, all to be patched, and returns
// the position of element 0.
func (w *fbWriter) offsetVector(n int) int {
	w.pad(4)
	w.u32(uint32(n))
	p := w.pos()
	for i := 0; i < n; i++ {
		w.u32(0)
	}
	return p
}

// structVector16 starts a vector of n 16-byte structs with 8-byte alignment
// and returns the vector's position; the caller appends the elements.
func (w *fbWriter) structVector16(n int) int {
	w.pad(4)
	if w.pos()%8 == 0 {
		w.u32(0)
	}
	p := w.pos()
	w.u32(uint32(n))
	return p
}
