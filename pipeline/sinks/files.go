package sinks

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// FileFormat selects the on-disk format of a FileSink's finished parts.
type FileFormat string

// File formats.
const (
	// FormatParquet writes Parquet (Snappy) parts, KIND-NNNNNN.parquet:
	// DuckDB reads them as they are ('out/psd-*.parquet'), as do
	// pyarrow.parquet and polars.
	FormatParquet FileFormat = "parquet"
	// FormatArrow writes Arrow IPC stream parts, KIND-NNNNNN.arrows
	// (.arrows is the registered extension of the stream format), read
	// with pyarrow.ipc.open_stream or polars.read_ipc_stream.
	FormatArrow FileFormat = "arrow"
)

// Extensions of part files: a finished part is KIND-NNNNNN.EXT; an
// unfinished one is KIND-NNNNNN.arrows.partial, and a Parquet part being
// converted is KIND-NNNNNN.parquet.partial.
const (
	extArrow   = ".arrows"
	extParquet = ".parquet"
	extPartial = ".partial"
)

// FileSinkConfig configures a FileSink.
type FileSinkConfig struct {
	// Dir receives the part files; it is created if needed.
	Dir string
	// Format of finished parts. Default: parquet.
	Format FileFormat
	// PartRows finishes a kind's part when it holds this many rows.
	// Default: 100000.
	PartRows int64
	// PartInterval finishes a kind's part this long after its first row,
	// so that a slow stream still shows up in finished files; negative
	// for never. Default: 1m.
	PartInterval time.Duration
	// RowGroupRows bounds a Parquet row group, and so the rows a part's
	// conversion to Parquet holds in memory. Default: 10000.
	RowGroupRows int64
	// Resume keeps the parts an earlier run left in Dir: its unfinished
	// parts are finished (Recover) and new parts are numbered after the
	// existing ones, as a Kafka consumer restarted after a crash needs.
	// Otherwise the run replaces the earlier one: unfinished parts are
	// deleted when the sink opens, and a kind's finished parts when the
	// kind's first result arrives. Default: false.
	Resume bool
	// Metadata is added to every part's schema metadata, after the kind's
	// own (neurostream.kind and neurostream.schema_version, which it
	// cannot replace): the provenance of the files (the tool version, the
	// configuration), which Parquet also keeps as file key-value
	// metadata. Default: none.
	Metadata map[string]string
	// Logger reports leftovers finished or deleted. Default: slog.Default().
	Logger *slog.Logger
	// Allocator for records read back and Parquet buffers.
	// Default: memory.DefaultAllocator.
	Allocator memory.Allocator
}

// Defaults of FileSinkConfig.
const (
	DefaultPartRows     = 100_000
	DefaultPartInterval = time.Minute
	DefaultRowGroupRows = 10_000
)

// FileSink writes results to files, one series of parts per kind:
// DIR/KIND-000001.parquet, DIR/KIND-000002.parquet, … (or .arrows). It is
// safe for concurrent use.
//
// Rows go first to the kind's unfinished part, an Arrow IPC stream named
// KIND-NNNNNN.arrows.partial: when Write returns they are in the file (the
// operating system's cache, not yet on disk), so a killed process loses
// nothing that Write accepted and a restart with Resume finishes the part.
// A part is finished when it holds PartRows rows, PartInterval after its
// first row, and at Close: its stream is ended, synced and renamed to
// KIND-NNNNNN.arrows, or converted to KIND-NNNNNN.parquet (written as
// .parquet.partial, synced, renamed), so a file with a final name is
// always complete. Parquet is not written directly because a Parquet file
// is unreadable until its footer is written, and its row groups are held
// in memory until they are flushed.
type FileSink struct {
	cfg FileSinkConfig
	mem memory.Allocator
	log *slog.Logger

	mu     sync.Mutex
	kinds  map[arrowout.Kind]*kindParts
	closed bool
	// failed is the first error of a part finished by its timer; every
	// later Write and Close returns it.
	failed error
}

