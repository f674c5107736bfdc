package text

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/neurostream/neurostream/formats"
)

// Roles of a column that is not a channel; a channel column's role is its
// channel index.
const (
	roleTime   = -1
	roleMarker = -2
	roleSkip   = -3 // a time or marker column already taken from another file
)

// maxLine bounds a line so that a file without newlines cannot make a
// reader buffer all of it.
const maxLine = 16 << 20

// maxColumns bounds the columns of a file. A column costs a couple of
// bytes of text but a channel's worth of memory (label, Channel, buffers),
// so a long line of numbers read as channels would cost a hundred times
// its size; no EEG or MEG recording comes near this many channels.
const maxColumns = 1 << 16

// table is one text file: its layout, its sparse row index and the state
// of the read that last used it.
type table struct {
	name   string
	r      io.ReaderAt
	size   int64
	closer io.Closer

	delim     byte     // column separator; 0 for runs of spaces and tabs
	header    []string // header fields as written, nil when headerless
	columns   []string // channel label per column ("" when headerless)
	headerOff int64    // byte offset of the header, or of the first row
	dataOff   int64    // byte offset of the first line after the header
	dataLine  int64    // line number (1-based) of the line at dataOff
	role      []int    // per column: channel index or a role constant
	scale     float64  // to SI

	nrows  int64
	stride int64        // rows between two index entries
	index  []checkpoint // index[k] is where row k*stride starts

	vals []float64 // one parsed row
	lr   lineReader
	pos  position // row and line the next line of lr belongs to
}

// checkpoint is where an indexed row starts: its byte offset and line.
type checkpoint struct{ off, line int64 }

// position is the row the next content line of lr holds and the line
// number of the last line lr returned; row -1 means unknown.
type position struct{ row, line int64 }

// openTable reads the first non-comment line of s to learn the delimiter,
// the number of columns and whether it is a header.
func openTable(s source, opt Options, scale float64) (*table, error) {
	t := &table{name: s.name, r: s.r, size: s.size, closer: s.c, scale: scale, stride: indexStride}
	t.lr.init(s.r, s.size, 64<<10)
	t.pos.row = -1
	var start int64
	var bom [3]byte
	if n, _ := s.r.ReadAt(bom[:], 0); n == 3 && bom == [3]byte{0xEF, 0xBB, 0xBF} {
		start = 3 // a UTF-8 byte-order mark, as spreadsheet exports write
	}
	t.lr.reset(start)
	var line int64
	var b []byte
	var off int64
	for {
		raw, o, err := t.lr.next()
		if err == io.EOF {
			return nil, &formats.Error{File: t.name, Offset: s.size, Field: "data",
				Msg: "no rows of numbers: the file is empty or holds only blank and comment lines"}
		}
		if err != nil {
			return nil, t.ioError(o, line+1, err)
		}
		line++
		if b = content(raw); b != nil {
			off = o
			break
		}
	}
	t.headerOff = off

	switch d := opt.Delimiter; {
	case d == ' ':
		t.delim = 0
	case d != 0:
		t.delim = byte(d)
	case bytes.IndexByte(b, ',') >= 0:
		t.delim = ','
	case bytes.IndexByte(b, '\t') >= 0:
		t.delim = '\t'
	case bytes.IndexByte(b, ';') >= 0:
		t.delim = ';'
	}

	// Count the fields and see whether they are numbers first, so that
	// what is kept per column is allocated once.
	n, numeric := 0, true
	for i := 0; ; n++ {
		s, e, next, ok := t.field(b, i)
		if !ok {
			break
		}
		if numeric {
			if _, msg := parseNumber(b[s:e]); msg != "" {
				numeric = false
			}
		}
		i = next
	}
	if n > maxColumns {
		return nil, &formats.Error{File: t.name, Offset: off, Field: fmt.Sprintf("line %d", line),
			Msg: fmt.Sprintf("%d columns; at most %d channels are supported", n, maxColumns)}
	}
	t.columns = make([]string, n)
	if numeric {
		t.dataOff, t.dataLine = off, line
	} else {
		t.header = make([]string, n)
		for i, k := 0, 0; k < n; k++ {
			s, e, next, _ := t.field(b, i)
			f := b[s:e]
			t.header[k] = string(f)
			if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
				f = f[1 : len(f)-1]
			}
			t.columns[k] = string(f)
			if len(f) == 0 {
				// A spreadsheet's unnamed index column.
				t.columns[k] = fmt.Sprintf("column %d", k+1)
			}
			i = next
		}
		t.dataOff, t.dataLine = t.lr.tell(), line+1
	}
	t.vals = make([]float64, n)
	t.role = make([]int, n)
	return t, nil
}

// col returns the column with the given role, or -1.
func (t *table) col(role int) int {
	for c, r := range t.role {
		if r == role {
			return c
		}
	}
	return -1
}

