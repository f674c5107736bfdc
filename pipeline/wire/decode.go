package wire

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/neurostream/neurostream/formats"
)

// DecodeError is a message that is not a valid chunk. The pipeline sends
// such a message to the dead-letter topic with Reason in its headers.
type DecodeError struct {
	// Reason is ReasonLimit when the message is beyond the Decoder's
	// Limits and ReasonDecode for every other fault; dead-letter code reads
	// it from either error type through ReasonOf.
	Reason Reason
	// Limit names the Limits field exceeded ("MaxChannels") when Reason is
	// ReasonLimit, else "".
	Limit string
	// Session and Seq come from the message's metadata when they could be
	// read before the failure; otherwise Session is "" and Seq is -1.
	Session string
	Seq     int64
	// Key is the schema metadata key ("neurostream.seq") or the column's
	// field metadata key ("unit") at fault, or "".
	Key string
	// Column is the label of the column at fault, or "".
	Column string
	// Msg says what was found and what was expected.
	Msg string
	// Err is an underlying error, if any.
	Err error
}

func (e *DecodeError) Error() string {
	var b []byte
	if e.Session != "" {
		b = fmt.Appendf(b, "session %s ", e.Session)
	}
	if e.Seq >= 0 {
		b = fmt.Appendf(b, "chunk %d ", e.Seq)
	}
	if len(b) > 0 {
		b = append(b[:len(b)-1], ": "...)
	}
	b = append(b, "decode: "...)
	switch {
	case e.Column != "" && e.Key != "":
		b = fmt.Appendf(b, "column %s field metadata %q: ", quote(e.Column), e.Key)
	case e.Column != "":
		b = fmt.Appendf(b, "column %s: ", quote(e.Column))
	case e.Key != "":
		b = fmt.Appendf(b, "metadata %s: ", e.Key)
	}
	b = append(b, e.Msg...)
	if e.Err != nil {
		b = append(b, ": "...)
		b = append(b, e.Err.Error()...)
	}
	return string(b)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// Decoder reads chunks written by an Encoder or by any Arrow IPC stream
// writer that follows docs/wire-format.md (pyarrow's included).
//
// It reads the stream in place: values are converted from the message bytes
// straight into the chunk's columns. It remembers the last channel set and
// sample rate it decoded, so for a steady stream decoded into the same Chunk
// it does not allocate at all.
//
// Memory use is bounded by the message size whatever the message claims:
// every length and offset is checked against the message before anything
// is allocated, value buffers may not overlap (so the columns' storage is
// at most the body's size), and the channel descriptions are built only
// once the record batch has shown room for every column. Decoding a
// message allocates at most a few times its size (TestDecodeAllocBound),
// and Limits bounds the message size, columns, rows and sample rate.
//
// A Decoder is not safe for concurrent use; use one per goroutine.
type Decoder struct {
	// Limits bounds the messages Decode accepts; zero fields mean the
	// defaults. Set it before the first Decode, after Limits.Validate:
	// Decode panics on invalid Limits, a configuration mistake.
	Limits Limits

	limSet Limits // the Limits lim was resolved from
	lim    Limits // limSet with defaults, valid

	cols  []colRef    // the current message's columns
	spans []span      // the current message's non-empty buffers
	chans []chanCache // decoded descriptions of the last channel set
	// chansOK: chans came from a fully checked schema (labels unique),
	// so a schema matching it byte for byte needs no new check.
	chansOK  bool
	labelIdx map[string]int

	rateText string
	rate     float64
	session  string
}

// colRef is one column of the message being decoded.
type colRef struct {
	data []byte // rows*4 little-endian float32, aliasing the message
}

// span is a non-empty buffer of the record batch body: [off, end) of
// column col's validity (values false) or values buffer.
type span struct {
	off, end int64
	col      int
	values   bool
}

type chanCache struct {
	label, typeText, unit, posText string
	hasPos                         bool
	typ                            formats.ChannelType
	pos                            [3]float64
}

// NewDecoder returns a Decoder with the default Limits. mem is accepted so
// the constructor matches the rest of the Arrow-facing API, but decoding
// copies values straight from the message into Chunk.Data and allocates no
// Arrow buffers; it may be nil.
func NewDecoder(mem memory.Allocator) *Decoder {
	_ = mem
	return &Decoder{}
}

// meta is what the schema's metadata says, before it is committed.
type meta struct {
	session     []byte
	rate        float64
	firstSample int64
	startTimeNS int64
	seq         int64
	final       bool
}

// Decode decodes the message b into c. It reuses the capacity of c.Data
// (and each c.Data[i]) and c.Channels, so slices kept from an earlier
// Decode into the same Chunk are overwritten; it does not retain b. On error
// c is left unchanged and the error is a *DecodeError.
//
// b must be one Arrow IPC stream: a Schema message, exactly one RecordBatch
// message and optionally the end-of-stream marker, nothing after it. Every
// metadata key of docs/wire-format.md must be present and valid, the
// version must be Version, and every column a non-nullable float32 with a
// unique, non-empty name and valid "type" and "unit" field metadata. The
// record batch's buffers must lie inside its body without overlapping, and
// first_sample + rows must not overflow int64. Unknown metadata keys are
// ignored. A message within those rules but beyond d.Limits fails with
// ReasonLimit.
//
// Decode panics if d.Limits is invalid (see Limits.Validate).
func (d *Decoder) Decode(c *Chunk, b []byte) (err error) {
	if d.Limits != d.limSet || d.lim.MaxMessageBytes == 0 {
		d.setLimits()
	}
	var m meta
	m.seq = -1
	defer func() {
		if p := recover(); p != nil {
			// A panic here is a bug (FuzzDecode looks for this message);
			// the pipeline must still get a dead-letter error, not a crash.
			err = d.fail(&m, "", "", "internal error: %v", p)
		}
	}()
	rows, derr := d.parse(&m, b)
	if derr != nil {
		return derr
	}
	d.commit(c, &m, rows)
	return nil
}

// setLimits validates d.Limits and resolves its defaults.
func (d *Decoder) setLimits() {
	if err := d.Limits.Validate(); err != nil {
		panic(fmt.Sprintf("wire: Decoder.Limits: %v", err))
	}
	d.limSet, d.lim = d.Limits, d.Limits.withDefaults()
}

func (d *Decoder) fail(m *meta, key, column, format string, args ...any) *DecodeError {
	return &DecodeError{Reason: ReasonDecode, Session: string(m.session), Seq: m.seq, Key: key, Column: column, Msg: fmt.Sprintf(format, args...)}
}

// failLimit reports a message beyond the limit named by field.
func (d *Decoder) failLimit(m *meta, key, field, format string, args ...any) *DecodeError {
	e := d.fail(m, key, "", format, args...)
	e.Reason, e.Limit = ReasonLimit, field
	return e
}

// quoteMax is how much of a value an error quotes: enough to recognise it,
// and a dead-letter header stays readable whatever the message holds.
const quoteMax = 64

// quote returns s quoted as by %q, cut after quoteMax bytes (at a UTF-8
// character boundary) with a note of its full length.
func quote[T string | []byte](s T) string {
	if len(s) <= quoteMax {
		return strconv.Quote(string(s))
	}
	cut := quoteMax
	for cut > quoteMax-utf8.UTFMax && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(string(s[:cut])) + fmt.Sprintf("… (%d bytes)", len(s))
}

var arrowFileMagic = []byte("ARROW1")

// schemaRef locates the Schema message's fields, which parse reads twice:
// checked without allocating when the schema arrives, and copied into the
// channel cache only once the record batch has proved consistent.
type schemaRef struct {
	r       fbReader
	fstart  int // position of the fields vector's elements
	nfields int
}

// label returns column i's name as the message holds it.
func (s *schemaRef) label(i int) []byte {
	name, _ := s.r.str(s.r.vectorTable(s.fstart, i), slotFieldName)
	return name
}

// parse checks the framing of b and parses its schema and record batch.
func (d *Decoder) parse(m *meta, b []byte) (rows int, err *DecodeError) {
	if len(b) > d.lim.MaxMessageBytes {
		return 0, d.failLimit(m, "", "MaxMessageBytes", "message is %d bytes, above Limits.MaxMessageBytes %d", len(b), d.lim.MaxMessageBytes)
	}
	if bytes.HasPrefix(b, arrowFileMagic) {
		return 0, d.fail(m, "", "", "not an Arrow IPC stream: this is an Arrow IPC file (magic ARROW1); write chunks with the stream format (pyarrow.ipc.new_stream)")
	}
	var (
		p        int
		nmsg     int
		nbatches int
		schema   schemaRef
		changed  bool // the schema's columns differ from d.chans
		schemaOK bool
	)
	for p < len(b) {
		if len(b)-p < 8 {
			return 0, d.fail(m, "", "", "not an Arrow IPC stream: %d stray bytes at byte %d, want a message or the end-of-stream marker", len(b)-p, p)
		}
		if binary.LittleEndian.Uint32(b[p:]) != 0xffffffff {
			return 0, d.fail(m, "", "", "not an Arrow IPC stream: no continuation marker 0xFFFFFFFF at byte %d", p)
		}
		n := int64(int32(binary.LittleEndian.Uint32(b[p+4:])))
		if n == 0 {
			if p+8 != len(b) {
				return 0, d.fail(m, "", "", "%d bytes after the end-of-stream marker at byte %d", len(b)-p-8, p)
			}
			break
		}
		q := int64(p) + 8
		if n < 0 || n > int64(len(b))-q {
			return 0, d.fail(m, "", "", "message %d at byte %d: metadata length %d, but %d bytes are left", nmsg, p, n, int64(len(b))-q)
		}
		r := fbReader{b: b[q : q+n]}
		t := r.root()
		version := r.scalarI16(t, slotMessageVersion, 0)
		htype := r.scalarU8(t, slotMessageHeaderType, 0)
		bodyLen := r.scalarI64(t, slotMessageBodyLength, 0)
		hdr, hasHdr := r.child(t, slotMessageHeader)
		if r.bad || !hasHdr {
			return 0, d.fail(m, "", "", "message %d at byte %d: malformed Arrow message metadata", nmsg, p)
		}
		if version != fbMetadataV4 && version != fbMetadataV5 {
			return 0, d.fail(m, "", "", "message %d: Arrow metadata version V%d, want V4 or V5", nmsg, version+1)
		}
		q += n
		if bodyLen < 0 || bodyLen > int64(len(b))-q {
			return 0, d.fail(m, "", "", "message %d at byte %d: body length %d, but %d bytes are left", nmsg, p, bodyLen, int64(len(b))-q)
		}
		body := b[q : q+bodyLen]
		p = int(q + bodyLen)

		switch {
		case nmsg == 0 && htype != fbHeaderSchema:
			return 0, d.fail(m, "", "", "not an Arrow IPC stream: first message is %s, want Schema", headerName(htype))
		case nmsg == 0:
			schema.r = r
			var err *DecodeError
			if changed, err = d.parseSchema(m, &schema, hdr, len(b)); err != nil {
				return 0, err
			}
			schemaOK = true
		case htype == fbHeaderRecordBatch:
			nbatches++
			if nbatches == 1 {
				var err *DecodeError
				rows, err = d.parseBatch(m, &r, hdr, body, &schema)
				if err != nil {
					return 0, err
				}
			}
		case htype == fbHeaderDictionaryBatch:
			return 0, d.fail(m, "", "", "message %d is a DictionaryBatch; chunks have no dictionary-encoded columns", nmsg)
		default:
			return 0, d.fail(m, "", "", "message %d is %s, want one RecordBatch after the Schema", nmsg, headerName(htype))
		}
		nmsg++
	}
	switch {
	case !schemaOK:
		return 0, d.fail(m, "", "", "not an Arrow IPC stream: empty")
	case nbatches != 1:
		return 0, d.fail(m, "", "", "stream holds %d record batches, want exactly 1", nbatches)
	case m.firstSample > math.MaxInt64-int64(rows):
		// The runtime computes first_sample + rows (Chunk.LastSample, the
		// next chunk's expected first_sample): it must not wrap.
		return 0, d.fail(m, KeyFirstSample, "", "first_sample %d + %d rows overflows the sample clock (int64, at most %d)",
			m.firstSample, rows, int64(math.MaxInt64))
	}
	if changed || !d.chansOK {
		if err := d.setChannels(m, &schema); err != nil {
			return 0, err
		}
	}
	return rows, nil
}

func headerName(h uint8) string {
	switch h {
	case 0:
		return "NONE"
	case fbHeaderSchema:
		return "Schema"
	case fbHeaderDictionaryBatch:
		return "DictionaryBatch"
	case fbHeaderRecordBatch:
		return "RecordBatch"
	case 4:
		return "Tensor"
	case 5:
		return "SparseTensor"
	}
	return fmt.Sprintf("message type %d", h)
}

// metaKeys lists the required schema metadata keys in the order they are
// checked: the version first, since a different version may mean different
// keys.
var metaKeys = [...]string{KeyVersion, KeySession, KeySampleRate, KeyFirstSample, KeyStartTimeNS, KeySeq}

// optKeys lists the optional schema metadata keys.
var optKeys = [...]string{KeyFinal}

// parseSchema parses the schema's metadata into m and checks its columns
// without allocating; msgLen is the whole message's length. It reports
// whether the columns differ from the cached d.chans, which parse then
// rebuilds with setChannels once the record batch is checked.
func (d *Decoder) parseSchema(m *meta, s *schemaRef, hdr fbTable, msgLen int) (changed bool, _ *DecodeError) {
	r := &s.r
	endian := r.scalarI16(hdr, slotSchemaEndianness, fbEndianLittle)
	fstart, nfields, _ := r.vector(hdr, slotSchemaFields, 4)
	mstart, nmeta, _ := r.vector(hdr, slotSchemaMetadata, 4)
	if r.bad {
		return false, d.fail(m, "", "", "malformed Schema message")
	}
	s.fstart, s.nfields = fstart, nfields

	var sm schemaMeta
	if err := d.readSchemaMeta(m, r, mstart, nmeta, &sm); err != nil {
		return false, err
	}
	if err := d.checkSchemaMeta(m, &sm); err != nil {
		return false, err
	}
	if endian != fbEndianLittle {
		return false, d.fail(m, "", "", "schema is big-endian; chunks are little-endian")
	}
	if nfields == 0 {
		return false, d.fail(m, "", "", "schema has no columns")
	}
	if nfields > d.lim.MaxChannels {
		return false, d.failLimit(m, "", "MaxChannels", "schema has %d columns, above Limits.MaxChannels %d", nfields, d.lim.MaxChannels)
	}
	return d.checkColumns(m, s, msgLen)
}

// schemaMeta is the schema metadata's values by key, aliasing the
// message: vals[k] for metaKeys[k], optVals[k] for optKeys[k].
type schemaMeta struct {
	vals    [len(metaKeys)][]byte
	seen    [len(metaKeys)]bool
	optVals [len(optKeys)][]byte
	optSeen [len(optKeys)]bool
}

// readSchemaMeta collects the schema metadata entries into sm, refusing
// a key that appears twice.
func (d *Decoder) readSchemaMeta(m *meta, r *fbReader, mstart, nmeta int, sm *schemaMeta) *DecodeError {
	for j := 0; j < nmeta; j++ {
		kv := r.vectorTable(mstart, j)
		key, _ := r.str(kv, slotKeyValueKey)
		val, _ := r.str(kv, slotKeyValueValue)
		if r.bad {
			return d.fail(m, "", "", "malformed schema metadata entry %d", j)
		}
		for k, name := range metaKeys {
			if string(key) == name {
				if sm.seen[k] {
					return d.fail(m, name, "", "key appears twice")
				}
				sm.seen[k], sm.vals[k] = true, val
			}
		}
		for k, name := range optKeys {
			if string(key) == name {
				if sm.optSeen[k] {
					return d.fail(m, name, "", "key appears twice")
				}
				sm.optSeen[k], sm.optVals[k] = true, val
			}
		}
	}
	return nil
}

// checkSchemaMeta checks the metadata values and sets m's fields from
// them.
func (d *Decoder) checkSchemaMeta(m *meta, sm *schemaMeta) *DecodeError {
	vals := &sm.vals
	// Session and seq first, so that later errors can name them.
	if sm.seen[1] && len(vals[1]) > 0 && utf8.Valid(vals[1]) {
		m.session = vals[1]
	}
	if v, ok := parseDecimal(vals[5]); sm.seen[5] && ok && v >= 0 {
		m.seq = v
	}
	for k, name := range metaKeys {
		if !sm.seen[k] {
			return d.fail(m, name, "", "missing")
		}
	}
	if string(vals[0]) != Version {
		return d.fail(m, KeyVersion, "", "version mismatch: chunk has version %s, this reader reads %q", quote(vals[0]), Version)
	}
	if m.session == nil {
		return d.fail(m, KeySession, "", "invalid value %s: want a non-empty UTF-8 string", quote(vals[1]))
	}
	if err := d.checkRate(m, vals[2]); err != nil {
		return err
	}
	var ok bool
	if m.firstSample, ok = parseDecimal(vals[3]); !ok || m.firstSample < 0 {
		return d.fail(m, KeyFirstSample, "", "invalid value %s: want a decimal integer >= 0", quote(vals[3]))
	}
	if m.startTimeNS, ok = parseDecimal(vals[4]); !ok {
		return d.fail(m, KeyStartTimeNS, "", "invalid value %s: want a decimal integer (Unix ns)", quote(vals[4]))
	}
	if m.seq < 0 {
		return d.fail(m, KeySeq, "", "invalid value %s: want a decimal integer >= 0", quote(vals[5]))
	}
	if sm.optSeen[0] {
		switch string(sm.optVals[0]) {
		case "true":
			m.final = true
		case "false":
		default:
			return d.fail(m, KeyFinal, "", "invalid value %s: want \"true\" or \"false\"", quote(sm.optVals[0]))
		}
	}
	return nil
}

// checkRate parses the sample rate (or reuses the last one parsed from
// the same text) and checks it against the limits.
func (d *Decoder) checkRate(m *meta, v []byte) *DecodeError {
	if string(v) == d.rateText && d.rateText != "" {
		m.rate = d.rate
	} else {
		rate, err := strconv.ParseFloat(string(v), 64)
		if err != nil || !(rate > 0) || math.IsInf(rate, 0) {
			return d.fail(m, KeySampleRate, "", "invalid value %s: want a finite rate > 0 in Hz", quote(v))
		}
		m.rate, d.rate, d.rateText = rate, rate, string(v)
	}
	switch {
	case m.rate < d.lim.MinSampleRate:
		return d.failLimit(m, KeySampleRate, "MinSampleRate", "%v Hz is below Limits.MinSampleRate %v Hz", m.rate, d.lim.MinSampleRate)
	case m.rate > d.lim.MaxSampleRate:
		return d.failLimit(m, KeySampleRate, "MaxSampleRate", "%v Hz is above Limits.MaxSampleRate %v Hz", m.rate, d.lim.MaxSampleRate)
	}
	return nil
}

// checkColumns reads the schema's columns. Only a column that differs
// from the cache is checked in full: the cache holds checked columns
// only.
func (d *Decoder) checkColumns(m *meta, s *schemaRef, msgLen int) (changed bool, _ *DecodeError) {
	nfields := s.nfields
	changed = len(d.chans) != nfields
	text := 0
	for i := 0; i < nfields; i++ {
		var f fieldDesc
		if err := d.readField(m, s, i, &f); err != nil {
			return false, err
		}
		// The channel descriptions copy each column's text. Strings may be
		// shared within a flatbuffer, so n columns can name one long
		// string n times; text longer than the whole message is refused
		// before any of it is copied. An honest schema's text is a part
		// of the message.
		text += len(f.name) + len(f.fv[0]) + len(f.fv[1]) + len(f.fv[2])
		if text > msgLen {
			return false, d.fail(m, "", string(f.name), "the names and field metadata of columns 0..%d hold %d bytes of text, more than the %d-byte message: fields share strings", i, text, msgLen)
		}
		if !changed && d.chans[i].same(&f) {
			continue
		}
		changed = true
		if _, err := d.checkField(m, &f); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// fieldDesc is one schema field as the message holds it (aliasing it).
type fieldDesc struct {
	name  []byte
	fv    [3][]byte // FieldKeyType, FieldKeyUnit, FieldKeyPos
	fseen [3]bool
}

var fieldKeys = [...]string{FieldKeyType, FieldKeyUnit, FieldKeyPos}

// readField reads field i and checks what every float32 column must be;
// checkField checks its metadata values.
func (d *Decoder) readField(m *meta, s *schemaRef, i int, f *fieldDesc) *DecodeError {
	r := &s.r
	t := r.vectorTable(s.fstart, i)
	name, _ := r.str(t, slotFieldName)
	nullable := r.scalarU8(t, slotFieldNullable, 0) != 0
	typeType := r.scalarU8(t, slotFieldTypeType, 0)
	var precision int16 = -1
	if ft, ok := r.child(t, slotFieldType); ok {
		precision = r.scalarI16(ft, slotFloatingPointPrecision, 0)
	}
	dict := r.field(t, slotFieldDictionary) != 0
	_, nchildren, _ := r.vector(t, slotFieldChildren, 4)
	kstart, nkv, _ := r.vector(t, slotFieldMetadata, 4)
	if r.bad {
		return d.fail(m, "", "", "malformed schema field %d", i)
	}
	if len(name) == 0 || !utf8.Valid(name) {
		return d.fail(m, "", "", "column %d: name %s is empty or not UTF-8", i, quote(name))
	}
	switch {
	case dict:
		return d.fail(m, "", string(name), "dictionary-encoded; want float32")
	case typeType != fbTypeFloatingPoint || precision != fbPrecisionSingle || nchildren != 0:
		return d.fail(m, "", string(name), "type %s; want float32", typeName(typeType, precision))
	case nullable:
		return d.fail(m, "", string(name), "declared nullable; columns must be non-nullable float32 (pyarrow: pa.field(name, pa.float32(), nullable=False))")
	}
	f.name = name
	for j := 0; j < nkv; j++ {
		kv := r.vectorTable(kstart, j)
		key, _ := r.str(kv, slotKeyValueKey)
		val, _ := r.str(kv, slotKeyValueValue)
		if r.bad {
			return d.fail(m, "", string(name), "malformed field metadata entry %d", j)
		}
		for k, fk := range fieldKeys {
			if string(key) == fk {
				if f.fseen[k] {
					return d.fail(m, fk, string(name), "key appears twice")
				}
				f.fseen[k], f.fv[k] = true, val
			}
		}
	}
	return nil
}

// checkField checks a field's metadata values and returns its description
// (with the strings still aliasing the message).
func (d *Decoder) checkField(m *meta, f *fieldDesc) (chanCache, *DecodeError) {
	name := f.name
	if !f.fseen[0] {
		return chanCache{}, d.fail(m, FieldKeyType, string(name), "missing")
	}
	typ, ok := channelType(f.fv[0])
	if !ok {
		return chanCache{}, d.fail(m, FieldKeyType, string(name), "invalid value %s: want one of eeg, meg_mag, meg_grad, eog, ecg, emg, stim, misc", quote(f.fv[0]))
	}
	if !f.fseen[1] {
		return chanCache{}, d.fail(m, FieldKeyUnit, string(name), "missing")
	}
	if len(f.fv[1]) == 0 || !utf8.Valid(f.fv[1]) {
		return chanCache{}, d.fail(m, FieldKeyUnit, string(name), "invalid value %s: want a non-empty UTF-8 unit such as V, T or T/m", quote(f.fv[1]))
	}
	var pos [3]float64
	if f.fseen[2] {
		if pos, ok = parsePos(f.fv[2]); !ok {
			return chanCache{}, d.fail(m, FieldKeyPos, string(name), "invalid value %s: want \"x,y,z\" in metres, finite decimals", quote(f.fv[2]))
		}
	}
	return chanCache{hasPos: f.fseen[2], typ: typ, pos: pos}, nil
}

// same reports whether f describes the cached column.
func (cc *chanCache) same(f *fieldDesc) bool {
	return string(f.name) == cc.label && string(f.fv[0]) == cc.typeText && string(f.fv[1]) == cc.unit &&
		f.fseen[2] == cc.hasPos && string(f.fv[2]) == cc.posText
}

// setChannels copies the schema's columns, checked by parseSchema, into
// d.chans and checks that their labels are unique. parse calls it last,
// once the record batch has shown a FieldNode, two Buffers and at least 4
// bytes of values per column, so the allocation is bounded by the message
// size even when the schema's fields share one table.
func (d *Decoder) setChannels(m *meta, s *schemaRef) *DecodeError {
	n := s.nfields
	changed := len(d.chans) != n
	if cap(d.chans) < n {
		d.chans = append(d.chans[:cap(d.chans)], make([]chanCache, n-cap(d.chans))...)
	}
	d.chans = d.chans[:n]
	for i := 0; i < n; i++ {
		var f fieldDesc
		if err := d.readField(m, s, i, &f); err != nil {
			return err // parseSchema read it already; this cannot happen
		}
		cc := &d.chans[i]
		if !changed && cc.same(&f) {
			continue
		}
		changed, d.chansOK = true, false
		c, err := d.checkField(m, &f)
		if err != nil {
			return err // parseSchema checked it already; this cannot happen
		}
		c.label, c.typeText, c.unit, c.posText = string(f.name), string(f.fv[0]), string(f.fv[1]), string(f.fv[2])
		*cc = c
	}
	if d.labelIdx == nil {
		d.labelIdx = make(map[string]int)
	}
	clear(d.labelIdx)
	for i := range d.chans {
		if j, dup := d.labelIdx[d.chans[i].label]; dup {
			return d.fail(m, "", d.chans[i].label, "duplicate column name (columns %d and %d)", j, i)
		}
		d.labelIdx[d.chans[i].label] = i
	}
	d.chansOK = true
	return nil
}

func typeName(typeType uint8, precision int16) string {
	names := [...]string{"NONE", "null", "int", "floating point", "binary", "utf8", "bool", "decimal",
		"date", "time", "timestamp", "interval", "list", "struct", "union", "fixed-size binary",
		"fixed-size list", "map", "duration", "large binary", "large utf8", "large list",
		"run-end encoded", "binary view", "utf8 view", "list view", "large list view"}
	if typeType == fbTypeFloatingPoint {
		switch precision {
		case 0:
			return "float16"
		case 1:
			return "float32 with children"
		case 2:
			return "float64"
		}
	}
	if int(typeType) < len(names) {
		return names[typeType]
	}
	return fmt.Sprintf("type %d", typeType)
}

func channelType(b []byte) (formats.ChannelType, bool) {
	switch string(b) {
	case "eeg":
		return formats.EEG, true
	case "meg_mag":
		return formats.MEGMag, true
	case "meg_grad":
		return formats.MEGGrad, true
	case "eog":
		return formats.EOG, true
	case "ecg":
		return formats.ECG, true
	case "emg":
		return formats.EMG, true
	case "stim":
		return formats.Stim, true
	case "misc":
		return formats.Misc, true
	}
	return "", false
}

// parseDecimal parses an optionally negative decimal integer without
// allocating; it rejects empty input, signs other than a leading '-',
// other characters and overflow.
func parseDecimal(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		if v > (1<<63)/10 {
			return 0, false
		}
		v = v*10 + uint64(ch-'0')
		if v > 1<<63 {
			return 0, false
		}
	}
	if neg {
		return -int64(v), true // -(1<<63) wraps to itself: MinInt64
	}
	if v == 1<<63 {
		return 0, false
	}
	return int64(v), true
}

// parsePos parses "x,y,z" (spaces around numbers allowed).
func parsePos(b []byte) ([3]float64, bool) {
	var pos [3]float64
	for k := 0; k < 3; k++ {
		part := b
		if i := bytes.IndexByte(b, ','); i >= 0 {
			part, b = b[:i], b[i+1:]
		} else {
			b = nil
			if k != 2 {
				return pos, false
			}
		}
		x, err := strconv.ParseFloat(string(bytes.TrimSpace(part)), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return pos, false
		}
		pos[k] = x
	}
	return pos, b == nil
}

// parseBatch checks the record batch against the schema and its body:
// every size before anything is allocated, then that no two buffers
// overlap, so the columns' values, copied once each, total at most the
// body's size.
func (d *Decoder) parseBatch(m *meta, r *fbReader, hdr fbTable, body []byte, s *schemaRef) (int, *DecodeError) {
	ncols := s.nfields
	length := r.scalarI64(hdr, slotRecordBatchLength, 0)
	nstart, nnodes, _ := r.vector(hdr, slotRecordBatchNodes, 16)
	bstart, nbufs, _ := r.vector(hdr, slotRecordBatchBuffers, 16)
	compressed := r.field(hdr, slotRecordBatchCompression) != 0
	if r.bad {
		return 0, d.fail(m, "", "", "malformed RecordBatch message")
	}
	switch {
	case compressed:
		return 0, d.fail(m, "", "", "record batch uses IPC buffer compression; chunks are uncompressed (Kafka compresses message batches)")
	case length < 0 || length == 0 && !m.final:
		return 0, d.fail(m, "", "", "record batch has %d rows, want at least 1 (only a final chunk may be empty)", length)
	case length > int64(len(body))/4:
		return 0, d.fail(m, "", "", "record batch claims %d rows but its body has only %d bytes", length, len(body))
	case length > int64(d.lim.MaxRows):
		return 0, d.failLimit(m, "", "MaxRows", "record batch has %d rows, above Limits.MaxRows %d", length, d.lim.MaxRows)
	case nnodes != ncols:
		return 0, d.fail(m, "", "", "record batch has %d field nodes for %d columns", nnodes, ncols)
	case nbufs != 2*ncols:
		return 0, d.fail(m, "", "", "record batch has %d buffers, want %d (validity and values per float32 column)", nbufs, 2*ncols)
	}
	// ncols FieldNodes and 2*ncols Buffers lie in the message, so this
	// scratch (reused by later messages) is bounded by the message size.
	if cap(d.cols) < ncols {
		d.cols = make([]colRef, ncols)
		d.spans = make([]span, 0, 2*ncols)
	}
	d.cols = d.cols[:ncols]
	d.spans = d.spans[:0]
	need := length * 4
	for i := 0; i < ncols; i++ {
		n := int64(r.u64(nstart + 16*i))
		nulls := int64(r.u64(nstart + 16*i + 8))
		voff := int64(r.u64(bstart + 32*i))
		vlen := int64(r.u64(bstart + 32*i + 8))
		off := int64(r.u64(bstart + 32*i + 16))
		blen := int64(r.u64(bstart + 32*i + 24))
		switch {
		case n != length:
			return 0, d.fail(m, "", string(s.label(i)), "column length mismatch: %d rows, record batch has %d", n, length)
		case nulls != 0:
			return 0, d.fail(m, "", string(s.label(i)), "%d null values in a non-nullable column", nulls)
		case vlen != 0 && !inBody(voff, vlen, len(body)):
			return 0, d.fail(m, "", string(s.label(i)), "validity buffer [%d, +%d) outside the %d-byte body", voff, vlen, len(body))
		case !inBody(off, blen, len(body)):
			return 0, d.fail(m, "", string(s.label(i)), "values buffer [%d, +%d) outside the %d-byte body", off, blen, len(body))
		case blen < need:
			return 0, d.fail(m, "", string(s.label(i)), "values buffer has %d bytes, %d rows need %d", blen, length, need)
		}
		if vlen != 0 {
			d.spans = append(d.spans, span{off: voff, end: voff + vlen, col: i})
		}
		d.spans = append(d.spans, span{off: off, end: off + blen, col: i, values: true})
		d.cols[i].data = body[off : off+need]
	}
	if err := d.checkOverlap(m, s); err != nil {
		return 0, err
	}
	return int(length), nil
}

// checkOverlap refuses a record batch whose buffers share body bytes. The
// Arrow format never needs that for float32 columns, and without this
// check n columns naming one buffer would decode to n times the body.
func (d *Decoder) checkOverlap(m *meta, s *schemaRef) *DecodeError {
	sp := d.spans
	sorted := true
	for k := 1; k < len(sp) && sorted; k++ {
		sorted = sp[k].off >= sp[k-1].off
	}
	if !sorted { // writers lay buffers out in order; sort only if not
		slices.SortStableFunc(sp, func(a, b span) int {
			return cmp.Compare(a.off, b.off)
		})
	}
	for k := 1; k < len(sp); k++ {
		a, b := sp[k-1], sp[k]
		if b.off < a.end {
			return d.fail(m, "", string(s.label(b.col)), "%s buffer [%d, +%d) overlaps the %s buffer [%d, +%d) of column %s; buffers must not share body bytes",
				b.kind(), b.off, b.end-b.off, a.kind(), a.off, a.end-a.off, quote(s.label(a.col)))
		}
	}
	return nil
}

func (s span) kind() string {
	if s.values {
		return "values"
	}
	return "validity"
}

func inBody(off, n int64, size int) bool {
	return off >= 0 && n >= 0 && off <= int64(size) && n <= int64(size)-off
}

// commit writes a parsed message into c. It cannot fail.
func (d *Decoder) commit(c *Chunk, m *meta, rows int) {
	if string(m.session) != c.Session {
		if string(m.session) != d.session {
			d.session = string(m.session)
		}
		c.Session = d.session
	}
	c.SampleRate = m.rate
	c.FirstSample = m.firstSample
	c.StartTimeNS = m.startTimeNS
	c.Seq = m.seq
	c.Final = m.final

	n := len(d.chans)
	if cap(c.Channels) < n {
		c.Channels = append(c.Channels[:cap(c.Channels)], make([]formats.Channel, n-cap(c.Channels))...)
	}
	c.Channels = c.Channels[:n]
	for i := range c.Channels {
		ch, cc := &c.Channels[i], &d.chans[i]
		ch.Label, ch.Type, ch.Unit, ch.SampleRate = cc.label, cc.typ, cc.unit, m.rate
		switch {
		case !cc.hasPos:
			ch.Pos = nil
		case ch.Pos == nil || *ch.Pos != cc.pos:
			// Never write through an existing Pos: the caller may share it.
			p := cc.pos
			ch.Pos = &p
		}
	}

	if cap(c.Data) < n {
		c.Data = append(c.Data[:cap(c.Data)], make([][]float32, n-cap(c.Data))...)
	}
	c.Data = c.Data[:n]
	for i, col := range d.cols {
		dst := c.Data[i]
		if cap(dst) < rows {
			dst = make([]float32, rows)
		}
		dst = dst[:rows]
		getFloat32s(dst, col.data)
		c.Data[i] = dst
	}
}
