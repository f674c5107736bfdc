package brainvision

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/pyparse"
)

// Orientation is the layout of samples in the binary data file.
type Orientation int

const (
	// Multiplexed stores one sample of every channel, then the next:
	// ch1 pt1, ch2 pt1, …, ch1 pt2, ….
	Multiplexed Orientation = iota
	// Vectorized stores all samples of channel 1, then of channel 2, ….
	Vectorized
)

func (o Orientation) String() string {
	if o == Vectorized {
		return "VECTORIZED"
	}
	return "MULTIPLEXED"
}

// BinaryFormat is the sample type of the binary data file (little-endian
// unless the header says UseBigEndianOrder=YES).
type BinaryFormat int

const (
	Int16 BinaryFormat = iota
	Int32
	UInt16
	Float32
)

var binaryFormats = map[string]BinaryFormat{
	"INT_16":        Int16,
	"INT_32":        Int32,
	"UINT_16":       UInt16,
	"IEEE_FLOAT_32": Float32,
}

func (f BinaryFormat) String() string {
	switch f {
	case Int32:
		return "INT_32"
	case UInt16:
		return "UINT_16"
	case Float32:
		return "IEEE_FLOAT_32"
	}
	return "INT_16"
}

// Size is the number of bytes per sample.
func (f BinaryFormat) Size() int {
	if f == Int16 || f == UInt16 {
		return 2
	}
	return 4
}

// Header is a parsed .vhdr header file.
type Header struct {
	// Version is the format version named on the first line (1 or 2), or
	// 0 when the line is not a recognised BrainVision header line (MNE
	// only warns about that, and so this package accepts it).
	Version int
	// Codepage is the declared text encoding ("UTF-8", "ANSI", …), empty
	// when the header declares none (UTF-8, falling back to latin-1 for
	// text that is not valid UTF-8, as MNE does).
	Codepage string
	// DataFile and MarkerFile are the file names as written, relative to
	// the header's folder unless absolute.
	DataFile, MarkerFile string
	Orientation          Orientation
	Format               BinaryFormat
	// BigEndian is UseBigEndianOrder=YES in [Binary Infos].
	BigEndian bool
	// SamplingInterval is the time between samples in microseconds.
	SamplingInterval float64
	// DataPoints is the sample count the header states, 0 when absent.
	// Like MNE, the reader uses it for vectorized files only and counts
	// the samples of a multiplexed file from its size (warning when they
	// differ).
	DataPoints int64
	// Channels lists the channels in data order (Ch1, Ch2, …).
	Channels []Channel
}

// Channel is one [Channel Infos] entry.
type Channel struct {
	// Name with "\1" decoded to ",".
	Name string
	// Reference is the reference channel's name, often empty.
	Reference string
	// Resolution is the value of one binary step in Unit.
	Resolution float64
	// Unit as written, "µV" when the entry omits it (the BrainVision
	// default MNE applies).
	Unit string
	// Coordinates are [Coordinates] radius (mm, 1 = idealised sphere),
	// theta and phi (degrees), or nil when the header has none for this
	// channel.
	Coordinates *[3]float64
}

// SampleRate returns the sampling rate in Hz.
func (h *Header) SampleRate() float64 { return 1e6 / h.SamplingInterval }

var headerVersion = regexp.MustCompile(`Brain ?Vision( Core| V-Amp)? Data( Exchange)? Header File,? Version ([12])\.0`)

// ParseHeader reads a .vhdr header. It accepts what MNE's
// read_raw_brainvision accepts (binary data only) and reads it the same
// way; errors are *formats.Error naming the field and its byte offset.
// When r is an *os.File its name appears in errors.
func ParseHeader(r io.Reader) (*Header, error) {
	name := "header"
	if n, ok := r.(interface{ Name() string }); ok {
		name = n.Name()
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, &formats.Error{File: name, Offset: -1, Msg: "reading header", Err: err}
	}
	return parseHeader(name, b)
}

func parseHeader(name string, b []byte) (*Header, error) {
	h := &Header{}
	ini, err := readINI(name, h, b)
	if err != nil {
		return nil, err
	}
	p := &headerParser{name: name, ini: ini, h: h}
	// NeurOne exports spell the section "Common infos".
	common := ini.section("Common Infos")
	if common == nil {
		common = ini.section("Common infos")
	}
	if common == nil {
		return nil, p.fail(-1, "[Common Infos]", "section missing")
	}
	if err := p.commonInfos(common); err != nil {
		return nil, err
	}
	byKey, err := p.channelInfos(common)
	if err != nil {
		return nil, err
	}
	if err := p.coordinates(byKey); err != nil {
		return nil, err
	}
	return h, nil
}

