package xdf

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/neurostream/neurostream/formats"
)

// Options picks the streams of a multi-stream file that make its
// formats.Recording.
type Options struct {
	// Stream names the session stream: the first regularly sampled
	// numeric stream whose name is Stream, or else whose type is Stream
	// (in any case). Default: "" — the first such stream of type EEG
	// with samples, else the first of type EEG, else the first with
	// samples, else the first.
	Stream string
	// Markers names the streams whose samples become annotations, by
	// name or type (types in any case). Default: nil — every marker
	// stream: every string stream and every irregular (nominal rate 0)
	// numeric stream with one channel.
	Markers []string
	// Sync says how time stamps are synchronised and dejittered.
	// Default: pyxdf's load_xdf defaults.
	Sync Sync
}

// Reader is an XDF file read as a formats.Recording: one stream is the
// session, marker streams are its annotations. Open reads the file once
// for its headers, clock offsets and time stamps and the values of the
// marker streams; ReadSamples reads the session's values from the file
// on demand.
type Reader struct {
	rd      io.ReaderAt
	closer  io.Closer
	file    *File
	session *Stream
	blocks  []block
	scale   []float64
	info    formats.Info
	buf     []byte
}

// Open opens the XDF file at path.
func Open(path string, opt Options) (*Reader, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	r, err := NewReader(fh, st.Size(), path, opt)
	if err != nil {
		fh.Close()
		return nil, err
	}
	r.closer = fh
	return r, nil
}

// NewReader reads size bytes of rd as an XDF file named name (in errors
// and warnings). rd must stay readable until the Reader is no longer
// used; Close does not close it.
func NewReader(rd io.ReaderAt, size int64, name string, opt Options) (*Reader, error) {
	if err := opt.Sync.Validate(); err != nil {
		return nil, err
	}
	p := newParser(rd, size, name, func(s *Stream) valueMode {
		if s.Format.Numeric() && s.NominalRate > 0 {
			return indexValues
		}
		return keepValues
	})
	if err := p.run(); err != nil {
		return nil, err
	}
	process(p.f, opt.Sync, p.fileWarn)
	p.summarizeWarnings()
	r := &Reader{rd: rd, file: p.f}
	s, err := pickSession(p.f, opt.Stream)
	if err != nil {
		return nil, err
	}
	r.session = s
	r.blocks = p.states[s.ID].blocks
	markers, err := pickMarkers(p.f, s, opt.Markers)
	if err != nil {
		return nil, err
	}
	r.info = formats.Info{
		Format:     strings.TrimSpace("XDF " + p.f.Version),
		SampleRate: s.NominalRate,
		NSamples:   int64(s.Len()),
		Warnings:   slices.Clone(p.f.Warnings),
	}
	r.info.Channels, r.scale = Channels(s.Type, s.NominalRate, s.ChannelCount, s.Channels)
	for _, m := range markers {
		for i := range m.Len() {
			onset, ok := r.onset(m.Timestamps[i])
			if !ok {
				continue
			}
			r.info.Annotations = append(r.info.Annotations, formats.Annotation{Onset: onset, Description: markerText(m, i)})
		}
	}
	slices.SortStableFunc(r.info.Annotations, func(a, b formats.Annotation) int {
		switch {
		case a.Onset < b.Onset:
			return -1
		case a.Onset > b.Onset:
			return 1
		}
		return 0
	})
	return r, nil
}

// pickSession finds the session stream (see Options.Stream).
func pickSession(f *File, want string) (*Stream, error) {
	regular := func(s *Stream) bool { return s.Format.Numeric() && s.NominalRate > 0 && s.ChannelCount > 0 }
	if want != "" {
		for _, match := range []func(*Stream) bool{
			func(s *Stream) bool { return s.Name == want },
			func(s *Stream) bool { return strings.EqualFold(s.Type, want) },
		} {
			for _, s := range f.Streams {
				if match(s) && regular(s) {
					return s, nil
				}
			}
		}
		return nil, &formats.Error{File: f.Name, Offset: -1, Field: "streams", Msg: fmt.Sprintf("no regularly sampled numeric stream named or typed %q; streams: %s", want, describe(f))}
	}
	eeg := func(s *Stream) bool { return strings.EqualFold(strings.TrimSpace(s.Type), "EEG") }
	for _, pick := range []func(*Stream) bool{
		func(s *Stream) bool { return eeg(s) && s.Len() > 0 },
		eeg,
		func(s *Stream) bool { return s.Len() > 0 },
		func(*Stream) bool { return true },
	} {
		for _, s := range f.Streams {
			if regular(s) && pick(s) {
				return s, nil
			}
		}
	}
	return nil, &formats.Error{File: f.Name, Offset: -1, Field: "streams", Msg: "no regularly sampled numeric stream to read as a recording; streams: " + describe(f)}
}