// kindParts is the state of one kind's series of parts.
type kindParts struct {
	kind arrowout.Kind
	next int // number of the next part
	cur  *part
	rows int64 // rows written by this run
	// first and last are the first and the last part this run finished
	// (not a list: a Kafka consumer finishes parts for ever).
	first, last string
	finished    int
}

// part is an unfinished part: an Arrow IPC stream being appended to.
type part struct {
	n     int
	f     *os.File
	buf   *bufio.Writer
	w     *ipc.Writer
	rows  int64
	timer *time.Timer
}

// partName matches part files: kind, number, extension, ".partial".
var partName = regexp.MustCompile(`^(.+)-([0-9]{6,})(\.arrows|\.parquet)(\.partial)?$`)

// NewFileSink creates cfg.Dir if needed and deals with what an earlier run
// left there (see FileSinkConfig.Resume).
func NewFileSink(cfg FileSinkConfig) (*FileSink, error) {
	s, err := newFileSink(cfg)
	if err != nil {
		return nil, err
	}
	if s.cfg.Resume {
		_, err = s.recover()
	} else {
		err = s.dropPartials()
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// newFileSink checks cfg, fills in defaults and creates the folder.
func newFileSink(cfg FileSinkConfig) (*FileSink, error) {
	switch cfg.Format {
	case "":
		cfg.Format = FormatParquet
	case FormatArrow, FormatParquet:
	default:
		return nil, fmt.Errorf("sinks: unknown file format %q (want parquet or arrow)", cfg.Format)
	}
	if cfg.PartRows == 0 {
		cfg.PartRows = DefaultPartRows
	}
	if cfg.PartInterval == 0 {
		cfg.PartInterval = DefaultPartInterval
	}
	if cfg.RowGroupRows == 0 {
		cfg.RowGroupRows = DefaultRowGroupRows
	}
	if cfg.PartRows < 0 || cfg.RowGroupRows < 0 {
		return nil, fmt.Errorf("sinks: file sink: negative PartRows %d or RowGroupRows %d", cfg.PartRows, cfg.RowGroupRows)
	}
	s := &FileSink{cfg: cfg, mem: cfg.Allocator, log: cfg.Logger, kinds: map[arrowout.Kind]*kindParts{}}
	if s.mem == nil {
		s.mem = memory.DefaultAllocator
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("sinks: %w", err)
	}
	return s, nil
}

// Pattern returns the glob naming every finished part of kind k, as DuckDB
// and Python's glob take it: DIR/KIND-*.parquet or DIR/KIND-*.arrows.
func (s *FileSink) Pattern(k arrowout.Kind) string {
	return filepath.Join(s.cfg.Dir, string(k)+"-*"+s.ext())
}

func (s *FileSink) ext() string {
	if s.cfg.Format == FormatArrow {
		return extArrow
	}
	return extParquet
}

func (s *FileSink) partPath(k arrowout.Kind, n int, ext string) string {
	return filepath.Join(s.cfg.Dir, fmt.Sprintf("%s-%06d%s", k, n, ext))
}

// Write appends results. It does not take ownership of the records.
// Results of one kind handed to one call become one record batch.
func (s *FileSink) Write(_ context.Context, results []arrowout.Result) error {
	byKind := map[arrowout.Kind][]arrow.Record{}
	var order []arrowout.Kind
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
		return errors.New("sinks: write to closed file sink")
	}
	if s.failed != nil {
		return s.failed
	}
	for _, k := range order {
		rec, err := concat(s.mem, byKind[k])
		if err != nil {
			return fmt.Errorf("sinks: %s: %w", k, err)
		}
		err = s.write(k, rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// write appends rec to kind k's parts, finishing each that fills up.
func (s *FileSink) write(k arrowout.Kind, rec arrow.Record) error {
	kp, err := s.kindState(k)
	if err != nil {
		return err
	}
	for off := int64(0); off < rec.NumRows(); {
		if kp.cur == nil {
			if err := s.open(kp, rec.Schema()); err != nil {
				return err
			}
		}
		p := kp.cur
		n := min(rec.NumRows()-off, s.cfg.PartRows-p.rows)
		slice := rec
		if off > 0 || n < rec.NumRows() {
			slice = rec.NewSlice(off, off+n)
		}
		err := p.w.Write(slice)
		if err == nil {
			// Into the file before Write returns: see FileSink.
			err = p.buf.Flush()
		}
		if slice != rec {
			slice.Release()
		}
		if err != nil {
			return fmt.Errorf("sinks: %s: %w", p.f.Name(), err)
		}
		p.rows += n
		kp.rows += n
		off += n
		if p.rows >= s.cfg.PartRows {
			if err := s.finish(kp); err != nil {
				return err
			}
		}
	}
	return nil
}

// kindState returns kind k's state, on its first result numbering its
// parts after those in the folder (Resume) or deleting them.
func (s *FileSink) kindState(k arrowout.Kind) (*kindParts, error) {
	if kp, ok := s.kinds[k]; ok {
		return kp, nil
	}
	parts, err := scanParts(s.cfg.Dir)
	if err != nil {
		return nil, err
	}
	kp := &kindParts{kind: k, next: 1}
	for _, p := range parts {
		if p.kind != k {
			continue
		}
		if s.cfg.Resume {
			kp.next = max(kp.next, p.n+1)
			continue
		}
		if err := os.Remove(p.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("sinks: replacing %s: %w", p.path, err)
		}
	}
	s.kinds[k] = kp
	return kp, nil
}

// open starts kind kp's next part.
func (s *FileSink) open(kp *kindParts, schema *arrow.Schema) error {
	path := s.partPath(kp.kind, kp.next, extArrow+extPartial)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("sinks: %w", err)
	}
	p := &part{n: kp.next, f: f, buf: bufio.NewWriterSize(f, 64<<10)}
	// The records keep the kind's schema: arrow.Schema.Equal, which the
	// writer and concat compare with, ignores metadata.
	p.w = ipc.NewWriter(p.buf, ipc.WithSchema(withMetadata(schema, s.cfg.Metadata)), ipc.WithAllocator(s.mem))
	kp.next++
	kp.cur = p
	if s.cfg.PartInterval > 0 {
		p.timer = time.AfterFunc(s.cfg.PartInterval, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.closed || kp.cur != p {
				return
			}
			if err := s.finish(kp); err != nil && s.failed == nil {
				s.failed = err
				s.log.Error("finishing a result file", "err", err)
			}
		})
	}
	return nil
}

// finish ends kind kp's unfinished part and makes it a finished file.
func (s *FileSink) finish(kp *kindParts) error {
	p := kp.cur
	kp.cur = nil
	if p.timer != nil {
		p.timer.Stop()
	}
	journal := p.f.Name()
	err := p.w.Close() // writes the end-of-stream marker
	if err == nil {
		err = p.buf.Flush()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sinks: %s: %w", journal, err)
	}
	final, err := s.finishJournal(kp.kind, p.n, journal)
	if err != nil {
		return err
	}
	if kp.first == "" {
		kp.first = final
	}
	kp.last = final
	kp.finished++
	return nil
}

// finishJournal turns part n's ended stream into the finished file and
// returns its name. The journal is removed only once the finished file has
// its final name, so that a crash in between leaves the rows somewhere.
func (s *FileSink) finishJournal(k arrowout.Kind, n int, journal string) (string, error) {
	if s.cfg.Format == FormatArrow {
		final := s.partPath(k, n, extArrow)
		if err := syncFile(journal); err != nil {
			return "", err
		}
		if err := os.Rename(journal, final); err != nil {
			return "", fmt.Errorf("sinks: %w", err)
		}
		return final, syncDir(s.cfg.Dir)
	}
	final := s.partPath(k, n, extParquet)
	tmp := final + extPartial
	if err := s.toParquet(tmp, journal); err != nil {
		os.Remove(tmp)
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", fmt.Errorf("sinks: %w", err)
	}
	if err := syncDir(s.cfg.Dir); err != nil {
		return "", err
	}
	if err := os.Remove(journal); err != nil {
		return "", fmt.Errorf("sinks: %w", err)
	}
	return final, nil
}

// toParquet writes the record batches of the Arrow IPC stream src to the
// Parquet file dst and syncs it. Rows are gathered into row groups of at
// most RowGroupRows, each written out when full, so memory is bounded by
// one row group (and one of src's batches), not by the part.
func (s *FileSink) toParquet(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("sinks: %w", err)
	}
	defer in.Close()
	rd, err := ipc.NewReader(bufio.NewReader(in), ipc.WithAllocator(s.mem))
	if err != nil {
		return fmt.Errorf("sinks: %s: %w", src, err)
	}
	defer rd.Release()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("sinks: %w", err)
	}
	defer out.Close()
	// A bufio.Writer, not the file: pqarrow closes a writer that is an
	// io.Closer, and the file must be synced first.
	buf := bufio.NewWriterSize(out, 1<<20)
	// Snappy, not zstd: arrow-go v17 makes a new zstd encoder (MiBs)
	// for every column chunk, which made finishing a part 10 times
	// slower and allocated 7 KiB per row (BenchmarkFileSink).
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithMaxRowGroupLength(s.cfg.RowGroupRows),
		parquet.WithAllocator(s.mem),
	)
	pw, err := pqarrow.NewFileWriter(rd.Schema(), buf, props,
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(s.mem)))
	if err != nil {
		return fmt.Errorf("sinks: %s: %w", dst, err)
	}
	// The stream's batches are one Write each, often a window's few rows:
	// joined into one record per row group, they are encoded column by
	// column in one go, in about half the time of appending each batch
	// to a buffered row group (BenchmarkFileSink).
	var group []arrow.Record
	var groupRows int64
	flush := func() error {
		if len(group) == 0 {
			return nil
		}
		rec, err := concat(s.mem, group)
		for _, r := range group {
			r.Release()
		}
		group, groupRows = group[:0], 0
		if err != nil {
			return err
		}
		defer rec.Release()
		return pw.Write(rec)
	}
	defer func() {
		for _, r := range group {
			r.Release()
		}
	}()
	for rd.Next() {
		rec := rd.Record()
		for off := int64(0); off < rec.NumRows(); {
			n := min(rec.NumRows()-off, s.cfg.RowGroupRows-groupRows)
			group = append(group, rec.NewSlice(off, off+n))
			groupRows += n
			off += n
			if groupRows == s.cfg.RowGroupRows {
				if err := flush(); err != nil {
					pw.Close()
					return fmt.Errorf("sinks: %s: %w", dst, err)
				}
			}
		}
	}
	if err := rd.Err(); err != nil {
		pw.Close()
		return fmt.Errorf("sinks: %s: %w", src, err)
	}
	if err := flush(); err != nil {
		pw.Close()
		return fmt.Errorf("sinks: %s: %w", dst, err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("sinks: %s: %w", dst, err)
	}
	if err := buf.Flush(); err != nil {
		return fmt.Errorf("sinks: %s: %w", dst, err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("sinks: %s: %w", dst, err)
	}
	return out.Close()
}

// Rows returns how many rows of kind k this sink wrote.
func (s *FileSink) Rows(k arrowout.Kind) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kp, ok := s.kinds[k]; ok {
		return kp.rows
	}
	return 0
}