func (t *table) format() string {
	switch t.delim {
	case 0:
		return "text"
	case ',':
		return "CSV"
	case '\t':
		return "TSV"
	}
	return fmt.Sprintf("text (%q-separated)", t.delim)
}

func (t *table) missingColumn(name string) error {
	msg := fmt.Sprintf("no column %q", name)
	if t.header != nil {
		msg += fmt.Sprintf(" in header %q", t.header)
	} else {
		msg += "; the file has no header row"
	}
	return &formats.Error{File: t.name, Offset: t.headerOff, Field: "header", Msg: msg}
}

// scan reads every row once: it validates and counts them, records the
// index and hands each parsed row to visit (when not nil).
func (t *table) scan(visit func(row int64, vals []float64)) error {
	t.lr.reset(t.dataOff)
	t.pos = position{row: 0, line: t.dataLine - 1}
	t.index = t.index[:0]
	for {
		b, off, err := t.nextContent()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if t.pos.row%t.stride == 0 {
			t.index = append(t.index, checkpoint{off, t.pos.line})
		}
		if err := t.parse(b, off, t.pos.line); err != nil {
			return err
		}
		if visit != nil {
			visit(t.pos.row, t.vals)
		}
		t.pos.row++
	}
	t.nrows = t.pos.row
	if t.nrows == 0 {
		return &formats.Error{File: t.name, Offset: t.size, Field: "data",
			Msg: fmt.Sprintf("no rows of numbers after the header %q", t.header)}
	}
	return nil
}

// read parses rows [start, stop) into dst (channels, scaled) and times
// (the time column, unscaled); either may be nil.
func (t *table) read(dst [][]float64, times []float64, start, stop int64) error {
	if start == stop {
		return nil
	}
	if err := t.seek(start); err != nil {
		return err
	}
	for i := range stop - start {
		b, off, err := t.nextContent()
		if err != nil {
			return t.readError(err)
		}
		if err := t.parse(b, off, t.pos.line); err != nil {
			t.pos.row = -1
			return err
		}
		for col, role := range t.role {
			switch {
			case role >= 0 && dst != nil:
				dst[role][i] = t.vals[col] * t.scale
			case role == roleTime && times != nil:
				times[i] = t.vals[col]
			}
		}
		t.pos.row++
	}
	return nil
}

// seek positions lr so that its next content line is row start: from the
// last read when that stopped between the index entry and start, else
// from the index entry at or before start.
func (t *table) seek(start int64) error {
	k := start / t.stride
	if t.pos.row < k*t.stride || t.pos.row > start {
		cp := t.index[k]
		t.lr.reset(cp.off)
		t.pos = position{row: k * t.stride, line: cp.line - 1}
	}
	for t.pos.row < start {
		if _, _, err := t.nextContent(); err != nil {
			return t.readError(err)
		}
		t.pos.row++
	}
	return nil
}

// lineOf returns the line number row is on.
func (t *table) lineOf(row int64) (int64, error) {
	if err := t.seek(row); err != nil {
		return 0, err
	}
	if _, _, err := t.nextContent(); err != nil {
		return 0, t.readError(err)
	}
	t.pos.row++
	return t.pos.line, nil
}

// readError reports a failure to find a row Open counted.
func (t *table) readError(err error) error {
	row := t.pos.row
	t.pos.row = -1
	if err == io.EOF {
		return &formats.Error{File: t.name, Offset: t.lr.tell(), Field: fmt.Sprintf("row %d", row),
			Msg: fmt.Sprintf("file ends before row %d of %d: it changed after Open", row, t.nrows)}
	}
	return err
}

// nextContent returns the next line holding data, without its comment
// and line end, and its byte offset. It advances t.pos.line past blank
// and comment lines.
func (t *table) nextContent() ([]byte, int64, error) {
	for {
		raw, off, err := t.lr.next()
		if err != nil {
			if err != io.EOF {
				err = t.ioError(off, t.pos.line+1, err)
			}
			return nil, off, err
		}
		t.pos.line++
		if b := content(raw); b != nil {
			return b, off, nil
		}
	}
}

func (t *table) ioError(off, line int64, err error) error {
	if errors.Is(err, errLineTooLong) {
		return &formats.Error{File: t.name, Offset: off, Field: fmt.Sprintf("line %d", line),
			Msg: fmt.Sprintf("longer than %d bytes; expected one row of numbers per line", maxLine)}
	}
	return &formats.Error{File: t.name, Offset: off, Field: fmt.Sprintf("line %d", line), Err: err}
}

