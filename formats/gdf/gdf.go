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
	"slices"
	"strings"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/records"
)

// maxScratch bounds the record buffer: a request whose records fit is one
// ReadAt, a larger one is read in pieces of this size.
const maxScratch = 16 << 20

// Reader is an open GDF recording. It is not safe for concurrent use.
type Reader struct {
	file    records.File // Info, the records and the read buffer
	hdr     *Header
	events  *EventTable
	chans   []channel
	in, out []float64 // one record of one channel, before and after resampling; nil until the first read
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
	hold        []int32    // a stim channel at another rate: source sample per output sample
}

// Open opens a GDF file and reads its header and event table.
func Open(path string) (*Reader, error) {
	return records.Open(path, "opening", "opening",
		func(ra io.ReaderAt, size int64) (*Reader, error) { return NewReader(ra, size, path) },
		func(r *Reader) *records.File { return &r.file })
}

// NewReader reads a GDF file of size bytes from r; name identifies it in
// errors. Only the header and event table are read here.
func NewReader(r io.ReaderAt, size int64, name string) (*Reader, error) {
	read := func(off, n int64, field string) ([]byte, error) {
		b := make([]byte, n)
		if err := records.ReadFull(r, name, b, off, field); err != nil {
			return nil, err
		}
		return b, nil
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
	rd := &Reader{hdr: h, file: records.File{Name: name, Data: r, MaxBuffer: maxScratch,
		Layout: records.Layout{Offset: h.HeaderBytes, Bytes: h.RecordBytes(), Records: h.NRecords}}}
	rd.file.ShortRead = rd.shortRead
	rd.file.Prepare = rd.prepare
	recBytes := rd.file.Layout.Bytes
	end := h.HeaderBytes
	if recBytes > 0 && h.NRecords > (math.MaxInt64-end)/recBytes {
		return nil, &formats.Error{File: name, Offset: 236, Field: "number of records", Msg: fmt.Sprintf("%d records of %d bytes overflow", h.NRecords, recBytes)}
	}
	end += h.NRecords * recBytes
	if end > size {
		return nil, &formats.Error{File: name, Offset: size, Field: "data records",
			Msg: fmt.Sprintf("file has %d bytes, %d records of %d bytes after a %d-byte header need %d", size, h.NRecords, recBytes, h.HeaderBytes, end)}
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
	info := &rd.file.Info
	info.Annotations = rd.events.Annotations(info.SampleRate, info.NSamples)
	return rd, nil
}

// shortRead names the records a short read asked for.
func (r *Reader) shortRead(s records.ShortRead) error {
	return &formats.Error{File: r.file.Name, Offset: s.Offset(), Field: "data records",
		Msg: fmt.Sprintf("reading records %d..%d", s.First, s.First+s.Count-1), Err: s.Err}
}

// plan works out rates, types, scaling and the per-channel decoding the way
// MNE's _get_info does for GDF.
func (r *Reader) plan() error {
	h := r.hdr
	sig := h.Signals
	labels := make([]string, len(sig))
	for i, s := range sig {
		labels[i] = s.Label
	}
	// Stim channels: the first channel named "status" and the first
	// named "trigger".
	stim := records.StimChannels(labels)
	// The output grid is the highest rate among the non-stim channels
	// (among all when every channel is stim).
	var spr, all int
	for i, s := range sig {
		all = max(all, s.SamplesPerRecord)
		if !stim[i] {
			spr = max(spr, s.SamplesPerRecord)
		}
	}
	if !slices.Contains(stim, false) {
		spr = all
	}
	if spr == 0 {
		return &formats.Error{File: r.file.Name, Offset: 256 + 216*int64(len(sig)), Field: "samples per record", Msg: "no channel has samples"}
	}
	r.file.Layout.Samples = int64(spr)
	num := float64(h.Duration[0])
	info := &r.file.Info
	*info = formats.Info{
		Format:     h.Version,
		SampleRate: float64(int64(spr)*int64(h.Duration[1])) / num,
		NSamples:   h.NRecords * int64(spr),
		StartTime:  h.StartTime,
		Channels:   make([]formats.Channel, len(sig)),
	}
	if h.NRecords > 0 && info.NSamples/h.NRecords != int64(spr) {
		return &formats.Error{File: r.file.Name, Offset: 236, Field: "number of records", Msg: fmt.Sprintf("%d records of %d samples overflow", h.NRecords, spr)}
	}
	r.chans = make([]channel, len(sig))
	off := 0
	for i, s := range sig {
		c := &r.chans[i]
		c.off, c.n, c.typ, c.stim = off, s.SamplesPerRecord, s.Type, stim[i]
		off += s.SamplesPerRecord * s.Type.Size()
		info.Channels[i] = r.calibrate(c, &sig[i])
		info.Channels[i].SampleRate = float64(int64(c.n)*int64(h.Duration[1])) / num
	}
	formats.UniqueLabels(labels)
	for i := range labels {
		info.Channels[i].Label = labels[i]
	}
	return nil
}

// calibrate sets c's scaling from its signal header, as MNE does, and
// returns the channel's type and unit.
func (r *Reader) calibrate(c *channel, s *Signal) formats.Channel {
	c.cal, c.offset = records.Calibration(s.PhysMin, s.PhysMax, s.DigMin, s.digRange)
	c.gain = 1
	unit := s.PhysDim
	if r.hdr.v1() {
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
	if c.stim {
		// MNE gives stim channels no gain and no unit.
		c.gain = 1
		return formats.Channel{Type: formats.Stim}
	}
	return formats.Channel{Type: formats.EEG, Unit: unit}
}

// prepare allocates the per-record buffers and resampling plans on the
// first read: a header alone (say with no records) could otherwise make
// the reader allocate for samples the file does not hold.
func (r *Reader) prepare() error {
	spr := int(r.file.Layout.Samples)
	maxN := 0
	ups := map[int]*upsampler{}
	var out *upsampler
	for i := range r.chans {
		c := &r.chans[i]
		maxN = max(maxN, c.n)
		if c.n == 0 {
			continue
		}
		switch records.KindOf(int64(c.n), int64(spr), c.stim) {
		case records.Held:
			c.hold = records.ZeroHold(c.n, spr)
		case records.Resampled:
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
	return nil
}

// decimalPrefix names the GDF 2 decimal factor codes (the low 5 bits of a
// physical dimension code).
var decimalPrefix = [32]string{
	0: "", 1: "da", 2: "h", 3: "k", 4: "M", 5: "G", 6: "T", 7: "P", 8: "E", 9: "Z", 10: "Y",
	16: "d", 17: "c", 18: "m", 19: "µ", 20: "n", 21: "p", 22: "f", 23: "a", 24: "z", 25: "y",
}

// Header returns the parsed header.
func (r *Reader) Header() *Header { return r.hdr }

// Events returns the event table, nil when the file has none.
func (r *Reader) Events() *EventTable { return r.events }

// Info describes the recording; the result must not be modified.
func (r *Reader) Info() *formats.Info { return &r.file.Info }

// Close closes the file when the Reader opened it.
func (r *Reader) Close() error { return r.file.Close() }

// ReadSamples fills dst[c][i] with channel c's sample start+i, as
// formats.Recording documents, reading only the data records that cover
// the range.
func (r *Reader) ReadSamples(dst [][]float64, start, stop int64) error {
	return r.file.ReadSamples(dst, start, stop, r.record)
}

// record decodes the samples of record p that s asks for.
func (r *Reader) record(dst [][]float64, p []byte, s records.Span) {
	for ci := range r.chans {
		c := &r.chans[ci]
		d := dst[ci][s.At : s.At+s.Hi-s.Lo]
		switch {
		case c.n == 0:
			clear(d)
		case c.n == int(r.file.Layout.Samples):
			j0, j1 := int(s.Lo), int(s.Hi)
			c.decode(d, p[c.off+j0*c.typ.Size():], j1-j0)
			if c.stim {
				for i, v := range d {
					d[i] = records.StimMask(v)
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
			copy(d, out[s.Lo:s.Hi])
		}
	}
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
