package arrowout

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// FileFormat selects the on-disk format of a FileSink.
type FileFormat string

// File formats.
const (
	// FormatArrow writes the Arrow IPC file format (Feather v2), readable
	// with pyarrow.ipc.open_file or pyarrow.feather.read_table.
	FormatArrow FileFormat = "arrow"
	// FormatParquet writes Parquet (zstd), readable with pyarrow.parquet.
	FormatParquet FileFormat = "parquet"
)

// FileSink writes results to one file per kind, DIR/KIND.arrow or
// DIR/KIND.parquet. It is safe for concurrent use. Results handed to one
// Write call are concatenated per kind into one record batch (Arrow) or
// buffered into row groups (Parquet); files are complete only after Close.
type FileSink struct {
	dir    string
	format FileFormat
	mem    memory.Allocator

	mu      sync.Mutex
	writers map[Kind]*fileWriter
	closed  bool
}

type fileWriter struct {
	f    *os.File
	ipc  *ipc.FileWriter
	pq   *pqarrow.FileWriter
	rows int64
}

// NewFileSink creates dir if needed. Existing result files there are
// replaced when the first result of their kind arrives.
func NewFileSink(dir string, format FileFormat) (*FileSink, error) {
	switch format {
	case "":
		format = FormatArrow
	case FormatArrow, FormatParquet:
	default:
		return nil, fmt.Errorf("arrowout: unknown file format %q (want arrow or parquet)", format)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("arrowout: %w", err)
	}
	return &FileSink{dir: dir, format: format, mem: memory.DefaultAllocator, writers: map[Kind]*fileWriter{}}, nil
}

// Path returns the file a kind is written to.
func (s *FileSink) Path(k Kind) string {
	return filepath.Join(s.dir, string(k)+"."+string(s.format))
}

// Write appends results. It does not take ownership of the records.
func (s *FileSink) Write(_ context.Context, results []Result) error {
	byKind := map[Kind][]arrow.Record{}
	var order []Kind
	for _, r := range results {
		if r.Record == nil || r.Record.NumRows() == 0 {
			continue
		}
		if _, ok := byKind[r.Kind]; !ok {
			order = append(order, r.Kind)
		}
		byKind[r.Kind] = append(byKind[r.Kind], r.Record)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("arrowout: write to closed file sink")
	}
	for _, k := range order {
		recs := byKind[k]
		rec, err := concat(s.mem, recs)
		if err != nil {
			return fmt.Errorf("arrowout: %s: %w", k, err)
		}
		err = s.write(k, rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *FileSink) write(k Kind, rec arrow.Record) error {
	w, ok := s.writers[k]
	if !ok {
		path := s.Path(k)
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("arrowout: %w", err)
		}
		w = &fileWriter{f: f}
		switch s.format {
		case FormatArrow:
			w.ipc, err = ipc.NewFileWriter(f, ipc.WithSchema(rec.Schema()), ipc.WithAllocator(s.mem))
		case FormatParquet:
			props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd))
			w.pq, err = pqarrow.NewFileWriter(rec.Schema(), f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
		}
		if err != nil {
			f.Close()
			return fmt.Errorf("arrowout: %s: %w", path, err)
		}
		s.writers[k] = w
	}
	var err error
	if w.ipc != nil {
		err = w.ipc.Write(rec)
	} else {
		err = w.pq.WriteBuffered(rec)
	}
	if err != nil {
		return fmt.Errorf("arrowout: %s: %w", s.Path(k), err)
	}
	w.rows += rec.NumRows()
	return nil
}

// Rows returns how many rows of kind k were written.
func (s *FileSink) Rows(k Kind) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.writers[k]; ok {
		return w.rows
	}
	return 0
}

// Close finishes every file.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	for k, w := range s.writers {
		var err error
		if w.ipc != nil {
			err = w.ipc.Close()
			if cerr := w.f.Close(); err == nil {
				err = cerr
			}
		} else {
			err = w.pq.Close() // closes the file too
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("arrowout: %s: %w", s.Path(k), err))
		}
	}
	return errors.Join(errs...)
}

// concat joins records of one schema into one record.
func concat(mem memory.Allocator, recs []arrow.Record) (arrow.Record, error) {
	if len(recs) == 1 {
		recs[0].Retain()
		return recs[0], nil
	}
	schema := recs[0].Schema()
	cols := make([]arrow.Array, schema.NumFields())
	parts := make([]arrow.Array, len(recs))
	var n int64
	for _, r := range recs {
		if !r.Schema().Equal(schema) {
			return nil, fmt.Errorf("records of one kind with different schemas: %v and %v", schema, r.Schema())
		}
		n += r.NumRows()
	}
	for i := range cols {
		for j, r := range recs {
			parts[j] = r.Column(i)
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			for _, c := range cols[:i] {
				c.Release()
			}
			return nil, err
		}
		cols[i] = c
	}
	rec := array.NewRecord(schema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}
