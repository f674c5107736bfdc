// Package gdf reads GDF (General Data Format for biomedical signals)
// recordings, 1.x including OpenViBE's 1.25 and 2.x, record by record, with
// the values, channel types and annotations mne.io.read_raw_gdf gives by
// default.
//
// Values are (digital·cal + offset)·gain as in MNE, where the gain brings
// only GDF 1 "uV…" and GDF 2 codes 4275 (µV) and 4274 (mV) to V; other units
// are returned as stored and Channel.Unit names them. Channels named
// "status" or "trigger" are stim, all others EEG; events become annotations
// named by their decimal event code.
//
// Deviations from MNE: each channel is decoded with its own data type (MNE
// applies the first channel's type to all and refuses mixed sizes); GDF 2
// event tables are read (MNE 1.10 fails on them under NumPy 2); a
// tag-length-value header after the variable header is skipped (MNE refuses
// it); and a lower-rate signal channel is FFT-upsampled per record, not over
// the whole read, so it differs from MNE near record edges.
package gdf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/neurostream/neurostream/formats"
)

// maxScratch bounds the record buffer: a request whose records fit is one
// ReadAt, a larger one is read in pieces of this size.
const maxScratch = 16 << 20

// Reader is an open GDF recording. It is not safe for concurrent use.
type Reader struct {
	name     string
	data     io.ReaderAt
	closer   io.Closer
	hdr      *Header
	events   *EventTable
	info     formats.Info
	chans    []channel
	spr      int64 // samples per record on the output grid (MNE's max_samp)
	recBytes int64
	buf      []byte
	in, out  []float64 // one record of one channel, before and after resampling; nil until the first read
}

// channel is how one signal is decoded.
type channel struct {
	off         int // byte offset in the record
	n           int // samples per record
	typ         DataType
	cal, offset float64
	gain        float64
	stim        bool
	up          *upsampler // a lower-rate signal channel
	hold        []int      // a stim channel at another rate: source sample per output sample
}

// Open opens a GDF file and reads its header and event table.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &formats.Error{File: path, Offset: -1, Msg: "opening", Err: err}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, &formats.Error{File: path, Offset: -1, Msg: "opening", Err: err}
	}
	r, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads a GDF file of size bytes from r; name identifies it in
// errors. Only the header and event table are read here.
func NewReader(r io.ReaderAt, size int64, name string) (*Reader, error) {
	read := func(off, n int64, field string) ([]byte, error) {
		b := make([]byte, n)
		k, err := r.ReadAt(b, off)
		if int64(k) == n {
			return b, nil
		}
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, &formats.Error{File: name, Offset: off + int64(k), Field: field, Msg: fmt.Sprintf("reading %d bytes", n), Err: err}
	}
	if size < 256 {
		return nil, &formats.Error{File: name, Offset: size, Field: "fixed header", Msg: fmt.Sprintf("file has %d bytes, the fixed header needs 256", size)}
	}
	fixed, err := read(0, 256, "fixed header")
	if err != nil {
		return nil, err
	}
	if err := checkFixed(name, fixed); err != nil {
		return nil, err
	}
	_, ns := headerLen(fixed)
	need := 256 * (ns + 1)
	if need > size {
		return nil, &formats.Error{File: name, Offset: size, Field: "variable header", Msg: fmt.Sprintf("file has %d bytes, %d signals need %d", size, ns, need)}
	}
	hb, err := read(0, need, "variable header")
	if err != nil {
		return nil, err
	}
	h, err := parseHeader(name, hb)
	if err != nil {
		return nil, err
	}
	rd := &Reader{name: name, data: r, hdr: h, recBytes: h.RecordBytes()}
	end := h.HeaderBytes
	if rd.recBytes > 0 && h.NRecords > (math.MaxInt64-end)/rd.recBytes {
		return nil, &formats.Error{File: name, Offset: 236, Field: "number of records", Msg: fmt.Sprintf("%d records of %d bytes overflow", h.NRecords, rd.recBytes)}
	}
	end += h.NRecords * rd.recBytes
	if end > size {
		return nil, &formats.Error{File: name, Offset: size, Field: "data records",
			Msg: fmt.Sprintf("file has %d bytes, %d records of %d bytes after a %d-byte header need %d", size, h.NRecords, rd.recBytes, h.HeaderBytes, end)}
	}
	// Planning allocates per-record buffers, which the check above has
	// bounded by the file's size.
	if err := rd.plan(); err != nil {
		return nil, err
	}

	// The event table follows the last record.
	if end < size {
		head, err := read(end, min(8, size-end), "event table")
		if err != nil {
			return nil, err
		}
		if n := eventTableSize(head, h.VersionNumber); n > 0 {
			// A table longer than the file is read as far as it
			// goes, for parseEvents to report where it ends.
			b, err := read(end, min(n, size-end), "event table")
			if err != nil {
				return nil, err
			}
			if rd.events, err = parseEvents(name, b, h.VersionNumber, end); err != nil {
				return nil, err
			}
		}
	}
	// Events after the last sample are dropped, as MNE does, but without
	// its warning: OpenViBE writes its end-of-session event after the
	// last whole record (as in the shared ssvep-exoskeleton files), and
	// a truncated file is an error above.
	rd.info.Annotations = rd.events.Annotations(rd.info.SampleRate, rd.info.NSamples)
	return rd, nil
}