// pickMarkers finds the streams whose samples become annotations (see
// Options.Markers).
func pickMarkers(f *File, session *Stream, want []string) ([]*Stream, error) {
	var out []*Stream
	for _, s := range f.Streams {
		if s == session {
			continue
		}
		if want == nil {
			if s.Format == String || (s.NominalRate == 0 && s.ChannelCount == 1) {
				out = append(out, s)
			}
			continue
		}
		for _, w := range want {
			if s.Name == w || strings.EqualFold(s.Type, w) {
				if s.Format.Numeric() && s.NominalRate > 0 {
					return nil, &formats.Error{File: f.Name, Offset: -1, Field: "markers", Msg: fmt.Sprintf("stream %d %q is regularly sampled (%g Hz): markers are string or irregular streams", s.ID, s.Name, s.NominalRate)}
				}
				out = append(out, s)
				break
			}
		}
	}
	for _, w := range want {
		found := false
		for _, s := range out {
			found = found || s.Name == w || strings.EqualFold(s.Type, w)
		}
		if !found {
			return nil, &formats.Error{File: f.Name, Offset: -1, Field: "markers", Msg: fmt.Sprintf("no marker stream named or typed %q; streams: %s", w, describe(f))}
		}
	}
	return out, nil
}

// describe lists a file's streams for an error message.
func describe(f *File) string {
	if len(f.Streams) == 0 {
		return "none"
	}
	var parts []string
	for _, s := range f.Streams {
		parts = append(parts, fmt.Sprintf("%d %q (%s, %d × %s, %g Hz)", s.ID, s.Name, s.Type, s.ChannelCount, s.Format, s.NominalRate))
	}
	return strings.Join(parts, ", ")
}

// markerText is the description of marker sample i: its channels' text
// joined by "/".
func markerText(m *Stream, i int) string {
	if m.ChannelCount == 1 {
		return m.Text(i, 0)
	}
	parts := make([]string, m.ChannelCount)
	for c := range parts {
		parts[c] = m.Text(i, c)
	}
	return strings.Join(parts, "/")
}

// onset maps a synchronised time t onto the session's samples: the
// fractional sample index at which t falls between the session's
// (synchronised, dejittered) time stamps, over the nominal rate, so that
// onset·SampleRate is the sample the marker belongs to, whatever the
// difference between the effective and the nominal rate and across gaps.
// Outside the session the first or last interval extrapolates. It reports
// false for a time that does not round to a sample of the session.
func (r *Reader) onset(t float64) (float64, bool) {
	ts := r.session.Timestamps
	n := len(ts)
	if n == 0 || math.IsNaN(t) {
		return 0, false
	}
	rate := r.session.NominalRate
	frac := func(j int) float64 {
		if d := ts[j+1] - ts[j]; d > 0 {
			return float64(j) + (t-ts[j])/d
		}
		return float64(j)
	}
	var idx float64
	switch {
	case n == 1:
		idx = (t - ts[0]) * rate
	case t < ts[0]:
		idx = frac(0)
	case t >= ts[n-1]:
		idx = frac(n - 2)
	default:
		// Time stamps that go back (a clock reset pyxdf did not
		// catch) or are NaN leave the search some interval; clamped.
		j := sort.Search(n, func(k int) bool { return ts[k] > t }) - 1
		idx = frac(min(max(j, 0), n-2))
	}
	onset := idx / rate
	if !(onset >= 0) || !(math.Round(onset*rate) < float64(n)) {
		return 0, false
	}
	return onset, true
}

// Info describes the session stream.
func (r *Reader) Info() *formats.Info { return &r.info }