// readINI reads the header's version line and Codepage into h, and
// decodes the rest, up to [Comment], as INI.
func readINI(name string, h *Header, b []byte) (*iniFile, error) {
	// MNE reads the first line on its own (its characters are ASCII in
	// every encoding) and only warns when it is not a BrainVision one.
	first, rest := b, []byte(nil)
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		first, rest = b[:i+1], b[i+1:]
	}
	if m := headerVersion.FindSubmatch(asciiOnly(first)); m != nil {
		h.Version = int(m[3][0] - '0')
	}
	base := int64(len(first))

	c := codecUTF8
	if cp, ok := findCodepage(rest); ok {
		h.Codepage = cp
		if c, ok = lookupCodec(cp); !ok {
			return nil, &formats.Error{File: name, Offset: -1, Field: "Codepage", Msg: fmt.Sprintf("unknown encoding %q", cp)}
		}
	}
	c = c.resolve(rest)
	params := rest
	if i := bytes.Index(rest, []byte("[Comment]")); i >= 0 {
		params = rest[:i] // the free-text comment is not INI
	}
	var lines []iniLine
	for off := 0; off < len(params); {
		end := bytes.IndexByte(params[off:], '\n')
		next := off + end + 1
		if end < 0 {
			end, next = len(params)-off, len(params)
		}
		lines = append(lines, iniLine{text: c.decode(params[off : off+end]), off: base + int64(off)})
		off = next
	}
	if c == codecUTF8Sig && len(lines) > 0 {
		lines[0].text = strings.TrimPrefix(lines[0].text, "\ufeff")
	}
	ini, ierr := parseINI(lines)
	if ierr != nil {
		return nil, &formats.Error{File: name, Offset: ierr.off, Field: "header", Msg: ierr.msg}
	}
	return ini, nil
}

// headerParser reads a header's sections into h.
type headerParser struct {
	name string
	ini  *iniFile
	h    *Header
}

