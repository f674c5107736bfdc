// Package records is the reading skeleton the record-based readers (edf,
// gdf, brainvision) share: a file of fixed-size data records after a
// header, each holding a fixed number of samples per channel on the
// output grid.
//
// A format parses its header, fills a File (Info, Layout, its error
// wording) and plugs in its record decoding; File does the rest of
// formats.Recording: the range check, the one-time preparation on the
// first read, finding the records that cover a request, reading them
// through one bounded buffer, and telling each record's decoder which of
// its samples go where. The helpers beside it (ZeroHold, StimMask,
// Calibration, StimChannels, ReadFull) are the per-channel pieces the
// formats decode alike, MNE's way.
package records

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/neurostream/neurostream/formats"
)

// Layout says where a file's data records are.
type Layout struct {
	// Offset is the byte offset of record 0 in the file.
	Offset int64
	// Bytes is the size of one record; it must be positive for any read.
	Bytes int64
	// Samples is the number of samples per channel one record holds on
	// the output grid.
	Samples int64
	// Records is the number of whole records in the file.
	Records int64
}

// Span is the part of one record a read wants: samples [Lo, Hi) of record
// Record on the output grid, which go to dst[c][At:At+Hi-Lo].
type Span struct {
	Record int64
	Lo, Hi int64
	At     int64
}

// ShortRead describes a read of records that came back short, for
// File.ShortRead to word as the format's error.
type ShortRead struct {
	// Layout is the layout read.
	Layout Layout
	// First and Count are the records asked for.
	First, Count int64
	// Got is the number of bytes read.
	Got int64
	// Err is the io.ReaderAt's error: io.ErrUnexpectedEOF when it gave
	// none or io.EOF.
	Err error
}

// Start is the file offset the read started at.
func (s ShortRead) Start() int64 { return s.Layout.Offset + s.First*s.Layout.Bytes }

// Offset is the file offset of the first byte not read.
func (s ShortRead) Offset() int64 { return s.Start() + s.Got }

// File is the part of a record-based reader that is the same for every
// format. A File is not safe for concurrent use.
type File struct {
	// Info describes the recording; the format fills it while parsing
	// the header.
	Info formats.Info
	// Name names the file in errors.
	Name string
	// Data holds the records.
	Data io.ReaderAt
	// Layout is where the records are.
	Layout Layout
	// MaxBuffer bounds the bytes one ReadAt fetches: a longer span is
	// read in pieces of whole records, through a buffer reused from call
	// to call. A single record larger than this is still read whole.
	MaxBuffer int64
	// ShortRead makes the error for a read that came back short.
	ShortRead func(ShortRead) error
	// RangeField, when set, wraps an out-of-range request's error in a
	// *formats.Error naming this field; when empty the error is
	// formats.CheckRange's own.
	RangeField string
	// Prepare, when set, runs before the first samples are read (not at
	// open: a header alone, say of a file with no records, must not make
	// the reader allocate for samples the file does not hold). Its error
	// is returned by that read and every later one.
	Prepare func() error

	closer   io.Closer
	prepared bool
	prepErr  error
	buf      []byte
}

// Open opens the file at path and hands it to newReader, which returns
// the reader and its File; that File then closes the file (see Close),
// and it is closed at once when newReader fails. openMsg and statMsg
// are the error messages for a file that cannot be opened or stat'ed.
func Open[R any](path, openMsg, statMsg string, newReader func(ra io.ReaderAt, size int64) (R, error), file func(R) *File) (R, error) {
	var zero R
	f, err := os.Open(path)
	if err != nil {
		return zero, &formats.Error{File: path, Offset: -1, Msg: openMsg, Err: err}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return zero, &formats.Error{File: path, Offset: -1, Msg: statMsg, Err: err}
	}
	r, err := newReader(f, st.Size())
	if err != nil {
		f.Close()
		return zero, err
	}
	file(r).closer = f
	return r, nil
}

// Close closes the file Open opened; for a File over a caller's
// io.ReaderAt it does nothing.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

// Begin checks a ReadSamples request as formats.Recording documents it
// and runs Prepare on the first request that reads samples. It returns
// false, with a nil error, when there is nothing to read.
func (f *File) Begin(dst [][]float64, start, stop int64) (bool, error) {
	if err := formats.CheckRange(&f.Info, dst, start, stop); err != nil {
		if f.RangeField != "" {
			err = &formats.Error{File: f.Name, Offset: -1, Field: f.RangeField, Err: err}
		}
		return false, err
	}
	if start == stop {
		return false, nil
	}
	if f.Prepare != nil && !f.prepared {
		f.prepared = true
		f.prepErr = f.Prepare()
	}
	return f.prepErr == nil, f.prepErr
}

// ReadSamples reads the records that cover samples [start, stop) of the
// Layout and calls decode for each with the part of it the request wants:
// decode writes those samples of every channel to dst, from the record's
// bytes rec. See Begin for the checks.
func (f *File) ReadSamples(dst [][]float64, start, stop int64, decode func(dst [][]float64, rec []byte, s Span)) error {
	ok, err := f.Begin(dst, start, stop)
	if !ok {
		return err
	}
	l := f.Layout
	first, last := start/l.Samples, (stop-1)/l.Samples // inclusive
	// Size the buffer for the worst alignment of a span of this length,
	// so that repeating a request size never grows it again.
	f.grow(l, (stop-start+l.Samples-2)/l.Samples+1)
	return f.ReadRecords(l, first, last-first+1, func(p []byte, rec, n int64) {
		for k := range n {
			s := Span{Record: rec + k}
			r0 := s.Record * l.Samples
			s.Lo, s.Hi = max(start-r0, 0), min(stop-r0, l.Samples)
			s.At = r0 + s.Lo - start
			decode(dst, p[k*l.Bytes:(k+1)*l.Bytes], s)
		}
	})
}

// ReadRecords reads count records of layout l from record first on, in
// as few ReadAt calls as MaxBuffer allows, and calls fn with each piece:
// n whole records from record rec on. A layout other than f.Layout
// serves a file whose records are not all in one place (BrainVision's
// vectorized channels).
func (f *File) ReadRecords(l Layout, first, count int64, fn func(p []byte, rec, n int64)) error {
	per := f.grow(l, count)
	for rec := first; rec < first+count; {
		n := min(per, first+count-rec)
		p := f.buf[:n*l.Bytes]
		got, err := f.Data.ReadAt(p, l.Offset+rec*l.Bytes)
		if got != len(p) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return f.ShortRead(ShortRead{Layout: l, First: rec, Count: n, Got: int64(got), Err: err})
		}
		fn(p, rec, n)
		rec += n
	}
	return nil
}

// grow makes the buffer hold count records of l, or as many as MaxBuffer
// allows (at least one, and no more than the layout has), and returns how
// many records it holds.
func (f *File) grow(l Layout, count int64) int64 {
	want := min(count, max(f.MaxBuffer/l.Bytes, 1))
	if l.Records > 0 {
		want = min(want, l.Records)
	}
	if int64(len(f.buf)) < want*l.Bytes {
		f.buf = make([]byte, want*l.Bytes)
	}
	return int64(len(f.buf)) / l.Bytes
}

// ReadFull fills b from offset off of ra, or returns a *formats.Error
// naming file, field and the offset of the first byte missing.
func ReadFull(ra io.ReaderAt, file string, b []byte, off int64, field string) error {
	n, err := ra.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &formats.Error{File: file, Offset: off + int64(n), Field: field, Msg: fmt.Sprintf("reading %d bytes", len(b)), Err: err}
}