// plan works out rates, types, scaling and the per-channel decoding the way
// MNE's _get_info does for GDF.
func (r *Reader) plan() error {
	h := r.hdr
	sig := h.Signals
	// Stim channels: the first channel named "status" and the first
	// named "trigger".
	stim := make([]bool, len(sig))
	for _, want := range []string{"status", "trigger"} {
		for i, s := range sig {
			if strings.ToLower(s.Label) == want {
				stim[i] = true
				break
			}
		}
	}
	// The output grid is the highest rate among the non-stim channels
	// (among all when every channel is stim).
	var spr, all int
	for i, s := range sig {
		all = max(all, s.SamplesPerRecord)
		if !stim[i] {
			spr = max(spr, s.SamplesPerRecord)
		}
	}
	if !slicesContains(stim, false) {
		spr = all
	}
	if spr == 0 {
		return &formats.Error{File: r.name, Offset: 256 + 216*int64(len(sig)), Field: "samples per record", Msg: "no channel has samples"}
	}
	r.spr = int64(spr)
	num := float64(h.Duration[0])
	r.info = formats.Info{
		Format:     h.Version,
		SampleRate: float64(int64(spr)*int64(h.Duration[1])) / num,
		NSamples:   h.NRecords * r.spr,
		StartTime:  h.StartTime,
		Channels:   make([]formats.Channel, len(sig)),
	}
	if h.NRecords > 0 && r.info.NSamples/h.NRecords != r.spr {
		return &formats.Error{File: r.name, Offset: 236, Field: "number of records", Msg: fmt.Sprintf("%d records of %d samples overflow", h.NRecords, spr)}
	}
	r.chans = make([]channel, len(sig))
	labels := make([]string, len(sig))
	off := 0
	for i, s := range sig {
		c := &r.chans[i]
		c.off, c.n, c.typ, c.stim = off, s.SamplesPerRecord, s.Type, stim[i]
		off += s.SamplesPerRecord * s.Type.Size()
		// MNE: cal = physical range / digital range, with an undefined
		// (zero or non-finite) digital range or a zero physical range
		// taken as 1.
		dr, pr := s.digRange, s.PhysMax-s.PhysMin
		if dr == 0 || math.IsNaN(dr) || math.IsInf(dr, 0) {
			dr = 1
		}
		if pr == 0 {
			pr = 1
		}
		c.cal = pr / dr
		c.offset = s.PhysMin - s.DigMin*c.cal
		c.gain, labels[i] = 1, s.Label
		unit := s.PhysDim
		if h.v1() {
			if strings.HasPrefix(s.PhysDim, "uV") {
				c.gain, unit = 1e-6, "V"
			}
		} else {
			switch code := s.PhysDimCode; {
			case code == 4275:
				c.gain, unit = 1e-6, "V"
			case code == 4274:
				c.gain, unit = 1e-3, "V"
			case code == 4256:
				unit = "V"
			case unit == "" && code&^31 == 4256:
				unit = decimalPrefix[code&31] + "V"
			}
		}
		typ := formats.EEG
		if c.stim {
			// MNE gives stim channels no gain and no unit.
			c.gain, typ, unit = 1, formats.Stim, ""
		}
		r.info.Channels[i] = formats.Channel{Type: typ, Unit: unit, SampleRate: float64(int64(c.n)*int64(h.Duration[1])) / num}
	}
	formats.UniqueLabels(labels)
	for i := range labels {
		r.info.Channels[i].Label = labels[i]
	}
	return nil
}