// Stream returns the session stream: its header and synchronised time
// stamps (sample i of ReadSamples is at Timestamps[i] on the recording
// computer's clock); its values are read through ReadSamples, not held.
func (r *Reader) Stream() *Stream { return r.session }

// File returns every stream of the file with its synchronised time
// stamps; values are held for string and irregular streams only (the
// marker candidates).
func (r *Reader) File() *File { return r.file }

// Close closes the file Open opened.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
}

// maxRead bounds one ReadAt of ReadSamples: consecutive blocks of a
// chunk are read together up to this many bytes.
const maxRead = 1 << 20

// ReadSamples reads the session's samples [start, stop) into dst in SI
// units (see siUnit), decoding only the blocks of samples that cover the
// range, without allocating once its buffer has grown.
func (r *Reader) ReadSamples(dst [][]float64, start, stop int64) error {
	if err := formats.CheckRange(&r.info, dst, start, stop); err != nil {
		return err
	}
	if start == stop {
		return nil
	}
	s := r.session
	blocks := r.blocks
	bi := sort.Search(len(blocks), func(i int) bool { return blocks[i].first+int64(blocks[i].n) > start })
	for bi < len(blocks) && blocks[bi].first < stop {
		// Blocks of one chunk are contiguous: read as many as needed in
		// one call.
		bj := bi + 1
		for bj < len(blocks) && blocks[bj].first < stop && blocks[bj].off == blocks[bj-1].end && blocks[bj].end-blocks[bi].off <= maxRead {
			bj++
		}
		off, end := blocks[bi].off, blocks[bj-1].end
		if int64(cap(r.buf)) < end-off {
			r.buf = make([]byte, end-off)
		}
		b := r.buf[:end-off]
		if _, err := r.rd.ReadAt(b, off); err != nil {
			return &formats.Error{File: r.file.Name, Offset: off, Field: fmt.Sprintf("stream %d samples", s.ID), Err: err}
		}
		pos := 0
		for k := bi; k < bj; k++ {
			if pos = r.decode(dst, b, pos, blocks[k], start, stop); pos < 0 {
				return &formats.Error{File: r.file.Name, Offset: blocks[k].off, Field: fmt.Sprintf("stream %d samples", s.ID), Msg: "not what Open read there: the file changed"}
			}
		}
		bi = bj
	}
	return nil
}

// decode converts the samples of block bl, which start at b[pos:], that
// fall in [start, stop), and returns the position after the block, or -1
// if the block does not fit the bytes it spans (the file was changed).
func (r *Reader) decode(dst [][]float64, b []byte, pos int, bl block, start, stop int64) int {
	s := r.session
	size := s.Format.Size()
	w := s.ChannelCount * size
	le := binary.LittleEndian
	for k := range bl.n {
		if pos >= len(b) {
			return -1
		}
		if b[pos] != 0 {
			pos += 9
		} else {
			pos++
		}
		if pos+w > len(b) {
			return -1
		}
		idx := bl.first + int64(k)
		if idx < start || idx >= stop {
			pos += w
			continue
		}
		i := idx - start
		v := b[pos : pos+w]
		for c := range s.ChannelCount {
			var x float64
			switch s.Format {
			case Int8:
				x = float64(int8(v[c]))
			case Int16:
				x = float64(int16(le.Uint16(v[2*c:])))
			case Int32:
				x = float64(int32(le.Uint32(v[4*c:])))
			case Int64:
				x = float64(int64(le.Uint64(v[8*c:])))
			case Float32:
				x = float64(math.Float32frombits(le.Uint32(v[4*c:])))
			case Double64:
				x = math.Float64frombits(le.Uint64(v[8*c:]))
			}
			dst[c][i] = x * r.scale[c]
		}
		pos += w
	}
	return pos
}

