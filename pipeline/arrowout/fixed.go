package arrowout

import (
	"fmt"
	"sync"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// Records of a fixed layout. The psd stage writes the same rows in every
// window of a session: one per channel, one per channel and band. Their
// label, unit, band and frequency columns are the same in every window,
// and only the window key and the numbers change. Appending every row to
// builders (rows, above) rebuilds those columns and allocates each
// column's buffers anew per window, which costs more than the spectra
// (docs/benchmarks.md). PSDWindows and BandPowerWindows build the
// constant columns once per session and share them, read-only, between
// the records (Arrow arrays are immutable and reference-counted, so a
// record released by its sinks releases only its own reference); the
// columns that change are filled into buffers taken from a pool that
// gets them back when the record's last reference is released. The
// records are those the row builders make from the same rows, to the
// byte of their IPC encoding (TestFixedRecordsAsRows).

// bufferPool is a memory.Allocator that keeps the buffers freed to it for
// the next allocation of the same size: a session's records need the
// same few sizes window after window. It keeps at most poolKeep buffers
// of a size (records a sink holds on to do not come back; then it
// allocates). Allocations are not zeroed: every caller fills them. It is
// safe for concurrent use: sinks may release records on other goroutines.
type bufferPool struct {
	mu   sync.Mutex
	free map[int][][]byte
}

// poolKeep is the most free buffers of one size a pool keeps.
const poolKeep = 16

func (p *bufferPool) Allocate(size int) []byte {
	p.mu.Lock()
	if l := p.free[size]; len(l) > 0 {
		b := l[len(l)-1]
		p.free[size] = l[:len(l)-1]
		p.mu.Unlock()
		return b
	}
	p.mu.Unlock()
	return make([]byte, size)
}

func (p *bufferPool) Reallocate(size int, b []byte) []byte {
	if size <= cap(b) {
		return b[:size]
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

func (p *bufferPool) Free(b []byte) {
	p.mu.Lock()
	if p.free == nil {
		p.free = map[int][][]byte{}
	}
	if l := p.free[len(b)]; len(l) < poolKeep {
		p.free[len(b)] = append(l, b)
	}
	p.mu.Unlock()
}

// float64s returns a float64 array of vals, copied into a pooled buffer.
func (p *bufferPool) float64s(vals []float64) arrow.Array {
	buf := p.buffer(len(vals) * 8)
	copy(arrow.Float64Traits.CastFromBytes(buf.Bytes()), vals)
	return fixedArray(arrow.PrimitiveTypes.Float64, len(vals), buf)
}

// int64s returns an array of type dt (64 bits wide) of n values v.
func (p *bufferPool) int64s(dt arrow.DataType, n int, v int64) arrow.Array {
	buf := p.buffer(n * 8)
	s := arrow.Int64Traits.CastFromBytes(buf.Bytes())
	for i := range s {
		s[i] = v
	}
	return fixedArray(dt, n, buf)
}

// buffer returns a buffer of size bytes that goes back to p when released.
func (p *bufferPool) buffer(size int) *memory.Buffer {
	return memory.NewBufferWithAllocator(p.Allocate(size), p)
}

// fixedArray returns an array of n values of the fixed-width type dt in
// buf, without nulls, taking over the caller's reference to buf.
func fixedArray(dt arrow.DataType, n int, buf *memory.Buffer) arrow.Array {
	d := array.NewData(dt, n, []*memory.Buffer{nil, buf}, nil, 0, 0)
	buf.Release()
	a := array.MakeFromData(d)
	d.Release()
	return a
}

// fixed is what the fixed-layout builders share: the schema, the row
// count, the pool and the session column, the window key's only column
// that does not change per window (rebuilt when the session does).
type fixed struct {
	schema  *arrow.Schema
	n       int
	pool    *bufferPool
	session string
	sessCol arrow.Array
}

// keyColumns returns the window key columns of k, n rows each, with a
// reference each for the caller.
func (f *fixed) keyColumns(k WindowKey) [4]arrow.Array {
	if f.sessCol == nil || k.Session != f.session {
		if f.sessCol != nil {
			f.sessCol.Release()
		}
		f.session = k.Session
		f.sessCol = repeatString(k.Session, f.n)
	}
	f.sessCol.Retain()
	return [4]arrow.Array{
		f.sessCol,
		f.pool.int64s(arrow.PrimitiveTypes.Int64, f.n, k.Window),
		f.pool.int64s(arrow.PrimitiveTypes.Int64, f.n, k.StartSample),
		f.pool.int64s(arrow.FixedWidthTypes.Timestamp_ns, f.n, k.StartTimeNS),
	}
}

// record returns the record of cols, taking over the caller's reference
// to each.
func (f *fixed) record(cols []arrow.Array) arrow.Record {
	r := array.NewRecord(f.schema, cols, int64(f.n))
	for _, c := range cols {
		c.Release()
	}
	return r
}

func (f *fixed) release() {
	if f.sessCol != nil {
		f.sessCol.Release()
		f.sessCol = nil
	}
}

// repeatString returns a utf8 array of n rows s.
func repeatString(s string, n int) arrow.Array {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.Reserve(n)
	b.ReserveData(n * len(s))
	for range n {
		b.Append(s)
	}
	return b.NewArray()
}

// stringArray returns a utf8 array of ss.
func stringArray(ss []string) arrow.Array {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(ss, nil)
	return b.NewArray()
}

// float64Array returns a float64 array of vs.
func float64Array(vs []float64) arrow.Array {
	b := array.NewFloat64Builder(memory.DefaultAllocator)
	defer b.Release()
	b.AppendValues(vs, nil)
	return b.NewArray()
}

// PSDWindows builds the psd records of one session's windows whose rows
// are always the same channels, with the same units and frequency bins:
// the records PSDRows makes from the same rows. Make one per session with
// NewPSDWindows. Record is not safe for concurrent use; the records it
// returns are (they are immutable) and may outlive it.
type PSDWindows struct {
	fixed
	bins int
	// cols are the channel, unit, freq_start and freq_step columns.
	cols    [4]arrow.Array
	offsets *memory.Buffer // the psd lists' offsets, i·bins
	labels  []string       // a copy of channels, to compare labels with
}

// NewPSDWindows returns a builder of psd records of a row per channel:
// channel channels[i] in unit units[i], bins values at frequencies
// freqStart + k·freqStep Hz.
func NewPSDWindows(channels, units []string, freqStart, freqStep float64, bins int) *PSDWindows {
	if len(units) != len(channels) {
		panic(fmt.Sprintf("arrowout: NewPSDWindows: %d units for %d channels", len(units), len(channels)))
	}
	n := len(channels)
	p := &PSDWindows{fixed: fixed{schema: PSDSchema, n: n, pool: &bufferPool{}}, bins: bins}
	p.labels = append([]string(nil), channels...)
	starts, steps := make([]float64, n), make([]float64, n)
	for i := range n {
		starts[i], steps[i] = freqStart, freqStep
	}
	p.cols = [4]arrow.Array{stringArray(channels), stringArray(units), float64Array(starts), float64Array(steps)}
	off := make([]int32, n+1)
	for i := range off {
		off[i] = int32(i * bins)
	}
	p.offsets = memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(off))
	return p
}

// Record returns the psd record of window k (the caller releases it): row
// i holds channel channels[i] and the values psd[i·bins : (i+1)·bins].
// channels must be those of NewPSDWindows, or it rebuilds the channel
// column. It copies psd.
func (p *PSDWindows) Record(k WindowKey, channels []string, psd []float64) arrow.Record {
	if len(psd) != p.n*p.bins || len(channels) != p.n {
		panic(fmt.Sprintf("arrowout: PSDWindows.Record: %d values of %d channels, want %d of %d", len(psd), len(channels), p.n*p.bins, p.n))
	}
	p.relabel(channels)
	key := p.keyColumns(k)
	vals := p.pool.float64s(psd)
	ld := array.NewData(PSDSchema.Field(8).Type, p.n, []*memory.Buffer{nil, p.offsets}, []arrow.ArrayData{vals.Data()}, 0, 0)
	vals.Release()
	list := array.MakeFromData(ld)
	ld.Release()
	for _, c := range p.cols {
		c.Retain()
	}
	return p.record([]arrow.Array{key[0], key[1], key[2], key[3], p.cols[0], p.cols[1], p.cols[2], p.cols[3], list})
}

// relabel rebuilds the channel column when channels differ from the
// labels it holds.
func (p *PSDWindows) relabel(channels []string) {
	if sameStrings(channels, p.labels) {
		return
	}
	p.labels = append(p.labels[:0], channels...)
	p.cols[0].Release()
	p.cols[0] = stringArray(channels)
}

// Release frees the shared columns (records made keep their own
// references).
func (p *PSDWindows) Release() {
	p.release()
	for _, c := range p.cols {
		c.Release()
	}
}

// Band is a named frequency band in Hz.
type Band struct {
	Name      string
	Low, High float64
}

// BandPowerWindows builds the bandpower records of one session's windows
// whose rows are always the same channels, with the same units, times the
// same bands: the records BandPowerRows makes from the same rows. Make one
// per session with NewBandPowerWindows. Record is not safe for concurrent
// use; the records it returns are and may outlive it.
type BandPowerWindows struct {
	fixed
	bands int
	// cols are the channel, unit, band, fmin and fmax columns.
	cols   [5]arrow.Array
	labels []string // the channels, to compare labels with
}

// NewBandPowerWindows returns a builder of bandpower records of a row per
// channel and band, channel-major: row i·len(bands)+j is band j of
// channel channels[i] in unit units[i].
func NewBandPowerWindows(channels, units []string, bands []Band) *BandPowerWindows {
	if len(units) != len(channels) {
		panic(fmt.Sprintf("arrowout: NewBandPowerWindows: %d units for %d channels", len(units), len(channels)))
	}
	n := len(channels) * len(bands)
	b := &BandPowerWindows{fixed: fixed{schema: BandPowerSchema, n: n, pool: &bufferPool{}}, bands: len(bands)}
	b.labels = append([]string(nil), channels...)
	us, names := make([]string, 0, n), make([]string, 0, n)
	lo, hi := make([]float64, 0, n), make([]float64, 0, n)
	for i := range channels {
		for _, bd := range bands {
			us, names = append(us, units[i]), append(names, bd.Name)
			lo, hi = append(lo, bd.Low), append(hi, bd.High)
		}
	}
	b.cols = [5]arrow.Array{stringArray(b.rowChannels(channels)), stringArray(us), stringArray(names), float64Array(lo), float64Array(hi)}
	return b
}

// rowChannels returns the channel of every row.
func (b *BandPowerWindows) rowChannels(channels []string) []string {
	out := make([]string, 0, len(channels)*b.bands)
	for _, c := range channels {
		for range b.bands {
			out = append(out, c)
		}
	}
	return out
}

// Record returns the bandpower record of window k (the caller releases
// it) with power[r] and relative[r] in row r. channels must be those of
// NewBandPowerWindows, or it rebuilds the channel column. It copies power
// and relative.
func (b *BandPowerWindows) Record(k WindowKey, channels []string, power, relative []float64) arrow.Record {
	if len(power) != b.n || len(relative) != b.n || len(channels)*b.bands != b.n {
		panic(fmt.Sprintf("arrowout: BandPowerWindows.Record: %d powers, %d relative of %d channels, want %d rows", len(power), len(relative), len(channels), b.n))
	}
	if !sameStrings(channels, b.labels) {
		b.labels = append(b.labels[:0], channels...)
		b.cols[0].Release()
		b.cols[0] = stringArray(b.rowChannels(channels))
	}
	key := b.keyColumns(k)
	for _, c := range b.cols {
		c.Retain()
	}
	return b.record([]arrow.Array{key[0], key[1], key[2], key[3], b.cols[0], b.cols[1], b.cols[2], b.cols[3], b.cols[4],
		b.pool.float64s(power), b.pool.float64s(relative)})
}

// Release frees the shared columns (records made keep their own
// references).
func (b *BandPowerWindows) Release() {
	b.release()
	for _, c := range b.cols {
		c.Release()
	}
}

// sameStrings reports whether a and b hold the same strings.
func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