// prepare allocates the per-record buffers and resampling plans on the
// first read: a header alone (say with no records) could otherwise make
// the reader allocate for samples the file does not hold.
func (r *Reader) prepare() {
	spr := int(r.spr)
	maxN := 0
	ups := map[int]*upsampler{}
	var out *upsampler
	for i := range r.chans {
		c := &r.chans[i]
		maxN = max(maxN, c.n)
		switch {
		case c.n == spr || c.n == 0:
		case c.stim:
			c.hold = zeroHold(c.n, spr)
		default:
			if out == nil {
				out = newOutput(spr)
			}
			if ups[c.n] == nil {
				ups[c.n] = newUpsampler(c.n, out)
			}
			c.up = ups[c.n]
		}
	}
	r.in = make([]float64, maxN)
	r.out = make([]float64, spr)
}

// decimalPrefix names the GDF 2 decimal factor codes (the low 5 bits of a
// physical dimension code).
var decimalPrefix = [32]string{
	0: "", 1: "da", 2: "h", 3: "k", 4: "M", 5: "G", 6: "T", 7: "P", 8: "E", 9: "Z", 10: "Y",
	16: "d", 17: "c", 18: "m", 19: "µ", 20: "n", 21: "p", 22: "f", 23: "a", 24: "z", 25: "y",
}

func slicesContains(s []bool, v bool) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// zeroHold maps each of m output samples of a record to the source sample
// scipy's interp1d(linspace(0, 1, n+1), kind="zero") picks at
// linspace(0, 1, m, endpoint=False), which is how MNE brings a stim
// channel of n samples per record to m.
func zeroHold(n, m int) []int {
	hold := make([]int, m)
	stepN, stepM := 1/float64(n), 1/float64(m)
	i := 0
	for j := range hold {
		x := float64(j) * stepM
		for i+1 < n && float64(i+1)*stepN <= x {
			i++
		}
		hold[j] = i
	}
	return hold
}

// Header returns the parsed header.
func (r *Reader) Header() *Header { return r.hdr }

// Events returns the event table, nil when the file has none.
func (r *Reader) Events() *EventTable { return r.events }

// Info describes the recording; the result must not be modified.
func (r *Reader) Info() *formats.Info { return &r.info }

// Close closes the file when the Reader opened it.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// ReadSamples fills dst[c][i] with channel c's sample start+i, as
// formats.Recording documents, reading only the data records that cover
// the range.
func (r *Reader) ReadSamples(dst [][]float64, start, stop int64) error {
	if err := formats.CheckRange(&r.info, dst, start, stop); err != nil {
		return err
	}
	if stop == start {
		return nil
	}
	if r.out == nil {
		r.prepare()
	}
	first, last := start/r.spr, (stop-1)/r.spr // records, inclusive
	// Size the buffer for the worst alignment of a span of this length,
	// so that repeating a request size never grows it again.
	want := min(((stop-start-1)/r.spr+2)*r.recBytes, max(maxScratch/r.recBytes, 1)*r.recBytes)
	if int64(len(r.buf)) < want {
		r.buf = make([]byte, want)
	}
	per := int64(len(r.buf)) / r.recBytes
	for rec := first; rec <= last; {
		k := min(last-rec+1, per)
		p := r.buf[:k*r.recBytes]
		off := r.hdr.HeaderBytes + rec*r.recBytes
		if n, err := r.data.ReadAt(p, off); n != len(p) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return &formats.Error{File: r.name, Offset: off + int64(n), Field: "data records",
				Msg: fmt.Sprintf("reading records %d..%d", rec, rec+k-1), Err: err}
		}
		for j := int64(0); j < k; j++ {
			r.record(dst, p[j*r.recBytes:(j+1)*r.recBytes], (rec+j)*r.spr, start, stop)
		}
		rec += k
	}
	return nil
}