func (p *headerParser) fail(off int64, field, format string, args ...any) error {
	return &formats.Error{File: p.name, Offset: off, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// field names key of section s in errors.
func field(s *iniSection, key string) string { return "[" + s.name + "] " + key }

// get looks a key up as configparser does (case-insensitively).
func (p *headerParser) get(s *iniSection, key string) (string, int64, error) {
	v, ok := p.ini.get(s, strings.ToLower(key))
	if !ok {
		return "", s.off, p.fail(s.off, field(s, key), "missing")
	}
	return v.String(), v.off, nil
}

// commonInfos reads [Common Infos] and [Binary Infos], all but the
// channel count.
func (p *headerParser) commonInfos(common *iniSection) error {
	h := p.h
	v, off, err := p.get(common, "SamplingInterval")
	if err != nil {
		return err
	}
	si, ok := pyparse.ParseFloat(v)
	if !ok || !(si > 0) || math.IsInf(si, 0) {
		return p.fail(off, field(common, "SamplingInterval"), "%q is not a positive number of microseconds", v)
	}
	h.SamplingInterval = si

	if v, off, err = p.get(common, "DataOrientation"); err != nil {
		return err
	}
	switch v {
	case "MULTIPLEXED":
		h.Orientation = Multiplexed
	case "VECTORIZED":
		h.Orientation = Vectorized
	default:
		return p.fail(off, field(common, "DataOrientation"), "%q is not MULTIPLEXED or VECTORIZED", v)
	}

	if v, off, err = p.get(common, "DataFormat"); err != nil {
		return err
	}
	if v != "BINARY" {
		return p.fail(off, field(common, "DataFormat"), "%q: only BINARY data is supported", v)
	}
	if err := p.binaryInfos(); err != nil {
		return err
	}
	if h.DataFile, _, err = p.get(common, "DataFile"); err != nil {
		return err
	}
	if h.MarkerFile, _, err = p.get(common, "MarkerFile"); err != nil {
		return err
	}
	if dp, ok := p.ini.get(common, "datapoints"); ok {
		if n, ok := pyparse.ParseInt(dp.String()); ok && n > 0 {
			h.DataPoints = n
		}
	}
	return nil
}

// binaryInfos reads [Binary Infos].
func (p *headerParser) binaryInfos() error {
	bin := p.ini.section("Binary Infos")
	if bin == nil {
		return p.fail(-1, "[Binary Infos]", "section missing")
	}
	v, off, err := p.get(bin, "BinaryFormat")
	if err != nil {
		return err
	}
	var ok bool
	if p.h.Format, ok = binaryFormats[v]; !ok {
		return p.fail(off, field(bin, "BinaryFormat"), "%q is not INT_16, INT_32, UINT_16 or IEEE_FLOAT_32", v)
	}
	// MNE ignores this key and always reads little-endian; see the
	// package comment.
	if bo, ok := p.ini.get(bin, "usebigendianorder"); ok && strings.EqualFold(bo.String(), "YES") {
		p.h.BigEndian = true
	}
	return nil
}

// channelInfos reads NumberOfChannels and [Channel Infos], and returns
// each entry's channel index by key.
func (p *headerParser) channelInfos(common *iniSection) (map[string]int, error) {
	v, off, err := p.get(common, "NumberOfChannels")
	if err != nil {
		return nil, err
	}
	nch, ok := pyparse.ParseInt(v)
	if !ok || nch < 1 {
		return nil, p.fail(off, field(common, "NumberOfChannels"), "%q is not a positive channel count", v)
	}
	chans := p.ini.section("Channel Infos")
	if chans == nil {
		return nil, p.fail(-1, "[Channel Infos]", "section missing")
	}
	keys := p.ini.items(chans)
	// Every channel needs an entry, so more channels than entries is an
	// error found before allocating for them.
	if nch > int64(len(keys)) {
		return nil, p.fail(chans.off, "[Channel Infos]", "%d entries for NumberOfChannels=%d", len(keys), nch)
	}
	p.h.Channels = make([]Channel, nch)
	set := make([]bool, nch)
	byKey := map[string]int{}
	for _, k := range keys {
		val, _ := p.ini.get(chans, k)
		idx, ok := channelIndex(k)
		// MNE indexes a Python list with n-1, so Ch0 is the last
		// channel and anything outside [-nch, nch) is an error.
		if ok {
			idx--
			if idx < 0 {
				idx += nch
			}
		}
		if !ok || idx < 0 || idx >= nch {
			return nil, p.fail(val.off, "[Channel Infos] "+k, "not a channel Ch1..Ch%d", nch)
		}
		ch, err := parseChannel(val.String())
		if err != "" {
			return nil, p.fail(val.off, "[Channel Infos] "+k, "%s", err)
		}
		p.h.Channels[idx] = ch
		set[idx] = true
		byKey[k] = int(idx)
	}
	for i, ok := range set {
		if !ok {
			return nil, p.fail(chans.off, "[Channel Infos]", "no entry for Ch%d", i+1)
		}
	}
	return byKey, nil
}

// coordinates reads [Coordinates], when there is one, into the channels.
func (p *headerParser) coordinates(byKey map[string]int) error {
	coords := p.ini.section("Coordinates")
	if coords == nil {
		return nil
	}
	for _, k := range p.ini.items(coords) {
		val, _ := p.ini.get(coords, k)
		idx, ok := byKey[k]
		if !ok {
			return p.fail(val.off, "[Coordinates] "+k, "names no [Channel Infos] entry")
		}
		parts := strings.Split(val.String(), ",")
		var c [3]float64
		if len(parts) != 3 {
			return p.fail(val.off, "[Coordinates] "+k, "%q is not radius,theta,phi", val.String())
		}
		for i, s := range parts {
			if c[i], ok = pyparse.ParseFloat(s); !ok {
				return p.fail(val.off, "[Coordinates] "+k, "%q is not a number", s)
			}
		}
		p.h.Channels[idx].Coordinates = &c
	}
	return nil
}

// channelIndex extracts the number from a [Channel Infos] key the way MNE's
// re.findall(r"ch(\d+)", key)[0] does: the first "ch" followed by digits,
// anywhere in the (lower-cased) key.
func channelIndex(key string) (int64, bool) {
	for i := 0; ; {
		j := strings.Index(key[i:], "ch")
		if j < 0 {
			return 0, false
		}
		i += j + 2
		var n int64
		digits := 0
		for _, r := range key[i:] {
			d := pyparse.Digit(r)
			if d < 0 {
				break
			}
			if n > (math.MaxInt64-9)/10 {
				return 0, false
			}
			n = n*10 + int64(d)
			digits++
		}
		if digits > 0 {
			return n, true
		}
	}
}

// parseChannel reads "name,reference,resolution,unit[,…]" with MNE's
// defaults: a missing or empty unit is µV; an empty resolution is 1.
func parseChannel(v string) (Channel, string) {
	props := strings.Split(v, ",")
	if len(props) < 3 {
		return Channel{}, fmt.Sprintf("%q is not name,reference,resolution[,unit]", clip(v))
	}
	if len(props) < 4 {
		props = append(props, "µV")
	} else if props[3] == "" {
		props[3] = "µV"
	}
	ch := Channel{
		Name:       strings.ReplaceAll(props[0], `\1`, ","),
		Reference:  strings.ReplaceAll(props[1], `\1`, ","),
		Resolution: 1,
		// MNE removes U+00C2, the leftover of a UTF-8 "µ" read as latin-1.
		Unit: strings.ReplaceAll(props[3], "\u00c2", ""),
	}
	if props[2] != "" {
		r, ok := pyparse.ParseFloat(props[2])
		if !ok || math.IsNaN(r) {
			return Channel{}, fmt.Sprintf("resolution %q is not a number", props[2])
		}
		ch.Resolution = r
	}
	return ch, ""
}

// unitScale is MNE's _unit_dict: the factor from a BrainVision unit to SI.
var unitScale = map[string]float64{
	"V": 1, "µV": 1e-6, "uV": 1e-6, "mV": 1e-3, "nV": 1e-9,
	"C": 1, "°C": 1, "n/a": 1,
	"µS": 1e-6, "uS": 1e-6, "ARU": 1, "S": 1, "N": 1,
}

// voltage lists the units MNE keeps as EEG; any other unit makes the
// channel misc (misc="auto").
func voltage(unit string) bool {
	switch unit {
	case "V", "mV", "µV", "uV", "nV":
		return true
	}
	return false
}

// headSize is MNE's HEAD_SIZE_DEFAULT in metres, the radius an idealised
// (radius 1) coordinate is scaled to.
const headSize = 0.095

// channels builds the shared channel model and the factor from a binary
// sample to the returned value (resolution × unit scale, as MNE's
// cal × range), with MNE's default types: EOG for HEOGL, HEOGR and VEOGb;
// misc for units that are not voltages and for channels whose coordinates
// are all zero; stim for "STI 014"; EEG otherwise. Only EEG channels get
// positions, as MNE's set_montage does. Unit is "V" for voltage units, "S"
// for µS/uS, empty for stim, and otherwise the header's own unit, in which
// the values are then returned.
func (h *Header) channels() ([]formats.Channel, []float64) {
	out := make([]formats.Channel, len(h.Channels))
	scale := make([]float64, len(h.Channels))
	sr := h.SampleRate()
	for i, c := range h.Channels {
		f, known := unitScale[c.Unit]
		if !known {
			f = 1
		}
		scale[i] = f * c.Resolution
		unit := c.Unit
		switch {
		case voltage(c.Unit):
			unit = "V"
		case c.Unit == "µS" || c.Unit == "uS":
			unit = "S"
		}
		var pos *[3]float64
		zero := false
		if p := c.Coordinates; p != nil {
			rad, theta, phi := p[0], p[1], p[2]
			if rad == 1 {
				rad *= headSize * 1000
			}
			pol, az := theta*(math.Pi/180), phi*(math.Pi/180)
			xy := rad * math.Sin(pol)
			xyz := [3]float64{xy * math.Cos(az), xy * math.Sin(az), rad * math.Cos(pol)}
			zero = xyz == [3]float64{}
			for k := range xyz {
				xyz[k] /= 1e3
			}
			pos = &xyz
		}
		typ := formats.EEG
		switch {
		case c.Name == "HEOGL" || c.Name == "HEOGR" || c.Name == "VEOGb":
			typ = formats.EOG
		case !voltage(c.Unit) || zero:
			typ = formats.Misc
		case c.Name == "STI 014":
			typ = formats.Stim
		}
		if typ != formats.EEG {
			pos = nil
		}
		if typ == formats.Stim {
			// Trigger codes: MNE gives the stim channel no unit, even
			// though it applies the resolution and unit scale.
			unit = ""
		}
		out[i] = formats.Channel{Label: c.Name, Type: typ, Unit: unit, SampleRate: sr, Pos: pos}
	}
	labels := make([]string, len(out))
	for i := range out {
		labels[i] = out[i].Label
	}
	formats.UniqueLabels(labels)
	for i := range out {
		out[i].Label = labels[i]
	}
	return out, scale
}