// Finished returns the first and the last part of kind k this sink
// finished, and how many it finished.
func (s *FileSink) Finished(k arrowout.Kind) (first, last string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if kp, ok := s.kinds[k]; ok {
		return kp.first, kp.last, kp.finished
	}
	return "", "", 0
}

// Report writes a line per kind this sink wrote rows of: its finished
// parts (the first … the last) and its rows, or that no part was
// finished (the run failed before).
func (s *FileSink) Report(w io.Writer) {
	for _, k := range arrowout.Kinds() {
		n := s.Rows(k)
		if n == 0 {
			continue
		}
		switch first, last, parts := s.Finished(k); parts {
		case 0:
			fmt.Fprintf(w, "wrote %d %s rows, in no finished file\n", n, k)
		case 1:
			fmt.Fprintf(w, "wrote %s (%d rows)\n", first, n)
		default:
			fmt.Fprintf(w, "wrote %s … %s (%d rows)\n", first, filepath.Base(last), n)
		}
	}
}

// Close finishes every unfinished part.
func (s *FileSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	errs := []error{s.failed}
	for _, kp := range s.kinds {
		if kp.cur != nil {
			errs = append(errs, s.finish(kp))
		}
	}
	return errors.Join(errs...)
}

// partFile is a part file found in the folder.
type partFile struct {
	path    string
	kind    arrowout.Kind
	n       int
	ext     string // .arrows or .parquet
	partial bool
}

