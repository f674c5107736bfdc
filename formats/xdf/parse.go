package xdf

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/neurostream/neurostream/formats"
)

// Chunk tags of XDF 1.0.
const (
	tagFileHeader   = 1
	tagStreamHeader = 2
	tagSamples      = 3
	tagClockOffset  = 4
	tagBoundary     = 5
	tagStreamFooter = 6
)

// boundarySignature is the content of every Boundary chunk: a reader that
// lost its place seeks to the next one.
var boundarySignature = []byte{
	0x43, 0xA5, 0x46, 0xDC, 0xCB, 0xF5, 0x41, 0x0F,
	0xB3, 0x0E, 0xD5, 0x46, 0x73, 0x83, 0xCB, 0xE4,
}

// valueMode says what a pass over the file does with a stream's values.
type valueMode int

const (
	// keepValues decodes the values into the Stream.
	keepValues valueMode = iota
	// indexValues records where each block of samples is in the file,
	// for ReadSamples to decode later.
	indexValues
)

// blockLen is the most samples of one block of the index: ReadSamples
// decodes whole blocks, so a request reads at most 2·blockLen samples
// more than it returns.
const blockLen = 256

// block is a run of consecutive samples of one stream within one Samples
// chunk.
type block struct {
	off, end int64 // file offsets of its first sample and after its last
	first    int64 // index of its first sample in the stream
	n        int
}

// streamState is a stream being read.
type streamState struct {
	s      *Stream
	mode   valueMode
	last   float64 // last time stamp, for the ones a sample leaves out
	tdiff  float64 // 1/NominalRate, or 0
	blocks []block
}

// parser makes one sequential pass over an XDF file.
type parser struct {
	f      *File
	r      io.ReaderAt
	size   int64
	br     *bufio.Reader
	off    int64 // file offset of the next byte br yields
	states map[uint32]*streamState
	mode   func(*Stream) valueMode
	buf    []byte
	scan   []byte // scanForward's window, kept: a file may need many scans
	// warned counts the warnings per field; past maxWarnings of one
	// field they are only counted, and run adds one sentence for them.
	warned map[string]int
}

// maxWarnings is how many warnings about one field a file lists.
const maxWarnings = 5

func newParser(r io.ReaderAt, size int64, name string, mode func(*Stream) valueMode) *parser {
	p := &parser{f: &File{Name: name}, r: r, size: size, states: map[uint32]*streamState{}, mode: mode}
	p.seek(0)
	return p
}

func (p *parser) seek(off int64) {
	sr := io.NewSectionReader(p.r, off, p.size-off)
	if p.br == nil {
		p.br = bufio.NewReaderSize(sr, 64<<10)
	} else {
		p.br.Reset(sr)
	}
	p.off = off
}