// Channels describes count channels of a stream of type streamType
// sampled at rate Hz from their desc/channels/channel meta-data (chans may
// be shorter than count, or nil) as Open reads them, and returns the
// factors that convert each channel's values to the returned Unit: labels
// trimmed, an empty one the channel's index ("0", "1", …), duplicates made
// unique as MNE does; units µV, mV, fT, … converted to V, T or T/m, others
// kept with factor 1, none as "NA"; types as the package doc says, stim
// channels unscaled. neurostream ingest lsl describes live LSL streams
// with it, so a stream and its XDF recording have the same channels.
func Channels(streamType string, rate float64, count int, chans []ChannelInfo) ([]formats.Channel, []float64) {
	labels := make([]string, count)
	scale := make([]float64, count)
	out := make([]formats.Channel, count)
	for c := range count {
		var ci ChannelInfo
		if c < len(chans) {
			ci = chans[c]
		}
		labels[c] = strings.TrimSpace(ci.Label)
		if labels[c] == "" {
			labels[c] = strconv.Itoa(c)
		}
		unit, f := siUnit(strings.TrimSpace(ci.Unit))
		typ := channelType(ci.Type, streamType, unit)
		if typ == formats.Stim {
			unit, f = strings.TrimSpace(ci.Unit), 1
		}
		if unit == "" {
			// MNE's name for no unit; the wire format needs one.
			unit = "NA"
		}
		scale[c] = f
		out[c] = formats.Channel{Type: typ, Unit: unit, SampleRate: rate}
	}
	formats.UniqueLabels(labels)
	for c := range labels {
		out[c].Label = labels[c]
	}
	return out, scale
}

// siUnit maps a channel's unit to SI: the SI unit and the factor to it,
// or the unit unchanged with factor 1 when it is not a known electrical
// or magnetic unit (or empty: LSL does not default a unit; the Reader
// reports an empty one as "NA").
func siUnit(u string) (string, float64) {
	if x, ok := units[u]; ok {
		return x.si, x.scale
	}
	if x, ok := unitWords[strings.ToLower(u)]; ok {
		return x.si, x.scale
	}
	return u, 1
}

type unit struct {
	si    string
	scale float64
}

// units are the symbols, case-sensitive (mV is not MV).
var units = map[string]unit{
	"V": {"V", 1}, "mV": {"V", 1e-3}, "uV": {"V", 1e-6}, "µV": {"V", 1e-6}, "μV": {"V", 1e-6}, "nV": {"V", 1e-9},
	"T": {"T", 1}, "mT": {"T", 1e-3}, "uT": {"T", 1e-6}, "µT": {"T", 1e-6}, "μT": {"T", 1e-6}, "nT": {"T", 1e-9}, "pT": {"T", 1e-12}, "fT": {"T", 1e-15},
	"T/m": {"T/m", 1}, "T/cm": {"T/m", 1e2}, "pT/m": {"T/m", 1e-12}, "fT/m": {"T/m", 1e-15}, "fT/cm": {"T/m", 1e-13},
}

// unitWords are the spelled-out units the XDF meta-data conventions use
// ("microvolts"), in any case.
var unitWords = map[string]unit{
	"volt": {"V", 1}, "volts": {"V", 1}, "millivolt": {"V", 1e-3}, "millivolts": {"V", 1e-3},
	"microvolt": {"V", 1e-6}, "microvolts": {"V", 1e-6}, "nanovolt": {"V", 1e-9}, "nanovolts": {"V", 1e-9},
	"tesla": {"T", 1}, "millitesla": {"T", 1e-3}, "microtesla": {"T", 1e-6}, "nanotesla": {"T", 1e-9},
	"picotesla": {"T", 1e-12}, "femtotesla": {"T", 1e-15},
}

// channelType maps a channel's type (or, when it has none, its stream's)
// onto the wire's types, as MNE names them: EEG, EOG, ECG (or EKG), EMG;
// MEG by unit (T: magnetometer, T/m: gradiometer; MAG and GRAD directly);
// STIM, TRIGGER and MARKER(S) are stim channels; anything else is misc.
func channelType(ch, stream, si string) formats.ChannelType {
	t := strings.ToUpper(strings.TrimSpace(ch))
	if t == "" {
		t = strings.ToUpper(strings.TrimSpace(stream))
	}
	switch t {
	case "EEG":
		return formats.EEG
	case "EOG":
		return formats.EOG
	case "ECG", "EKG":
		return formats.ECG
	case "EMG":
		return formats.EMG
	case "MAG":
		return formats.MEGMag
	case "GRAD":
		return formats.MEGGrad
	case "MEG":
		switch si {
		case "T":
			return formats.MEGMag
		case "T/m":
			return formats.MEGGrad
		}
	case "STIM", "TRIGGER", "MARKER", "MARKERS":
		return formats.Stim
	}
	return formats.Misc
}
