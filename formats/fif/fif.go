// Package fif reads Neuromag/MEGIN FIF raw recordings (Vectorview, TRIUX,
// and raw files written by MNE, MaxShield included) and their -eve.fif
// event files, streaming data buffers from disk as
// mne.io.read_raw_fif(preload=True, allow_maxshield=True) returns them.
//
// Values are stored numbers times range*cal per channel (T, T/m, V);
// projectors and compensation are not applied, as in MNE. Sample 0 is MNE's
// first_samp (see FirstSample); FIFF_DATA_SKIP gaps read as zeros and are
// annotated BAD_ACQ_SKIP (FIFF_DATA_SKIP_SAMP is ignored, as MNE ignores
// it). Channel.Pos is loc[0:3] as stored: device frame for MEG, head frame
// for EEG. Deviations: complex buffers and gzip-compressed files are
// refused (a .fif.gz cannot be read by sample); channels MNE cannot
// type (unknown kind, MEG in neither T nor T/m) are Misc.
package fif

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/mneannot"
)

// maxParts bounds how many split files one recording may chain.
const maxParts = 1000

// maxSamples bounds the sample count so sample arithmetic stays exact.
const maxSamples = 1 << 53

// elem is the encoding of a data buffer's values.
type elem uint8

const (
	elemInt16 elem = iota + 1
	elemInt32
	elemFloat32
	elemFloat64
)

func (e elem) size() int64 {
	switch e {
	case elemInt16:
		return 2
	case elemInt32, elemFloat32:
		return 4
	}
	return 8
}

// buffer is one FIFF_DATA_BUFFER (or acquisition skip) in the sample index.
type buffer struct {
	start int64 // first sample, counted from the reader's sample 0
	n     int64
	pos   int64 // byte offset of the data; -1 for a skip (zeros)
	part  int32 // which file of a split recording
	elem  elem
}

var _ formats.Recording = (*Reader)(nil)

// Reader is an open FIF raw recording. It is not safe for concurrent use.
type Reader struct {
	info      formats.Info
	parts     []*file
	closers   []io.Closer
	cals      []float64
	bufs      []buffer
	firstSamp int64
	measDate  time.Time
	maxShield bool
	scratch   []byte
}

// Open opens a FIF raw file and, for a recording split across files, the
// files it continues in (named by its FIFFB_REF block, looked up beside it).
func Open(path string) (*Reader, error) {
	var parts []*part
	var closers []io.Closer
	fail := func(err error) (*Reader, error) {
		for _, c := range closers {
			c.Close()
		}
		return nil, err
	}
	seen := map[string]bool{}
	for p := path; p != ""; {
		if len(parts) == maxParts {
			return fail(&formats.Error{File: path, Offset: -1, Field: "split files", Msg: fmt.Sprintf("more than %d split files", maxParts)})
		}
		if seen[filepath.Clean(p)] {
			return fail(&formats.Error{File: p, Offset: -1, Field: "split files", Msg: "the split file chain loops back to this file"})
		}
		seen[filepath.Clean(p)] = true
		fh, err := os.Open(p)
		if err != nil {
			if len(parts) > 0 {
				err = &formats.Error{File: parts[len(parts)-1].f.name, Offset: -1, Field: "next split file",
					Msg: fmt.Sprintf("the recording continues in %s, which cannot be opened", p), Err: err}
			}
			return fail(err)
		}
		closers = append(closers, fh)
		st, err := fh.Stat()
		if err != nil {
			return fail(err)
		}
		pt, err := parsePart(&file{r: fh, size: st.Size(), name: p})
		if err != nil {
			return fail(err)
		}
		parts = append(parts, pt)
		p = ""
		if pt.next != "" {
			p = filepath.Join(filepath.Dir(pt.f.name), pt.next)
		}
	}
	r, err := newReader(parts)
	if err != nil {
		return fail(err)
	}
	r.closers = closers
	return r, nil
}

// NewReader reads a FIF raw recording from r, which holds size bytes; name
// is used in errors. A recording split across files cannot be followed from
// an io.ReaderAt: NewReader returns an error naming the next file.
func NewReader(r io.ReaderAt, size int64, name string) (*Reader, error) {
	pt, err := parsePart(&file{r: r, size: size, name: name})
	if err != nil {
		return nil, err
	}
	if pt.next != "" {
		return nil, &formats.Error{File: name, Offset: -1, Field: "next split file",
			Msg: fmt.Sprintf("the recording continues in split file %q; open it by path with fif.Open to read all parts", pt.next)}
	}
	return newReader([]*part{pt})
}

// part is one file of a (possibly split) recording.
type part struct {
	f         *file
	meas      *measInfo
	ann       *fileAnnotations
	firstTag  int64 // FIFF_FIRST_SAMPLE
	first     int64 // first sample after an initial skip
	end       int64 // one past the last sample
	bufs      []buffer
	skips     []buffer // acquisition skips, zero-length ones included
	next      string
	maxShield bool
}

