package tokenizer

import (
	"bytes"
	"os"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// FuzzReadMetadata rewrites the example vocabulary with one schema
// metadata value (feature parameters, sizes, provenance) replaced: Read
// either rejects the file with an error or returns a vocabulary whose
// tokens are in range. Raw-byte corruption is not fuzzed: arrow/go v17's
// IPC reader can allocate without bound on a corrupt schema (Read recovers
// its panics, not an out-of-memory), so that layer is the library's.
func FuzzReadMetadata(f *testing.F) {
	b, err := os.ReadFile("testdata/vocab-sim.arrow")
	if err != nil {
		f.Fatal(err)
	}
	fr, err := ipc.NewFileReader(bytes.NewReader(b))
	if err != nil {
		f.Fatal(err)
	}
	defer fr.Close()
	schema := fr.Schema()
	var recs []arrow.Record
	for i := range fr.NumRecords() {
		rec, err := fr.Record(i)
		if err != nil {
			f.Fatal(err)
		}
		rec.Retain()
		recs = append(recs, rec)
	}
	keys, vals := schema.Metadata().Keys(), schema.Metadata().Values()
	for i := range keys {
		f.Add(i, vals[i])
		f.Add(i, "0")
		f.Add(i, "-3")
	}
	f.Fuzz(func(t *testing.T, k int, val string) {
		if k < 0 {
			k = -k
		}
		v2 := append([]string(nil), vals...)
		v2[k%len(v2)] = val
		md := arrow.NewMetadata(keys, v2)
		s2 := arrow.NewSchema(schema.Fields(), &md)
		var file seekBuffer
		w, err := ipc.NewFileWriter(&file, ipc.WithSchema(s2), ipc.WithAllocator(memory.DefaultAllocator))
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			r2 := array.NewRecord(s2, rec.Columns(), rec.NumRows())
			if err := w.Write(r2); err != nil {
				t.Fatal(err)
			}
			r2.Release()
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		v, err := Read(bytes.NewReader(file.b))
		if err != nil {
			return
		}
		x := make([]float64, 1000)
		for i := range x {
			x[i] = float64(i%17) - 8
		}
		for _, tok := range v.NewTokenizer().Tokenize(nil, x) {
			if tok.ID < 0 || int(tok.ID) >= v.Size() {
				t.Fatalf("token %d outside the vocabulary of %d", tok.ID, v.Size())
			}
		}
	})
}

// seekBuffer is an in-memory io.WriteSeeker.
type seekBuffer struct {
	b   []byte
	pos int
}

func (s *seekBuffer) Write(p []byte) (int, error) {
	if n := s.pos + len(p); n > len(s.b) {
		s.b = append(s.b, make([]byte, n-len(s.b))...)
	}
	copy(s.b[s.pos:], p)
	s.pos += len(p)
	return len(p), nil
}

func (s *seekBuffer) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case 1:
		off += int64(s.pos)
	case 2:
		off += int64(len(s.b))
	}
	s.pos = int(off)
	return off, nil
}

// TestReadTruncated: every truncation of a vocabulary file is an error,
// not a panic.
func TestReadTruncated(t *testing.T) {
	b, err := os.ReadFile("testdata/vocab-sim.arrow")
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < len(b); n += 997 {
		if _, err := Read(bytes.NewReader(b[:n])); err == nil {
			t.Fatalf("%d of %d bytes read without an error", n, len(b))
		}
	}
}