// scanParts lists the part files in dir, in name order.
func scanParts(dir string) ([]partFile, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("sinks: %w", err)
	}
	var parts []partFile
	for _, e := range ents {
		m := partName.FindStringSubmatch(e.Name())
		if m == nil || !e.Type().IsRegular() {
			continue
		}
		n, err := strconv.Atoi(m[2])
		if err != nil {
			continue
		}
		parts = append(parts, partFile{
			path: filepath.Join(dir, e.Name()), kind: arrowout.Kind(m[1]), n: n,
			ext: m[3], partial: m[4] != "",
		})
	}
	return parts, nil
}

// dropPartials deletes the unfinished parts of an earlier run that this
// one replaces.
func (s *FileSink) dropPartials() error {
	parts, err := scanParts(s.cfg.Dir)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if !p.partial {
			continue
		}
		if err := os.Remove(p.path); err != nil {
			return fmt.Errorf("sinks: %w", err)
		}
		s.log.Warn("deleted an unfinished result file of an earlier run", "file", p.path)
	}
	return nil
}

// Recovered is what Recover did with one leftover file.
type Recovered struct {
	File string
	// Finished is the finished part made of it, empty when it was deleted.
	Finished string
	// Rows kept; a part cut short by a crash loses only its torn last
	// batch.
	Rows int64
}