// parsePart reads one file's header, measurement info and raw data
// directory like MNE's Raw._read_raw_file.
func parsePart(f *file) (*part, error) {
	root, err := f.open()
	if err != nil {
		return nil, err
	}
	m, meas, err := f.readMeasInfo(root)
	if err != nil {
		return nil, err
	}
	p := &part{f: f, meas: m}
	if p.ann, err = f.readAnnotations(root); err != nil {
		return nil, err
	}
	raw := meas.find(blockRawData)
	if len(raw) == 0 {
		raw = meas.find(blockContinuousData)
	}
	if len(raw) == 0 {
		raw = meas.find(blockIASRawData)
		p.maxShield = len(raw) > 0
	}
	if len(raw) == 0 {
		return nil, f.errorf(-1, "FIFFB_RAW_DATA", "no raw data block: not a raw FIF file (an epochs, evoked or event file?)")
	}
	if len(raw) > 1 {
		return nil, f.errorf(-1, "FIFFB_RAW_DATA", "%d raw data blocks; want one", len(raw))
	}
	if err := p.index(raw[0]); err != nil {
		return nil, err
	}
	if p.next, err = f.nextFile(root); err != nil {
		return nil, err
	}
	return p, nil
}

// index builds the buffer index from the raw data block's tags.
func (p *part) index(raw *node) error {
	f := p.f
	dir := raw.entries
	nchan := int64(len(p.meas.chs))
	noData := func() error {
		return f.errorf(-1, "FIFFB_RAW_DATA", "the raw data block holds no data buffers")
	}
	if len(dir) == 0 {
		return noData()
	}
	k := 0
	if dir[k].kind == kindFirstSample {
		v, err := f.integer(dir[k], "FIFF_FIRST_SAMPLE")
		if err != nil {
			return err
		}
		p.firstTag = v
		k++
		if k >= len(dir) {
			return noData()
		}
	}
	var firstSkip int64
	if dir[k].kind == kindDataSkip {
		v, err := f.integer(dir[k], "FIFF_DATA_SKIP")
		if err != nil {
			return err
		}
		firstSkip = v
		k++
		if k >= len(dir) {
			return noData()
		}
	}
	cur := p.firstTag
	p.first = cur
	var nskip int64
	tooLong := func(t tag) error {
		return f.errorf(t.pos, "data buffers", "the recording would exceed %d samples", int64(maxSamples))
	}
	for _, t := range dir[k:] {
		switch t.kind {
		case kindDataSkip:
			v, err := f.integer(t, "FIFF_DATA_SKIP")
			if err != nil {
				return err
			}
			nskip = v
		case kindDataBuffer:
			var e elem
			switch t.typ {
			case typeDAUPack16, typeShort:
				e = elemInt16
			case typeInt:
				e = elemInt32
			case typeFloat:
				e = elemFloat32
			case typeDouble:
				e = elemFloat64
			case typeComplexFloat, typeComplexDouble:
				return f.errorf(t.pos+4, "FIFF_DATA_BUFFER", "complex data buffers (type %d) are not supported", t.typ)
			default:
				return f.errorf(t.pos+4, "FIFF_DATA_BUFFER", "cannot handle data buffers of type %d", t.typ)
			}
			row := e.size() * nchan
			if t.size%row != 0 {
				return f.errorf(t.pos+8, "FIFF_DATA_BUFFER", "%d bytes is not a whole number of %d-channel samples of %d bytes",
					t.size, nchan, e.size())
			}
			n := t.size / row
			if firstSkip > 0 {
				if n > 0 && firstSkip > (maxSamples-abs(cur))/n {
					return tooLong(t)
				}
				cur += n * firstSkip
				p.first = cur
				firstSkip = 0
			}
			if nskip > 0 {
				if n > 0 && nskip > (maxSamples-abs(cur))/n {
					return tooLong(t)
				}
				s := buffer{start: cur, n: nskip * n, pos: -1, part: -1}
				p.skips = append(p.skips, s)
				if s.n > 0 {
					p.bufs = append(p.bufs, s)
				}
				cur += s.n
				nskip = 0
			}
			if n > maxSamples-abs(cur) {
				return tooLong(t)
			}
			if n > 0 {
				p.bufs = append(p.bufs, buffer{start: cur, n: n, pos: t.data(), elem: e})
			}
			cur += n
		}
	}
	if len(p.bufs) == 0 && len(p.skips) == 0 {
		return noData()
	}
	p.end = cur
	return nil
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// nextFile returns the name of the file a split recording continues in, or
// "" (MNE's _get_next_fname). Only the base name is kept: the next part is
// looked up beside this one.
func (f *file) nextFile(root *node) (string, error) {
	for _, ref := range root.find(blockRef) {
		next := ""
	entries:
		for _, t := range ref.entries {
			switch t.kind {
			case kindRefRole:
				role, err := f.integer(t, "FIFF_REF_ROLE")
				if err != nil {
					return "", err
				}
				if role != roleNextFile {
					next = ""
					break entries
				}
			case kindRefFileName:
				s, err := f.str(t, "FIFF_REF_FILE_NAME")
				if err != nil {
					return "", err
				}
				next = s
			case kindRefFileNum:
				if next != "" {
					continue
				}
				num, err := f.integer(t, "FIFF_REF_FILE_NUM")
				if err != nil {
					return "", err
				}
				next = splitName(filepath.Base(f.name), num)
			}
		}
		if next != "" {
			next = filepath.Base(strings.ReplaceAll(next, "\\", "/"))
			if next == "." || next == "/" || next == ".." {
				return "", f.errorf(-1, "FIFF_REF_FILE_NAME", "next split file name %q is not a file name", next)
			}
			return next, nil
		}
	}
	return "", nil
}

// splitName builds the name of split part num from this part's name the
// way MNE does when a file records only the part number: name-1.fif after
// name.fif, name-2.fif after name-1.fif.
func splitName(base string, num int64) string {
	idx := strings.Index(base, ".")
	idx2 := strings.LastIndex(base, "-")
	if idx2 < 0 || idx <= idx2+1 || strings.Trim(base[idx2+1:idx], "0123456789") != "" {
		idx2 = -1
	}
	if idx < 0 {
		idx = len(base)
	}
	rest := ""
	if idx < len(base) {
		rest = base[idx+1:]
	}
	stem := base[:idx]
	if idx2 >= 0 {
		stem = base[:idx2]
	}
	return fmt.Sprintf("%s-%d.%s", stem, num, rest)
}

// newReader joins the parts into one recording, as MNE concatenates split
// files: their samples follow each other and the annotations come from the
// first part plus every part's acquisition skips.
func newReader(parts []*part) (*Reader, error) {
	p0 := parts[0]
	m := p0.meas
	r := &Reader{
		firstSamp: p0.first,
		measDate:  m.measDate,
		maxShield: p0.maxShield,
		cals:      make([]float64, len(m.chs)),
	}
	labels := make([]string, len(m.chs))
	for i := range m.chs {
		labels[i] = m.chs[i].name
	}
	formats.UniqueLabels(labels)
	chans := make([]formats.Channel, len(m.chs))
	for i := range m.chs {
		c := &m.chs[i]
		r.cals[i] = c.rng * c.cal
		chans[i] = formats.Channel{
			Label:      labels[i],
			Type:       channelType(c),
			Unit:       unitName(c.unit),
			SampleRate: m.sfreq,
			Pos:        position(c),
		}
	}
	var n int64
	var skips []buffer
	for i, p := range parts {
		r.parts = append(r.parts, p.f)
		if i > 0 {
			if err := compatible(p0, p); err != nil {
				return nil, err
			}
		}
		for _, b := range p.bufs {
			b.start += n - p.first
			if b.pos >= 0 {
				b.part = int32(i)
			}
			r.bufs = append(r.bufs, b)
		}
		skips = append(skips, p.skips...)
		if n += p.end - p.first; n > maxSamples {
			return nil, p.f.errorf(-1, "data buffers", "the recording would exceed %d samples", int64(maxSamples))
		}
	}
	ann := p0.ann.annotations(m, p0.firstTag, p0.first, n)
	stored := 0
	if p0.ann != nil {
		stored = len(p0.ann.onset)
	}
	dropped := stored - len(ann)
	for _, s := range skips {
		ann = append(ann, formats.Annotation{
			Onset:       float64(s.start)/m.sfreq - float64(p0.first)/m.sfreq,
			Duration:    float64(s.n) / m.sfreq,
			Description: "BAD_ACQ_SKIP",
		})
	}
	mneannot.Sort(ann)
	r.info = formats.Info{
		Format:      "FIF",
		Channels:    chans,
		SampleRate:  m.sfreq,
		NSamples:    n,
		Annotations: ann,
	}
	if dropped > 0 {
		// MNE: "Omitted N annotation(s) that were outside data range."
		r.info.Warn(p0.f.name, "annotations", "%d of the %d stored lie outside the data (%g s) and are dropped, as MNE does", dropped, stored, float64(n)/m.sfreq)
	}
	if m.hasDate {
		r.info.StartTime = m.measDate.Add(time.Duration(math.Round(float64(p0.first) / m.sfreq * 1e9)))
	}
	return r, nil
}

// compatible checks that a split part continues the first part's
// recording, as MNE's _check_raw_compatibility does.
func compatible(p0, p *part) error {
	a, b := p0.meas, p.meas
	if len(a.chs) != len(b.chs) || a.sfreq != b.sfreq {
		return p.f.errorf(-1, "split file", "%d channels at %v Hz do not continue %s (%d channels at %v Hz)",
			len(b.chs), b.sfreq, p0.f.name, len(a.chs), a.sfreq)
	}
	for i := range a.chs {
		if a.chs[i].name != b.chs[i].name {
			return p.f.errorf(-1, "split file", "channel %d is %q, in %s it is %q", i, b.chs[i].name, p0.f.name, a.chs[i].name)
		}
	}
	return nil
}

// Info describes the recording. Info().StartTime is the time of sample 0,
// MeasDate plus FirstSample samples.
func (r *Reader) Info() *formats.Info { return &r.info }

// FirstSample is the acquisition sample number of sample 0 (MNE's
// raw.first_samp): event files and the FIFF_FIRST_SAMPLE tag count from
// the start of the acquisition, so event sample s is ReadSamples index
// s-FirstSample().
func (r *Reader) FirstSample() int64 { return r.firstSamp }

// MeasDate is MNE's info["meas_date"], the time of acquisition sample 0
// (not of ReadSamples' sample 0 when FirstSample is not 0); the zero Time
// when the file has none.
func (r *Reader) MeasDate() time.Time { return r.measDate }

// MaxShield reports whether the data are internal active shielding
// (MaxShield) raw data that have not been through MaxFilter (SSS): such
// data may be distorted.
func (r *Reader) MaxShield() bool { return r.maxShield }

// Close closes the files Open opened. It does not close the io.ReaderAt
// given to NewReader.
func (r *Reader) Close() error {
	var first error
	for _, c := range r.closers {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	r.closers = nil
	return first
}

// chunkBytes bounds one read, and so the scratch buffer.
const chunkBytes = 1 << 20

// ReadSamples fills dst[c][i] with channel c's sample start+i as MNE
// returns it: the stored value times range*cal. Only the data buffers that
// overlap [start, stop) are read, and of those only the rows in range.
func (r *Reader) ReadSamples(dst [][]float64, start, stop int64) error {
	if err := formats.CheckRange(&r.info, dst, start, stop); err != nil {
		return err
	}
	nchan := int64(len(r.cals))
	i := sort.Search(len(r.bufs), func(i int) bool { return r.bufs[i].start+r.bufs[i].n > start })
	for ; i < len(r.bufs) && r.bufs[i].start < stop; i++ {
		b := &r.bufs[i]
		lo, hi := max(start, b.start), min(stop, b.start+b.n)
		if b.pos < 0 {
			for c := range dst {
				clear(dst[c][lo-start : hi-start])
			}
			continue
		}
		row := b.elem.size() * nchan
		rows := max(1, chunkBytes/row)
		for s := lo; s < hi; s += rows {
			e := min(hi, s+rows)
			need := (e - s) * row
			if int64(cap(r.scratch)) < need {
				r.scratch = make([]byte, need)
			}
			buf := r.scratch[:need]
			f := r.parts[b.part]
			if err := f.readAt(buf, b.pos+(s-b.start)*row, "FIFF_DATA_BUFFER"); err != nil {
				return err
			}
			decode(dst, buf, s-start, e-s, b.elem, r.cals)
		}
	}
	return nil
}

// decodeBlock is how many rows decode converts per pass over the
// channels: small enough that the rows stay in L1 cache while each
// channel's run is written contiguously.
const decodeBlock = 32

// decode converts n rows of big-endian sample-major values into
// dst[c][at:at+n], scaled by cals.
func decode(dst [][]float64, buf []byte, at, n int64, e elem, cals []float64) {
	be := binary.BigEndian
	w := e.size()
	row := w * int64(len(cals))
	for b0 := int64(0); b0 < n; b0 += decodeBlock {
		b1 := min(n, b0+decodeBlock)
		blk := buf[b0*row : b1*row]
		for c, cal := range cals {
			d := dst[c][at+b0 : at+b1]
			p := blk[int64(c)*w:]
			switch e {
			case elemInt16:
				for i := range d {
					d[i] = float64(int16(be.Uint16(p[int64(i)*row:]))) * cal
				}
			case elemInt32:
				for i := range d {
					d[i] = float64(int32(be.Uint32(p[int64(i)*row:]))) * cal
				}
			case elemFloat32:
				for i := range d {
					d[i] = float64(math.Float32frombits(be.Uint32(p[int64(i)*row:]))) * cal
				}
			case elemFloat64:
				for i := range d {
					d[i] = math.Float64frombits(be.Uint64(p[int64(i)*row:])) * cal
				}
			}
		}
	}
}
