package fif

import (
	"encoding/binary"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/pyparse"
)

// Tag kinds, block kinds and data types used here, as in MNE's
// mne/_fiff/constants.py.
const (
	kindFileID        = 100
	kindDirPointer    = 101
	kindBlockID       = 103
	kindBlockStart    = 104
	kindBlockEnd      = 105
	kindParentBlockID = 110
	kindRefRole       = 115
	kindRefFileNum    = 117
	kindRefFileName   = 118

	kindNChan       = 200
	kindSFreq       = 201
	kindChInfo      = 203
	kindMeasDate    = 204
	kindComment     = 206
	kindFirstSample = 208

	kindChKind     = 252
	kindChRange    = 253
	kindChCal      = 254
	kindChLoc      = 255
	kindChUnit     = 256
	kindChDacqName = 258
	kindChCoilType = 350

	kindDataBuffer = 300
	kindDataSkip   = 301

	kindMNEEventList   = 3561
	kindMNEBaselineMin = 3568
	kindMNEBaselineMax = 3569

	blockMeas           = 100
	blockMeasInfo       = 101
	blockRawData        = 102
	blockContinuousData = 112
	blockChInfo         = 113
	blockRef            = 118
	blockIASRawData     = 119
	blockMNEEvents      = 361
	blockMNEAnnotations = 3810

	typeByte          = 1
	typeShort         = 2
	typeInt           = 3
	typeFloat         = 4
	typeDouble        = 5
	typeUShort        = 7
	typeUInt          = 8
	typeString        = 10
	typeDAUPack16     = 16
	typeComplexFloat  = 20
	typeComplexDouble = 21
	typeChInfoStruct  = 30
	typeIDStruct      = 31
	typeDirEntry      = 32

	roleNextFile = 2

	tagHeaderLen = 16
	chInfoLen    = 96
	idStructLen  = 20
)

// tag is one FIFF tag header: the data follow at pos+16.
type tag struct {
	kind int32
	typ  uint32
	size int64 // data bytes, validated to lie inside the file
	pos  int64 // byte offset of the 16-byte header
}

func (t tag) data() int64 { return t.pos + tagHeaderLen }

// node is one block of the tag tree, as MNE's make_dir_tree builds it.
type node struct {
	block    int32
	entries  []tag // the block's own tags, without nested blocks
	children []*node
	// id and parentID are the FIFF_BLOCK_ID and FIFF_PARENT_BLOCK_ID tags
	// (FIFF_FILE_ID for the root); nil when absent.
	id, parentID *tag
}

// find returns the blocks of the given kind in n's subtree, n included,
// in depth-first pre-order like MNE's dir_tree_find.
func (n *node) find(block int32) []*node {
	var out []*node
	stack := []*node{n}
	for len(stack) > 0 {
		m := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if m.block == block {
			out = append(out, m)
		}
		for i := len(m.children) - 1; i >= 0; i-- {
			stack = append(stack, m.children[i])
		}
	}
	return out
}

// file reads tags from one FIF file.
type file struct {
	r    io.ReaderAt
	size int64
	name string
	buf  [tagHeaderLen]byte
}