// recover finishes the unfinished parts an earlier run left: an Arrow IPC
// stream (.arrows.partial) is cut after its last complete record batch,
// ended, and finished like a full part; a Parquet file being converted
// (.parquet.partial) has no footer and cannot be read, so it is deleted —
// its rows are still in its stream, which is converted again.
func (s *FileSink) recover() ([]Recovered, error) {
	parts, err := scanParts(s.cfg.Dir)
	if err != nil {
		return nil, err
	}
	final := map[string]bool{} // "kind/n" of finished parts
	for _, p := range parts {
		if !p.partial {
			final[fmt.Sprintf("%s/%d", p.kind, p.n)] = true
		}
	}
	var out []Recovered
	for _, p := range parts {
		if !p.partial || p.ext != extParquet {
			continue
		}
		if err := os.Remove(p.path); err != nil {
			return out, fmt.Errorf("sinks: %w", err)
		}
		s.log.Warn("deleted an unfinished Parquet result file (no footer); its rows are finished again from its Arrow stream",
			"file", p.path)
		out = append(out, Recovered{File: p.path})
	}
	for _, p := range parts {
		if !p.partial || p.ext != extArrow {
			continue
		}
		if final[fmt.Sprintf("%s/%d", p.kind, p.n)] {
			// Finished before the crash, which came before the
			// stream was removed.
			if err := os.Remove(p.path); err != nil {
				return out, fmt.Errorf("sinks: %w", err)
			}
			s.log.Warn("deleted the stream of a result file finished before a crash", "file", p.path)
			out = append(out, Recovered{File: p.path})
			continue
		}
		rows, err := sealStream(p.path)
		if err != nil {
			return out, err
		}
		if rows == 0 {
			if err := os.Remove(p.path); err != nil {
				return out, fmt.Errorf("sinks: %w", err)
			}
			s.log.Warn("deleted an unfinished result file without rows", "file", p.path)
			out = append(out, Recovered{File: p.path})
			continue
		}
		f, err := s.finishJournal(p.kind, p.n, p.path)
		if err != nil {
			return out, err
		}
		s.log.Warn("finished a result file an earlier run left unfinished", "file", f, "rows", rows)
		out = append(out, Recovered{File: p.path, Finished: f, Rows: rows})
	}
	return out, nil
}