// record decodes one data record whose first sample is sample s0 into the
// part of dst that covers [start, stop).
func (r *Reader) record(dst [][]float64, p []byte, s0, start, stop int64) {
	lo, hi := max(start, s0), min(stop, s0+r.spr) // samples of this record wanted
	for ci := range r.chans {
		c := &r.chans[ci]
		d := dst[ci][lo-start : hi-start]
		switch {
		case c.n == 0:
			clear(d)
		case c.n == int(r.spr):
			j0, j1 := int(lo-s0), int(hi-s0)
			c.decode(d, p[c.off+j0*c.typ.Size():], j1-j0)
			if c.stim {
				for i, v := range d {
					d[i] = float64(stimMask(v))
				}
			}
		default:
			in := r.in[:c.n]
			c.decode(in, p[c.off:], c.n)
			out := r.out
			if c.up != nil {
				c.up.resample(out, in)
			} else {
				for j, i := range c.hold {
					out[j] = in[i]
				}
			}
			copy(d, out[lo-s0:hi-s0])
		}
	}
}

// stimMask is MNE's np.bitwise_and(x.astype(int), 2**17 - 1) for a stim
// channel at the full rate: truncation toward zero, then the low 17 bits.
func stimMask(v float64) int64 {
	if math.IsNaN(v) || v >= 9.223372036854775807e18 || v < -9.223372036854775808e18 {
		// numpy's out-of-range conversion gives INT64_MIN, whose low
		// bits are 0.
		return 0
	}
	return int64(v) & (1<<17 - 1)
}

// decode converts n samples from p to (digital·cal + offset)·gain.
func (c *channel) decode(dst []float64, p []byte, n int) {
	le := binary.LittleEndian
	dst = dst[:n]
	switch c.typ {
	case Int8:
		for i := range dst {
			dst[i] = c.scale(float64(int8(p[i])))
		}
	case UInt8:
		for i := range dst {
			dst[i] = c.scale(float64(p[i]))
		}
	case Int16:
		for i := range dst {
			dst[i] = c.scale(float64(int16(le.Uint16(p[2*i:]))))
		}
	case UInt16:
		for i := range dst {
			dst[i] = c.scale(float64(le.Uint16(p[2*i:])))
		}
	case Int32:
		for i := range dst {
			dst[i] = c.scale(float64(int32(le.Uint32(p[4*i:]))))
		}
	case UInt32:
		for i := range dst {
			dst[i] = c.scale(float64(le.Uint32(p[4*i:])))
		}
	case Int64:
		for i := range dst {
			dst[i] = c.scale(float64(int64(le.Uint64(p[8*i:]))))
		}
	case UInt64:
		for i := range dst {
			dst[i] = c.scale(float64(le.Uint64(p[8*i:])))
		}
	case Float32:
		for i := range dst {
			dst[i] = c.scale(float64(math.Float32frombits(le.Uint32(p[4*i:]))))
		}
	case Float64:
		for i := range dst {
			dst[i] = c.scale(math.Float64frombits(le.Uint64(p[8*i:])))
		}
	}
}

// scale applies MNE's order of operations, which matters for rounding.
func (c *channel) scale(x float64) float64 { return (x*c.cal + c.offset) * c.gain }

var _ formats.Recording = (*Reader)(nil)