func (f *file) errorf(off int64, field, format string, args ...any) *formats.Error {
	return &formats.Error{File: f.name, Offset: off, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// readAt fills p from off, turning a short read into an error naming field.
func (f *file) readAt(p []byte, off int64, field string) error {
	if off < 0 || off+int64(len(p)) > f.size {
		return f.errorf(off, field, "%d bytes needed but the file ends at byte %d", len(p), f.size)
	}
	n, err := f.r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &formats.Error{File: f.name, Offset: off, Field: field, Msg: fmt.Sprintf("read %d of %d bytes", n, len(p)), Err: err}
}

// header reads the tag header at pos and returns the tag and its next
// field. The data must lie inside the file.
func (f *file) header(pos int64) (tag, int32, error) {
	t, next, err := f.rawHeader(pos)
	if err != nil {
		return tag{}, 0, err
	}
	if err := f.checkSize(t); err != nil {
		return tag{}, 0, err
	}
	return t, next, nil
}

// rawHeader reads the tag header at pos without checking its size.
func (f *file) rawHeader(pos int64) (tag, int32, error) {
	if err := f.readAt(f.buf[:], pos, "tag header"); err != nil {
		return tag{}, 0, err
	}
	b := f.buf[:]
	t := tag{
		kind: int32(binary.BigEndian.Uint32(b[0:])),
		typ:  binary.BigEndian.Uint32(b[4:]),
		size: int64(int32(binary.BigEndian.Uint32(b[8:]))),
		pos:  pos,
	}
	return t, int32(binary.BigEndian.Uint32(b[12:])), nil
}

// checkSize bounds a tag's data by the file: this is what keeps a corrupt
// size field from becoming a huge allocation.
func (f *file) checkSize(t tag) error {
	if t.size < 0 {
		return f.errorf(t.pos+8, "tag size", "tag kind %d has negative size %d", t.kind, t.size)
	}
	if t.pos < 0 || t.data()+t.size > f.size {
		return f.errorf(t.pos+8, "tag size", "tag kind %d at byte %d has %d data bytes but the file ends at byte %d (truncated file?)",
			t.kind, t.pos, t.size, f.size)
	}
	return nil
}

// open checks the file id, then reads the tag directory the file points to
// or, when it has none (or an unusable one), walks the tag chain from byte
// 0 the way MNE's fiff_open does; it returns the block tree.
func (f *file) open() (*node, error) {
	if f.size < tagHeaderLen {
		return nil, f.errorf(0, "file id tag", "file has %d bytes, too short for a FIF file", f.size)
	}
	t0, next, err := f.rawHeader(0)
	if err != nil {
		return nil, err
	}
	if f.buf[0] == 0x1f && f.buf[1] == 0x8b {
		return nil, f.errorf(0, "file id tag", "gzip-compressed FIF cannot be read by sample: decompress it first (gunzip)")
	}
	if t0.kind != kindFileID || t0.typ != typeIDStruct || t0.size != idStructLen {
		return nil, f.errorf(0, "file id tag", "kind %d, type %d, size %d; want kind %d (FIFF_FILE_ID), type %d, size %d: not a FIF file",
			t0.kind, t0.typ, t0.size, kindFileID, typeIDStruct, idStructLen)
	}
	pos, ok := nextPos(t0, next)
	if !ok {
		return nil, f.errorf(12, "file id tag", "no tag follows the file id; want FIFF_DIR_POINTER")
	}
	t1, _, err := f.header(pos)
	if err != nil {
		return nil, err
	}
	if t1.kind != kindDirPointer {
		return nil, f.errorf(pos, "directory pointer", "tag kind %d after the file id; want %d (FIFF_DIR_POINTER)", t1.kind, kindDirPointer)
	}
	dirpos, err := f.scalar(t1, "directory pointer")
	if err != nil {
		return nil, err
	}
	var dir []tag
	if dirpos > 0 && dirpos <= float64(f.size) {
		dir = f.directory(int64(dirpos))
	}
	if dir == nil {
		if dir, err = f.scan(); err != nil {
			return nil, err
		}
	}
	return f.tree(dir)
}

// nextPos is where the tag after t starts, per its next field.
func nextPos(t tag, next int32) (int64, bool) {
	switch {
	case next == 0:
		return t.data() + t.size, true
	case next > 0:
		return int64(next), true
	}
	return 0, false
}

// directory reads a FIFFT_DIR_ENTRY_STRUCT tag at pos. It returns nil when
// the tag is not a usable directory, and the caller then walks the tags
// instead, as MNE does for a missing directory.
func (f *file) directory(pos int64) []tag {
	t, _, err := f.header(pos)
	if err != nil || t.typ != typeDirEntry || t.size == 0 || t.size%tagHeaderLen != 0 {
		return nil
	}
	b := make([]byte, t.size)
	if f.readAt(b, t.data(), "tag directory") != nil {
		return nil
	}
	dir := make([]tag, 0, len(b)/tagHeaderLen)
	for ; len(b) >= tagHeaderLen; b = b[tagHeaderLen:] {
		e := tag{
			kind: int32(binary.BigEndian.Uint32(b[0:])),
			typ:  binary.BigEndian.Uint32(b[4:]),
			size: int64(int32(binary.BigEndian.Uint32(b[8:]))),
			// The directory stores the tag's position in the next field.
			pos: int64(int32(binary.BigEndian.Uint32(b[12:]))),
		}
		if f.checkSize(e) != nil {
			return nil
		}
		dir = append(dir, e)
	}
	return dir
}

// scan walks the tag chain from byte 0. A partial header at the end stops
// the walk, as in MNE; a next pointer that does not move forward is an
// error (MNE would loop forever).
func (f *file) scan() ([]tag, error) {
	var dir []tag
	pos := int64(0)
	for pos+tagHeaderLen <= f.size {
		t, next, err := f.header(pos)
		if err != nil {
			return nil, err
		}
		dir = append(dir, t)
		np, ok := nextPos(t, next)
		if !ok {
			break
		}
		if np <= pos {
			return nil, f.errorf(pos+12, "tag next", "tag kind %d at byte %d points back to byte %d", t.kind, pos, np)
		}
		pos = np
	}
	return dir, nil
}

// tree groups the directory into blocks like MNE's make_dir_tree: a
// FIFF_BLOCK_START opens a child block, FIFF_BLOCK_END closes the current
// one (a stray end at the top level is ignored, as MNE does).
func (f *file) tree(dir []tag) (*node, error) {
	root := &node{}
	stack := []*node{root}
	for i, t := range dir {
		cur := stack[len(stack)-1]
		switch t.kind {
		case kindBlockStart:
			kind, err := f.scalar(t, "FIFF_BLOCK_START")
			if err != nil {
				return nil, err
			}
			if i == 0 {
				root.block = int32(kind)
				continue
			}
			child := &node{block: int32(kind)}
			cur.children = append(cur.children, child)
			stack = append(stack, child)
		case kindBlockEnd:
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
		default:
			cur.entries = append(cur.entries, t)
			t := t
			if cur.block == 0 {
				if t.kind == kindFileID {
					cur.id = &t
				}
			} else if t.kind == kindBlockID {
				cur.id = &t
			} else if t.kind == kindParentBlockID {
				cur.parentID = &t
			}
		}
	}
	return root, nil
}

// bytes reads a tag's data.
func (f *file) bytes(t tag, field string) ([]byte, error) {
	b := make([]byte, t.size)
	if err := f.readAt(b, t.data(), field); err != nil {
		return nil, err
	}
	return b, nil
}

// numbers reads a tag of a plain numeric type as float64 values (exact for
// every FIFF integer type), the way MNE's read_tag returns a numpy array.
func (f *file) numbers(t tag, field string) ([]float64, error) {
	var w int64
	switch t.typ {
	case typeByte:
		w = 1
	case typeShort, typeUShort, typeDAUPack16:
		w = 2
	case typeInt, typeUInt, typeFloat:
		w = 4
	case typeDouble:
		w = 8
	default:
		return nil, f.errorf(t.pos+4, field, "tag data type %d; want a number (int, float or double)", t.typ)
	}
	if t.size%w != 0 {
		return nil, f.errorf(t.pos+8, field, "%d data bytes is not a whole number of %d-byte values", t.size, w)
	}
	b, err := f.bytes(t, field)
	if err != nil {
		return nil, err
	}
	out := make([]float64, t.size/w)
	for i := range out {
		p := b[int64(i)*w:]
		switch t.typ {
		case typeByte:
			out[i] = float64(p[0])
		case typeShort, typeDAUPack16:
			out[i] = float64(int16(binary.BigEndian.Uint16(p)))
		case typeUShort:
			out[i] = float64(binary.BigEndian.Uint16(p))
		case typeInt:
			out[i] = float64(int32(binary.BigEndian.Uint32(p)))
		case typeUInt:
			out[i] = float64(binary.BigEndian.Uint32(p))
		case typeFloat:
			out[i] = float64(math.Float32frombits(binary.BigEndian.Uint32(p)))
		case typeDouble:
			out[i] = math.Float64frombits(binary.BigEndian.Uint64(p))
		}
	}
	return out, nil
}

// scalar reads a one-number tag (MNE's tag.data.item()).
func (f *file) scalar(t tag, field string) (float64, error) {
	v, err := f.numbers(t, field)
	if err != nil {
		return 0, err
	}
	if len(v) != 1 {
		return 0, f.errorf(t.pos+8, field, "%d values; want exactly one", len(v))
	}
	return v[0], nil
}

// integer reads a one-number tag as an int64, truncating like Python's
// int() and refusing values that are not finite.
func (f *file) integer(t tag, field string) (int64, error) {
	v, err := f.scalar(t, field)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || math.Abs(v) > 1<<53 {
		return 0, f.errorf(t.data(), field, "value %v is not a usable integer", v)
	}
	return int64(v), nil
}

// xmlRef is MNE's test for strings it wrote with xmlcharrefreplace.
var xmlRef = regexp.MustCompile(`&#[0-9a-fA-F]{6};`)

// str reads a FIFFT_STRING tag: ISO 8859-1, with MNE's unescaping of XML
// character references, returned as UTF-8.
func (f *file) str(t tag, field string) (string, error) {
	if t.typ != typeString {
		return "", f.errorf(t.pos+4, field, "tag data type %d; want %d (string)", t.typ, typeString)
	}
	b, err := f.bytes(t, field)
	if err != nil {
		return "", err
	}
	s := pyparse.Latin1(b)
	if xmlRef.MatchString(s) {
		s = html.UnescapeString(s)
	}
	return s, nil
}

// idTime reads the secs and usecs fields of a FIFFT_ID_STRUCT tag.
func (f *file) idTime(t *tag, field string) (secs, usecs int64, err error) {
	if t.typ != typeIDStruct || t.size < idStructLen {
		return 0, 0, f.errorf(t.pos, field, "type %d, size %d; want an id struct (type %d, %d bytes)", t.typ, t.size, typeIDStruct, idStructLen)
	}
	var b [idStructLen]byte
	if err := f.readAt(b[:], t.data(), field); err != nil {
		return 0, 0, err
	}
	return int64(int32(binary.BigEndian.Uint32(b[12:]))), int64(int32(binary.BigEndian.Uint32(b[16:]))), nil
}

// validUTF8 returns s with invalid UTF-8 replaced, so labels are always
// printable.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