// Recover finishes or deletes the unfinished parts in dir, as a FileSink
// with Resume does when it opens (format and row-group size from cfg), and
// reports what it did with each.
func Recover(cfg FileSinkConfig) ([]Recovered, error) {
	cfg.Resume = true
	s, err := newFileSink(cfg)
	if err != nil {
		return nil, err
	}
	return s.recover()
}

// sealStream cuts the Arrow IPC stream at path after its last complete
// record batch (a killed writer may have left part of one more), ends it
// with the end-of-stream marker, syncs it, and returns its rows.
func sealStream(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("sinks: %w", err)
	}
	defer f.Close()
	cr := &countingReader{r: bufio.NewReader(f)}
	rd, err := ipc.NewReader(cr)
	if err != nil {
		return 0, nil // not even a whole schema
	}
	var rows int64
	good := cr.n
	for rd.Next() {
		rows += rd.Record().NumRows()
		good = cr.n
	}
	rd.Release()
	// rd.Err() is the torn batch, if any: everything before it is kept.
	if rows == 0 {
		return 0, nil
	}
	if err := f.Truncate(good); err != nil {
		return 0, fmt.Errorf("sinks: %w", err)
	}
	var eos [8]byte
	binary.LittleEndian.PutUint32(eos[:], 0xFFFFFFFF)
	if _, err := f.WriteAt(eos[:], good); err != nil {
		return 0, fmt.Errorf("sinks: %w", err)
	}
	return rows, nil
}

// countingReader counts the bytes read through it. The IPC message
// reader reads exactly one message at a time, so after each record the
// count is where that record's message ends.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("sinks: %w", err)
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sinks: %s: %w", path, err)
	}
	return nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sinks: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sinks: sync %s: %w", dir, err)
	}
	return nil
}

// ReadFiles returns the rows of kind k's finished parts in dir, Arrow IPC
// streams and Parquet files alike, in part order, one record per batch or
// row group; release them. It is for Go programs and tests; other readers
// take the files as they are (docs/schemas.md).
func ReadFiles(dir string, k arrowout.Kind, mem memory.Allocator) ([]arrow.Record, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	parts, err := scanParts(dir)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(parts, func(a, b partFile) int { return a.n - b.n })
	var out []arrow.Record
	release := func() {
		for _, r := range out {
			r.Release()
		}
	}
	for _, p := range parts {
		if p.kind != k || p.partial {
			continue
		}
		var recs []arrow.Record
		if p.ext == extArrow {
			recs, err = readStream(p.path, mem)
		} else {
			recs, err = readParquet(p.path, mem)
		}
		if err != nil {
			release()
			return nil, fmt.Errorf("sinks: %s: %w", p.path, err)
		}
		out = append(out, recs...)
	}
	return out, nil
}

// ReadFile returns the records of one result file, an Arrow IPC stream
// (.arrows) or a Parquet file (any other name), under the schema it was
// written with; release them. Errors name the file.
func ReadFile(path string, mem memory.Allocator) ([]arrow.Record, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	var recs []arrow.Record
	var err error
	if filepath.Ext(path) == extArrow {
		recs, err = readStream(path, mem)
	} else {
		recs, err = readParquet(path, mem)
	}
	if err != nil {
		return nil, fmt.Errorf("sinks: %s: %w", path, err)
	}
	return recs, nil
}