// parse parses the content line b, at byte offset off and line number
// line, into t.vals.
func (t *table) parse(b []byte, off, line int64) error {
	n := 0
	for i := 0; ; {
		s, e, next, ok := t.field(b, i)
		if !ok {
			break
		}
		if n < len(t.vals) {
			v, msg := parseNumber(b[s:e])
			if msg != "" {
				return t.fieldError(off+int64(s), line, n, b[s:e], msg)
			}
			t.vals[n] = v
		}
		n++
		i = next
	}
	if n != len(t.vals) {
		where := fmt.Sprintf("as on line %d", t.dataLine)
		if t.header != nil {
			where = fmt.Sprintf("as in the header on line %d", t.dataLine-1)
		}
		return &formats.Error{File: t.name, Offset: off, Field: fmt.Sprintf("line %d", line),
			Msg: fmt.Sprintf("%d columns, expected %d (%s)", n, len(t.vals), where)}
	}
	return nil
}

func (t *table) fieldError(off, line int64, col int, text []byte, msg string) error {
	field := fmt.Sprintf("line %d, column %d", line, col+1)
	if t.header != nil {
		field += fmt.Sprintf(" (%q)", t.columns[col])
	}
	const show = 40
	s := string(text)
	if len(s) > show {
		s = s[:show] + "…"
	}
	return &formats.Error{File: t.name, Offset: off, Field: field, Msg: fmt.Sprintf("%q %s", s, msg)}
}

// field finds the field of b that starts at or after i: its bounds
// [s, e) without surrounding blanks and where the next field search
// starts. ok is false when no field is left.
func (t *table) field(b []byte, i int) (s, e, next int, ok bool) {
	if t.delim == 0 {
		for i < len(b) && isBlank(b[i]) {
			i++
		}
		if i >= len(b) {
			return 0, 0, 0, false
		}
		s = i
		for i < len(b) && !isBlank(b[i]) {
			i++
		}
		return s, i, i, true
	}
	if i > len(b) {
		return 0, 0, 0, false
	}
	e = len(b)
	if j := bytes.IndexByte(b[i:], t.delim); j >= 0 {
		e = i + j
	}
	next = e + 1
	s = i
	for s < e && isBlank(b[s]) {
		s++
	}
	for e > s && isBlank(b[e-1]) {
		e--
	}
	return s, e, next, true
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }

// content returns line without a '#' comment and trailing blanks, or nil
// when nothing is left. Leading blanks stay so that field offsets are
// offsets into the line.
func content(line []byte) []byte {
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	for len(line) > 0 && isBlank(line[len(line)-1]) {
		line = line[:len(line)-1]
	}
	for _, c := range line {
		if !isBlank(c) {
			return line
		}
	}
	return nil
}

var errLineTooLong = errors.New("line too long")

// lineReader returns the lines of an io.ReaderAt from any offset through
// one reusable buffer.
type lineReader struct {
	r        io.ReaderAt
	size     int64
	buf      []byte
	base     int64 // file offset of buf[0]
	pos, end int   // unread bytes are buf[pos:end]
	eof      bool
}

func (lr *lineReader) init(r io.ReaderAt, size int64, n int) {
	lr.r, lr.size, lr.buf = r, size, make([]byte, n)
}

// reset makes the next line start at off.
func (lr *lineReader) reset(off int64) {
	lr.base, lr.pos, lr.end, lr.eof = off, 0, 0, false
}

// tell is the offset of the next unread byte.
func (lr *lineReader) tell() int64 { return lr.base + int64(lr.pos) }

// next returns the next line without its '\n' (a last line may lack it)
// and its offset. The line is valid until the next call.
func (lr *lineReader) next() ([]byte, int64, error) {
	for {
		if i := bytes.IndexByte(lr.buf[lr.pos:lr.end], '\n'); i >= 0 {
			line, off := lr.buf[lr.pos:lr.pos+i], lr.tell()
			lr.pos += i + 1
			return line, off, nil
		}
		if lr.eof {
			if lr.pos < lr.end {
				line, off := lr.buf[lr.pos:lr.end], lr.tell()
				lr.pos = lr.end
				return line, off, nil
			}
			return nil, lr.tell(), io.EOF
		}
		if lr.pos > 0 {
			copy(lr.buf, lr.buf[lr.pos:lr.end])
			lr.base += int64(lr.pos)
			lr.end -= lr.pos
			lr.pos = 0
		}
		if lr.end == len(lr.buf) {
			if len(lr.buf) >= maxLine {
				return nil, lr.tell(), errLineTooLong
			}
			nb := make([]byte, min(2*len(lr.buf), maxLine))
			copy(nb, lr.buf[:lr.end])
			lr.buf = nb
		}
		want := lr.buf[lr.end:]
		if rest := lr.size - lr.base - int64(lr.end); rest < int64(len(want)) {
			want = want[:max(rest, 0)]
		}
		n, err := lr.r.ReadAt(want, lr.base+int64(lr.end))
		lr.end += n
		switch {
		case err == io.EOF || n == len(want) && lr.base+int64(lr.end) >= lr.size:
			lr.eof = true
		case err != nil:
			return nil, lr.tell(), err
		case n == 0:
			return nil, lr.tell(), io.ErrNoProgress
		}
	}
}
