// Package brainvision reads BrainVision Core Data Format recordings (.vhdr
// header, .vmrk markers, binary .eeg data), versions 1.0 and 2.0, with the
// values, channel types and annotations mne.io.read_raw_brainvision gives
// by default.
//
// Values are resolution × unit scale, so EEG is in V whether the header
// says µV, nV, mV or V, and µS is in S; other units are returned as
// written. Markers become "Type/Description" annotations ("Stimulus/S  1",
// "New Segment/") at (position−1)/rate, as in MNE.
//
// Damaged files: a multiplexed data file that ends inside a sample, whose
// size disagrees with DataPoints, or that ends before markers do reads
// its whole samples (as MNE does) and says so in Info.Warnings. A
// vectorized file stores each channel whole, so its sample count places
// every channel: a file shorter than DataPoints says, or without
// DataPoints not a whole number of samples, is an error (MNE fails
// reading the first, and misplaces every channel of the second).
//
// Deviations from MNE, all where it refuses or misreads a file: UINT_16
// samples and UseBigEndianOrder=YES are read; duplicate channel names are
// renamed (formats.UniqueLabels); a missing DataFile or MarkerFile is also
// looked for under the header's own base name; marker files need not be
// UTF-8. ASCII data files are not supported (MNE reads multiplexed ones).
package brainvision

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/records"
)

// maxScratch bounds the reader's byte buffer. A request whose bytes fit
// is served by one ReadAt (per channel for vectorized files); larger ones
// are read in pieces of this size.
const maxScratch = 16 << 20

// Reader is an open BrainVision recording. It is not safe for concurrent
// use.
type Reader struct {
	file  records.File // Info, the data file and the read buffer
	hdr   *Header
	scale []float64
	bps   int
}

// Open reads the header at vhdrPath and its marker file, and opens the data
// file for streaming. DataFile and MarkerFile are resolved relative to the
// header's folder.
func Open(vhdrPath string) (*Reader, error) {
	hb, err := os.ReadFile(vhdrPath)
	if err != nil {
		return nil, &formats.Error{File: vhdrPath, Offset: -1, Msg: "reading header", Err: err}
	}
	h, err := parseHeader(vhdrPath, hb)
	if err != nil {
		return nil, err
	}
	dataPath, err := locate(vhdrPath, h.DataFile, ".eeg", "DataFile")
	if err != nil {
		return nil, err
	}
	mrkPath, err := locate(vhdrPath, h.MarkerFile, ".vmrk", "MarkerFile")
	if err != nil {
		return nil, err
	}
	mb, err := os.ReadFile(mrkPath)
	if err != nil {
		return nil, &formats.Error{File: mrkPath, Offset: -1, Msg: "reading markers", Err: err}
	}
	mf, err := parseMarkers(mrkPath, mb)
	if err != nil {
		return nil, err
	}
	return records.Open(dataPath, "opening data", "opening data",
		func(ra io.ReaderAt, size int64) (*Reader, error) { return NewReader(h, ra, size, mf, dataPath) },
		func(r *Reader) *records.File { return &r.file })
}