func (p *parser) errorf(off int64, field, format string, args ...any) error {
	return &formats.Error{File: p.f.Name, Offset: off, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// read returns the next n bytes (n no more than what is left), valid until
// the next call.
func (p *parser) read(n int64) ([]byte, error) {
	if int64(cap(p.buf)) < n {
		p.buf = make([]byte, n)
	}
	b := p.buf[:n]
	if _, err := io.ReadFull(p.br, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, &formats.Error{File: p.f.Name, Offset: p.off, Field: "read", Err: err}
	}
	p.off += n
	return b, nil
}

func (p *parser) skip(n int64) error {
	if _, err := p.br.Discard(int(n)); err != nil {
		return &formats.Error{File: p.f.Name, Offset: p.off, Field: "read", Err: err}
	}
	p.off += n
	return nil
}

// scanForward moves to just after the next Boundary chunk's signature, as
// pyxdf does after a chunk it cannot parse, and reports whether there was
// one.
func (p *parser) scanForward(from int64) (bool, error) {
	const window = 1 << 16
	if p.scan == nil {
		p.scan = make([]byte, window+len(boundarySignature))
	}
	buf := p.scan
	for off := from; off < p.size; off += window {
		n, err := p.r.ReadAt(buf[:min(int64(len(buf)), p.size-off)], off)
		if err != nil && err != io.EOF {
			return false, &formats.Error{File: p.f.Name, Offset: off, Field: "read", Err: err}
		}
		if i := bytes.Index(buf[:n], boundarySignature); i >= 0 {
			p.seek(off + int64(i+len(boundarySignature)))
			return true, nil
		}
	}
	return false, nil
}

// varlen decodes a variable-length integer (a width byte of 1, 4 or 8,
// then the little-endian value) at the start of b, returning it and the
// bytes it took.
func varlen(b []byte) (uint64, int, error) {
	if len(b) == 0 {
		return 0, 0, errors.New("missing")
	}
	switch w := int(b[0]); w {
	case 1, 4, 8:
		if len(b) < 1+w {
			return 0, 0, fmt.Errorf("%d-byte value cut short", w)
		}
		var v uint64
		for i := w; i >= 1; i-- {
			v = v<<8 | uint64(b[i])
		}
		return v, 1 + w, nil
	default:
		return 0, 0, fmt.Errorf("width byte %d is not 1, 4 or 8", w)
	}
}

// run reads the whole file.
func (p *parser) run() error {
	magic := make([]byte, 4)
	if p.size < 4 {
		return p.errorf(0, "magic", "file of %d bytes: not an XDF file (want \"XDF:\")", p.size)
	}
	if _, err := p.r.ReadAt(magic, 0); err != nil {
		return &formats.Error{File: p.f.Name, Offset: 0, Field: "magic", Err: err}
	}
	if string(magic) != "XDF:" {
		return p.errorf(0, "magic", "%q: not an XDF file (want \"XDF:\")", magic)
	}
	p.seek(4)
	for p.off < p.size {
		start := p.off
		head, err := p.br.Peek(int(min(9, p.size-p.off)))
		if err != nil && len(head) == 0 {
			return &formats.Error{File: p.f.Name, Offset: p.off, Field: "read", Err: err}
		}
		if w := int(head[0]); (w == 1 || w == 4 || w == 8) && len(head) < 1+w {
			p.warn(start, "chunk length", "the file is cut short inside it; the last %d bytes are ignored", p.size-start)
			break
		}
		length, k, err := varlen(head)
		if err != nil {
			found, serr := p.scanForward(start + 1)
			if serr != nil {
				return serr
			}
			if found {
				p.warn(start, "chunk length", "%v; skipped to the next boundary chunk", err)
				continue
			}
			p.warn(start, "chunk length", "%v; the rest of the file (%d bytes) is ignored", err, p.size-start)
			break
		}
		p.skip(int64(k))
		left := p.size - p.off
		if length > uint64(left) {
			p.warn(start, "chunk", "length %d runs past the end of the file (%d bytes left): the file is cut short; this last chunk is ignored", length, left)
			break
		}
		if length < 2 {
			found, serr := p.scanForward(p.off)
			if serr != nil {
				return serr
			}
			p.warn(start, "chunk", "length %d is too short for a tag; skipped to the next boundary chunk", length)
			if !found {
				break
			}
			continue
		}
		tb, err := p.read(2)
		if err != nil {
			return err
		}
		tag := binary.LittleEndian.Uint16(tb)
		if err := p.chunk(start, tag, int64(length)-2); err != nil {
			return err
		}
		if p.off != start+int64(k)+int64(length) {
			// Defensive: every branch consumes exactly its chunk.
			p.seek(start + int64(k) + int64(length))
		}
	}
	return nil
}

// chunk reads the content (n bytes) of a chunk with tag that starts at
// start.
func (p *parser) chunk(start int64, tag uint16, n int64) error {
	switch tag {
	case tagFileHeader:
		b, err := p.read(n)
		if err != nil {
			return err
		}
		e, err := parseXML(b)
		if err != nil {
			p.warn(start, "file header", "XML: %v; ignored", err)
			return nil
		}
		if p.f.Header == nil {
			p.f.Header = e
			p.f.Version = strings.TrimSpace(e.Value("version"))
		}
		return nil
	case tagStreamHeader, tagSamples, tagClockOffset, tagStreamFooter:
	default:
		// Boundary chunks and tags of later versions carry nothing a
		// reader of XDF 1.0 needs.
		return p.skip(n)
	}
	if n < 4 {
		p.warn(start, "chunk", "tag %d with %d bytes of content, too few for a stream id; skipped", tag, n)
		return p.skip(n)
	}
	ib, err := p.read(4)
	if err != nil {
		return err
	}
	id := binary.LittleEndian.Uint32(ib)
	n -= 4
	st := p.states[id]
	switch tag {
	case tagStreamHeader:
		if st != nil {
			p.warn(start, "stream header", "stream %d has a header already; this one is ignored", id)
			return p.skip(n)
		}
		b, err := p.read(n)
		if err != nil {
			return err
		}
		s, err := p.streamHeader(start, id, b)
		if err != nil {
			return err
		}
		st = &streamState{s: s, mode: p.mode(s)}
		if s.NominalRate > 0 {
			st.tdiff = 1 / s.NominalRate
		}
		p.states[id] = st
		p.f.Streams = append(p.f.Streams, s)
		return nil
	}
	if st == nil {
		p.warn(start, "chunk", "tag %d for stream %d, which has no header; skipped", tag, id)
		return p.skip(n)
	}
	switch tag {
	case tagSamples:
		base := p.off
		b, err := p.read(n)
		if err != nil {
			return err
		}
		extra, err := st.samples(b, base)
		if err != nil {
			p.warn(start, "samples", "stream %d: %v; the chunk is ignored", id, err)
		} else if extra > 0 {
			p.warn(start, "samples", "stream %d: %d bytes after the last sample; ignored", id, extra)
		}
	case tagClockOffset:
		if n < 16 {
			p.warn(start, "clock offset", "stream %d: %d bytes, want 16; ignored", id, n)
			return p.skip(n)
		}
		b, err := p.read(n)
		if err != nil {
			return err
		}
		st.s.ClockTimes = append(st.s.ClockTimes, math.Float64frombits(binary.LittleEndian.Uint64(b)))
		st.s.ClockValues = append(st.s.ClockValues, math.Float64frombits(binary.LittleEndian.Uint64(b[8:])))
	case tagStreamFooter:
		b, err := p.read(n)
		if err != nil {
			return err
		}
		e, err := parseXML(b)
		if err != nil {
			p.warn(start, "stream footer", "stream %d: XML: %v; ignored", id, err)
			return nil
		}
		st.s.Footer = e
	}
	return nil
}

// streamHeader parses a StreamHeader's XML.
func (p *parser) streamHeader(start int64, id uint32, b []byte) (*Stream, error) {
	field := fmt.Sprintf("stream %d header", id)
	e, err := parseXML([]byte(decodeUTF8(b)))
	if err != nil {
		return nil, p.errorf(start, field, "XML: %v", err)
	}
	s := &Stream{ID: id, Header: e, Name: e.Value("name"), Type: e.Value("type")}
	if e.Child("channel_count") == nil || e.Child("nominal_srate") == nil || e.Child("channel_format") == nil {
		return nil, p.errorf(start, field, "want channel_count, nominal_srate and channel_format in <%s>", e.Name)
	}
	nc, err := strconv.ParseInt(strings.TrimSpace(e.Value("channel_count")), 10, 64)
	if err != nil || nc < 0 {
		return nil, p.errorf(start, field+": channel_count", "%q: want a count ≥ 0", e.Value("channel_count"))
	}
	s.Format = Format(strings.TrimSpace(e.Value("channel_format")))
	if !s.Format.Valid() {
		return nil, p.errorf(start, field+": channel_format", "%q: want int8, int16, int32, int64, float32, double64 or string", s.Format)
	}
	// A sanity bound, not a limit of the format: a stream whose samples
	// could not fit in the file is a damaged header, and no allocation
	// may follow a count the file cannot back.
	if per := int64(max(s.Format.Size(), 2)); nc > p.size/per {
		return nil, p.errorf(start, field+": channel_count", "%d channels of %s: more than a %d-byte file can hold one sample of", nc, s.Format, p.size)
	}
	s.ChannelCount = int(nc)
	s.NominalRate, err = strconv.ParseFloat(strings.TrimSpace(e.Value("nominal_srate")), 64)
	if err != nil || s.NominalRate < 0 || math.IsInf(s.NominalRate, 0) || math.IsNaN(s.NominalRate) {
		return nil, p.errorf(start, field+": nominal_srate", "%q: want a rate in Hz ≥ 0 (0 for an irregular stream)", e.Value("nominal_srate"))
	}
	for _, c := range e.Child("desc").Child("channels").All("channel") {
		s.Channels = append(s.Channels, ChannelInfo{Label: c.Value("label"), Unit: c.Value("unit"), Type: c.Value("type")})
	}
	return s, nil
}

// samples decodes the content of a Samples chunk after its stream id; base
// is the file offset of b. It returns how many bytes follow the last
// sample. A chunk that does not parse adds nothing (but, as in pyxdf, the
// time stamps read before the failure still count for the ones the next
// chunks leave out).
func (st *streamState) samples(b []byte, base int64) (extra int, err error) {
	s := st.s
	n, pos, err := varlen(b)
	if err != nil {
		return 0, fmt.Errorf("sample count: %v", err)
	}
	nch := s.ChannelCount
	minBytes := 1 + nch*s.Format.Size()
	if s.Format == String {
		minBytes = 1 + 2*nch
	}
	if room := uint64(len(b)-pos) / uint64(minBytes); n > room {
		return 0, fmt.Errorf("%d samples claimed, but the chunk's %d bytes hold at most %d", n, len(b)-pos, room)
	}
	mark := st.mark()
	size := s.Format.Size()
	for i := range int(n) {
		at := pos
		if pos >= len(b) {
			st.reset(mark)
			return 0, fmt.Errorf("sample %d of %d: the chunk ends", i, n)
		}
		var ts float64
		if b[pos] != 0 {
			if pos+9 > len(b) {
				st.reset(mark)
				return 0, fmt.Errorf("sample %d of %d: time stamp cut short", i, n)
			}
			ts = math.Float64frombits(binary.LittleEndian.Uint64(b[pos+1:]))
			pos += 9
		} else {
			ts = st.last + st.tdiff
			pos++
		}
		st.last = ts
		if s.Format == String {
			for c := range nch {
				l, k, err := varlen(b[pos:])
				if err != nil {
					st.reset(mark)
					return 0, fmt.Errorf("sample %d of %d, channel %d: string length: %v", i, n, c, err)
				}
				pos += k
				if l > uint64(len(b)-pos) {
					st.reset(mark)
					return 0, fmt.Errorf("sample %d of %d, channel %d: a %d-byte string runs past the chunk's end", i, n, c, l)
				}
				s.Strings = append(s.Strings, decodeUTF8(b[pos:pos+int(l)]))
				pos += int(l)
			}
		} else {
			w := nch * size
			if pos+w > len(b) {
				st.reset(mark)
				return 0, fmt.Errorf("sample %d of %d: values cut short", i, n)
			}
			if st.mode == keepValues {
				appendValues(s, b[pos:pos+w])
			}
			pos += w
		}
		s.Timestamps = append(s.Timestamps, ts)
		if st.mode == indexValues {
			idx := int64(len(s.Timestamps) - 1)
			if i%blockLen == 0 {
				st.blocks = append(st.blocks, block{off: base + int64(at), first: idx})
			}
			bl := &st.blocks[len(st.blocks)-1]
			bl.n++
			bl.end = base + int64(pos)
		}
	}
	return len(b) - pos, nil
}

// mark is how much of a stream was read before a chunk.
type mark struct{ samples, values, blocks int }

func (st *streamState) mark() mark {
	return mark{len(st.s.Timestamps), st.s.valueLen(), len(st.blocks)}
}

// reset drops what a failed chunk added.
func (st *streamState) reset(m mark) {
	s := st.s
	s.Timestamps = s.Timestamps[:m.samples]
	s.Int8 = s.Int8[:min(len(s.Int8), m.values)]
	s.Int16 = s.Int16[:min(len(s.Int16), m.values)]
	s.Int32 = s.Int32[:min(len(s.Int32), m.values)]
	s.Int64 = s.Int64[:min(len(s.Int64), m.values)]
	s.Float32 = s.Float32[:min(len(s.Float32), m.values)]
	s.Double64 = s.Double64[:min(len(s.Double64), m.values)]
	s.Strings = s.Strings[:min(len(s.Strings), m.values)]
	st.blocks = st.blocks[:m.blocks]
}

// valueLen is the number of values held.
func (s *Stream) valueLen() int {
	return max(len(s.Int8), len(s.Int16), len(s.Int32), len(s.Int64), len(s.Float32), len(s.Double64), len(s.Strings))
}

// appendValues decodes one sample's little-endian values.
func appendValues(s *Stream, b []byte) {
	le := binary.LittleEndian
	switch s.Format {
	case Int8:
		for _, v := range b {
			s.Int8 = append(s.Int8, int8(v))
		}
	case Int16:
		for i := 0; i < len(b); i += 2 {
			s.Int16 = append(s.Int16, int16(le.Uint16(b[i:])))
		}
	case Int32:
		for i := 0; i < len(b); i += 4 {
			s.Int32 = append(s.Int32, int32(le.Uint32(b[i:])))
		}
	case Int64:
		for i := 0; i < len(b); i += 8 {
			s.Int64 = append(s.Int64, int64(le.Uint64(b[i:])))
		}
	case Float32:
		for i := 0; i < len(b); i += 4 {
			s.Float32 = append(s.Float32, math.Float32frombits(le.Uint32(b[i:])))
		}
	case Double64:
		for i := 0; i < len(b); i += 8 {
			s.Double64 = append(s.Double64, math.Float64frombits(le.Uint64(b[i:])))
		}
	}
}

// warn records a warning about the chunk at byte off.
func (p *parser) warn(off int64, field, format string, args ...any) {
	if p.warned == nil {
		p.warned = map[string]int{}
	}
	p.warned[field]++
	if p.warned[field] > maxWarnings {
		return
	}
	w := fmt.Sprintf("%s: byte %d: %s: %s", p.f.Name, off, field, fmt.Sprintf(format, args...))
	if !slices.Contains(p.f.Warnings, w) {
		p.f.Warnings = append(p.f.Warnings, w)
	}
}

// summarizeWarnings adds, for each kind of warning given more than
// maxWarnings times, how many more there were, and forgets them.
func (p *parser) summarizeWarnings() {
	var kinds []string
	for k, n := range p.warned {
		if n > maxWarnings {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		what := k + ": "
		if strings.Contains(k, "%") {
			what = "" // a stream warning's format: the count says enough
		}
		p.f.Warnings = append(p.f.Warnings, fmt.Sprintf("%s: %s%d more warnings like the above", p.f.Name, what, p.warned[k]-maxWarnings))
	}
	clear(p.warned)
}