func readStream(path string, mem memory.Allocator) ([]arrow.Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd, err := ipc.NewReader(bufio.NewReader(f), ipc.WithAllocator(mem))
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	var out []arrow.Record
	for rd.Next() {
		rec := rd.Record()
		rec.Retain()
		out = append(out, rec)
	}
	if err := rd.Err(); err != nil {
		for _, r := range out {
			r.Release()
		}
		return nil, err
	}
	return out, nil
}

// readParquet reads a Parquet file back into records of the Arrow schema
// it was written with (stored in the file's ARROW:schema metadata), which
// the Parquet reader does not quite give back: it drops the schema's
// metadata, names list items "list" and tags fields with PARQUET:field_id.
func readParquet(path string, mem memory.Allocator) ([]arrow.Record, error) {
	pf, err := file.OpenParquetFile(path, false, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	orig, err := storedSchema(pf, mem)
	if err != nil {
		return nil, err
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, mem)
	if err != nil {
		return nil, err
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var out []arrow.Record
	fail := func(err error) ([]arrow.Record, error) {
		for _, r := range out {
			r.Release()
		}
		return nil, err
	}
	for rr.Next() {
		rec := rr.Record()
		if orig == nil {
			rec.Retain()
		} else if rec, err = withSchema(rec, orig); err != nil {
			return fail(err)
		}
		out = append(out, rec)
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fail(err)
	}
	return out, nil
}

// storedSchema decodes the Arrow schema a Parquet file was written with,
// or returns nil when the file has none.
func storedSchema(pf *file.Reader, mem memory.Allocator) (*arrow.Schema, error) {
	v := pf.MetaData().KeyValueMetadata().FindValue("ARROW:schema")
	if v == nil {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(*v)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(*v); err != nil {
			return nil, fmt.Errorf("ARROW:schema: %w", err)
		}
	}
	rd, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("ARROW:schema: %w", err)
	}
	defer rd.Release()
	return rd.Schema(), nil
}

// withSchema returns rec's columns under schema, whose types must have
// rec's layout (they may differ in field names and metadata).
func withSchema(rec arrow.Record, schema *arrow.Schema) (arrow.Record, error) {
	if int(rec.NumCols()) != schema.NumFields() {
		return nil, fmt.Errorf("%d columns, the stored schema has %d", rec.NumCols(), schema.NumFields())
	}
	cols := make([]arrow.Array, rec.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range rec.Columns() {
		d, err := retype(c.Data(), schema.Field(i).Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
		}
		cols[i] = array.MakeFromData(d)
		d.Release()
	}
	return array.NewRecord(schema, cols, rec.NumRows()), nil
}

// retype returns d's buffers under the type dt of the same layout.
func retype(d arrow.ArrayData, dt arrow.DataType) (*array.Data, error) {
	if d.DataType().ID() != dt.ID() {
		return nil, fmt.Errorf("type %s read back as %s", dt, d.DataType())
	}
	var fields []arrow.Field
	if n, ok := dt.(arrow.NestedType); ok {
		fields = n.Fields()
	}
	if len(fields) != len(d.Children()) {
		return nil, fmt.Errorf("type %s read back as %s", dt, d.DataType())
	}
	children := make([]arrow.ArrayData, len(fields))
	for i, c := range d.Children() {
		rc, err := retype(c, fields[i].Type)
		if err != nil {
			for _, c := range children[:i] {
				c.Release()
			}
			return nil, err
		}
		children[i] = rc
	}
	out := array.NewData(dt, d.Len(), d.Buffers(), children, d.NullN(), d.Offset())
	for _, c := range children {
		c.Release()
	}
	return out, nil
}

// withMetadata returns schema with extra added to its metadata, in key
// order; a key schema has already keeps its value.
func withMetadata(schema *arrow.Schema, extra map[string]string) *arrow.Schema {
	if len(extra) == 0 {
		return schema
	}
	md := schema.Metadata()
	keys, values := md.Keys(), md.Values()
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if md.FindKey(k) < 0 {
			keys, values = append(keys, k), append(values, extra[k])
		}
	}
	m := arrow.NewMetadata(keys, values)
	return arrow.NewSchema(schema.Fields(), &m)
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