// locate finds the file a header names. MNE joins the name to the header's
// folder and fails when it is not there; files are often renamed together
// without editing the header, so the name with any Windows folders dropped
// and then the header's own base name with ext are tried as well.
func locate(vhdrPath, ref, ext, key string) (string, error) {
	dir := filepath.Dir(vhdrPath)
	cands := []string{ref}
	if !filepath.IsAbs(ref) {
		cands[0] = filepath.Join(dir, ref)
	}
	cands = append(cands,
		filepath.Join(dir, filepath.Base(strings.ReplaceAll(ref, `\`, "/"))),
		strings.TrimSuffix(vhdrPath, filepath.Ext(vhdrPath))+ext)
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			return c, nil
		}
	}
	return "", &formats.Error{File: vhdrPath, Offset: -1, Field: "[Common Infos] " + key,
		Msg: fmt.Sprintf("%q not found (also tried %s)", ref, strings.Join(cands[1:], ", "))}
}

// NewReader reads samples from data, the binary data file of size bytes,
// as described by h. markers may be nil (no annotations, no start time);
// name identifies data in errors.
func NewReader(h *Header, data io.ReaderAt, size int64, markers *MarkerFile, name string) (*Reader, error) {
	if h == nil || len(h.Channels) == 0 {
		return nil, &formats.Error{File: name, Offset: -1, Field: "header", Msg: "no channels"}
	}
	if !(h.SamplingInterval > 0) || math.IsInf(h.SamplingInterval, 0) {
		return nil, &formats.Error{File: name, Offset: -1, Field: "SamplingInterval", Msg: fmt.Sprintf("%v is not a positive interval", h.SamplingInterval)}
	}
	r := &Reader{hdr: h, bps: h.Format.Size(), file: records.File{Name: name, Data: data, MaxBuffer: maxScratch}}
	r.file.ShortRead = r.shortRead
	chans, scale := h.channels()
	r.scale = scale
	info := &r.file.Info
	*info = formats.Info{
		Format:     "BrainVision",
		Channels:   chans,
		SampleRate: h.SampleRate(),
	}
	n, err := r.sampleCount(size)
	if err != nil {
		return nil, err
	}
	info.NSamples = n
	// A multiplexed file's records are frames, a sample of every
	// channel; a vectorized file's are one channel's samples (see
	// ReadSamples).
	r.file.Layout = records.Layout{Bytes: int64(r.bps * len(h.Channels)), Samples: 1, Records: n}
	if h.Orientation == Vectorized {
		r.file.Layout.Bytes = int64(r.bps)
	}
	if markers != nil {
		info.StartTime = markers.MeasDate
		info.Annotations = markers.Annotations(info.SampleRate, n)
		if k, last := markers.after(n); k > 0 {
			info.Warn(name, "data", "ends at %g s, but %d markers lie after it (the last at %g s) and are dropped: the file may be truncated",
				float64(n)/info.SampleRate, k, float64(last-1)/info.SampleRate)
		}
	}
	return r, nil
}

// sampleCount returns the samples per channel in a data file of size
// bytes, as MNE counts them, and warns where the file and header
// disagree. A multiplexed file holds whole frames (a sample of every
// channel): the count is what the file holds, DataPoints or not, and a
// trailing partial frame is ignored. A vectorized file stores each
// channel whole, one after the other, so the count fixes where every
// channel starts: it is DataPoints when the header has it, which the file
// must then hold, and otherwise what the size allows, which must then be
// whole frames.
func (r *Reader) sampleCount(size int64) (int64, error) {
	h, name, info := r.hdr, r.file.Name, &r.file.Info
	frame := int64(r.bps * len(h.Channels))
	n, rest := size/frame, size%frame
	secs := func(n int64) string { return fmt.Sprintf("%g s", float64(n)/info.SampleRate) }
	if h.Orientation == Vectorized {
		switch {
		case h.DataPoints > 0 && h.DataPoints > n:
			return 0, &formats.Error{File: name, Offset: size, Field: "data",
				Msg: fmt.Sprintf("DataPoints=%d of %d vectorized channels need %d bytes, the file has %d: it is truncated", h.DataPoints, len(h.Channels), h.DataPoints*frame, size)}
		case h.DataPoints > 0:
			if h.DataPoints < n {
				info.Warn(name, "data", "%d bytes after the DataPoints=%d samples of every channel are ignored", size-h.DataPoints*frame, h.DataPoints)
			}
			return h.DataPoints, nil
		case rest != 0:
			return 0, &formats.Error{File: name, Offset: size, Field: "data",
				Msg: fmt.Sprintf("%d bytes are not whole samples of %d vectorized channels (%d bytes each): the file is truncated or the header wrong, and without DataPoints where each channel starts is unknown", size, len(h.Channels), frame)}
		}
		return n, nil
	}
	if rest != 0 {
		info.Warn(name, "data", "the file ends with %d of a sample's %d bytes (all channels): it is truncated; reading the %d whole samples (%s)", rest, frame, n, secs(n))
	}
	if h.DataPoints > 0 && h.DataPoints != n {
		info.Warn(name, "DataPoints", "the header says %d samples (%s), the data file holds %d (%s); reading %d, as MNE does", h.DataPoints, secs(h.DataPoints), n, secs(n), n)
	}
	return n, nil
}

// Header returns the parsed header.
func (r *Reader) Header() *Header { return r.hdr }

// Info describes the recording; the result must not be modified.
func (r *Reader) Info() *formats.Info { return &r.file.Info }

// Close closes the data file when the Reader opened it.
func (r *Reader) Close() error { return r.file.Close() }

// ReadSamples fills dst[c][i] with channel c's sample start+i, as
// formats.Recording documents. A multiplexed file is read as one span of
// frames; a vectorized one as one span per channel.
func (r *Reader) ReadSamples(dst [][]float64, start, stop int64) error {
	if ok, err := r.file.Begin(dst, start, stop); !ok {
		return err
	}
	l := r.file.Layout
	if r.hdr.Orientation == Multiplexed {
		return r.file.ReadRecords(l, start, stop-start, func(p []byte, first, n int64) {
			for c := range dst {
				at := first - start
				r.decode(dst[c][at:at+n], p[c*r.bps:], int(l.Bytes), r.scale[c])
			}
		})
	}
	for c := range dst {
		// Channel c's samples, one after the other.
		l.Offset = int64(c) * r.file.Info.NSamples * l.Bytes
		err := r.file.ReadRecords(l, start, stop-start, func(p []byte, first, n int64) {
			at := first - start
			r.decode(dst[c][at:at+n], p, r.bps, r.scale[c])
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// shortRead names the bytes a short read asked for.
func (r *Reader) shortRead(s records.ShortRead) error {
	return &formats.Error{File: r.file.Name, Offset: s.Offset(), Field: "data",
		Msg: fmt.Sprintf("reading %d bytes at %d", s.Count*s.Layout.Bytes, s.Start()), Err: s.Err}
}

// decode converts len(dst) samples, stride bytes apart, and scales them.
func (r *Reader) decode(dst []float64, p []byte, stride int, scale float64) {
	le := !r.hdr.BigEndian
	switch r.hdr.Format {
	case Int16:
		for i := range dst {
			b := p[i*stride : i*stride+2]
			dst[i] = float64(int16(u16(b, le))) * scale
		}
	case UInt16:
		for i := range dst {
			b := p[i*stride : i*stride+2]
			dst[i] = float64(u16(b, le)) * scale
		}
	case Int32:
		for i := range dst {
			b := p[i*stride : i*stride+4]
			dst[i] = float64(int32(u32(b, le))) * scale
		}
	case Float32:
		for i := range dst {
			b := p[i*stride : i*stride+4]
			dst[i] = float64(math.Float32frombits(u32(b, le))) * scale
		}
	}
}

func u16(b []byte, le bool) uint16 {
	if le {
		return binary.LittleEndian.Uint16(b)
	}
	return binary.BigEndian.Uint16(b)
}

func u32(b []byte, le bool) uint32 {
	if le {
		return binary.LittleEndian.Uint32(b)
	}
	return binary.BigEndian.Uint32(b)
}

var _ formats.Recording = (*Reader)(nil)
