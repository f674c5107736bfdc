package fif

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/neurostream/neurostream/formats"
)

// Channel kinds and coil types that decide a channel's type, as in MNE's
// mne/_fiff/pick.py channel_type.
const (
	chMEG  = 1
	chEEG  = 2
	chStim = 3
	chEOG  = 202
	chEMG  = 302
	chECG  = 402

	coilNone       = 0
	coilEEG        = 1
	coilEEGBipolar = 5

	unitV  = 107
	unitT  = 112
	unitTm = 201
)

// chInfo is one FIFF_CH_INFO record, possibly overridden by a
// FIFFB_CH_INFO block.
type chInfo struct {
	name     string
	kind     int32
	coil     int32
	unit     int32
	rng, cal float64
	loc      [12]float64
}

// parseChInfo decodes the 96-byte fiffChInfoRec: scanno, logno, kind,
// range, cal, coil_type, loc[12], unit, unit_mul, ch_name[16].
func parseChInfo(b []byte) chInfo {
	be := binary.BigEndian
	f32 := func(off int) float64 { return float64(math.Float32frombits(be.Uint32(b[off:]))) }
	c := chInfo{
		kind: int32(be.Uint32(b[8:])),
		rng:  f32(12),
		cal:  f32(16),
		coil: int32(be.Uint32(b[20:])),
		unit: int32(be.Uint32(b[72:])),
	}
	for i := range c.loc {
		c.loc[i] = f32(24 + 4*i)
	}
	// MNE keeps the bytes before the first NUL, and an empty name when the
	// 16 bytes hold none (numpy's argmax of an all-false mask is 0).
	name := b[80:96]
	n := 0
	for i, x := range name {
		if x == 0 {
			n = i
			break
		}
	}
	c.name = validUTF8(string(name[:n]))
	return c
}

// measInfo is what the FIFFB_MEAS_INFO block says about the recording.
type measInfo struct {
	sfreq    float64
	chs      []chInfo
	measDate time.Time // zero when the file has none
	hasDate  bool
}

// readMeasInfo follows MNE's read_meas_info for the fields a reader needs.
func (f *file) readMeasInfo(root *node) (*measInfo, *node, error) {
	meas := root.find(blockMeas)
	if len(meas) != 1 {
		return nil, nil, f.errorf(-1, "FIFFB_MEAS", "%d measurement blocks; want exactly one", len(meas))
	}
	mi := meas[0].find(blockMeasInfo)
	if len(mi) != 1 {
		return nil, nil, f.errorf(-1, "FIFFB_MEAS_INFO", "%d measurement info blocks; want exactly one", len(mi))
	}
	info := mi[0]
	m := &measInfo{}
	nchan, sfreqTag, date, err := f.measTags(info, m)
	if err != nil {
		return nil, nil, err
	}
	if err := f.extendedChInfo(info, m.chs); err != nil {
		return nil, nil, err
	}
	switch {
	case nchan < 0:
		return nil, nil, f.errorf(-1, "FIFF_NCHAN", "number of channels is not defined")
	case sfreqTag == nil:
		return nil, nil, f.errorf(-1, "FIFF_SFREQ", "sampling frequency is not defined")
	case len(m.chs) == 0:
		return nil, nil, f.errorf(-1, "FIFF_CH_INFO", "channel information not defined")
	case int64(len(m.chs)) != nchan:
		return nil, nil, f.errorf(-1, "FIFF_CH_INFO", "%d channel definitions for FIFF_NCHAN %d", len(m.chs), nchan)
	case !(m.sfreq > 0) || math.IsInf(m.sfreq, 0):
		return nil, nil, f.errorf(sfreqTag.data(), "FIFF_SFREQ", "sampling frequency %v Hz; want a positive number", m.sfreq)
	}
	if date == nil {
		// MNE falls back to the measurement id's time stamp.
		id := info.parentID
		for _, c := range []*tag{info.id, meas[0].id, meas[0].parentID, root.id} {
			if id == nil {
				id = c
			}
		}
		if id != nil {
			s, us, err := f.idTime(id, "measurement id")
			if err != nil {
				return nil, nil, err
			}
			date = []float64{float64(s), float64(us)}
		}
	}
	// (0, 2**31-1) is how FIF says "no date".
	if date != nil && !(date[0] == 0 && date[1] == math.MaxInt32) {
		m.hasDate = true
		m.measDate = stampToTime(int64(date[0]), int64(date[1]))
	}
	return m, meas[0], nil
}

// measTags reads the measurement info block's own tags: the sample rate
// and channel infos into m, and the channel count (-1 when missing), the
// sample rate's tag (nil when missing) and the measurement date (nil
// when missing) it returns.
func (f *file) measTags(info *node, m *measInfo) (nchan int64, sfreqTag *tag, date []float64, err error) {
	nchan = -1
	for _, t := range info.entries {
		switch t.kind {
		case kindNChan:
			if nchan, err = f.integer(t, "FIFF_NCHAN"); err != nil {
				return 0, nil, nil, err
			}
		case kindSFreq:
			if m.sfreq, err = f.scalar(t, "FIFF_SFREQ"); err != nil {
				return 0, nil, nil, err
			}
			t := t
			sfreqTag = &t
		case kindChInfo:
			if t.typ != typeChInfoStruct || t.size < chInfoLen {
				return 0, nil, nil, f.errorf(t.pos, "FIFF_CH_INFO", "type %d, size %d; want a channel info struct (type %d, %d bytes)",
					t.typ, t.size, typeChInfoStruct, chInfoLen)
			}
			var b [chInfoLen]byte
			if err := f.readAt(b[:], t.data(), "FIFF_CH_INFO"); err != nil {
				return 0, nil, nil, err
			}
			m.chs = append(m.chs, parseChInfo(b[:]))
		case kindMeasDate:
			if date, err = f.numbers(t, "FIFF_MEAS_DATE"); err != nil {
				return 0, nil, nil, err
			}
			if len(date) == 0 {
				return 0, nil, nil, f.errorf(t.pos, "FIFF_MEAS_DATE", "empty; want seconds and microseconds")
			}
			if len(date) == 1 { // old C conversions store seconds only
				date = append(date, 0)
			}
		}
	}
	return nchan, sfreqTag, date, nil
}

// stampToTime is MNE's _stamp_to_dt: the epoch plus secs and usecs.
func stampToTime(secs, usecs int64) time.Time {
	return time.Unix(secs, 0).Add(time.Duration(usecs) * time.Microsecond).UTC()
}

// extendedChInfo applies the FIFFB_CH_INFO blocks that newer files use for
// channel names longer than 15 characters (MNE's _read_extended_ch_info):
// one block per channel, in channel order.
func (f *file) extendedChInfo(info *node, chs []chInfo) error {
	blocks := info.find(blockChInfo)
	if len(blocks) == 0 {
		return nil
	}
	if len(blocks) != len(chs) {
		return f.errorf(-1, "FIFFB_CH_INFO", "%d extended channel info blocks for %d channels", len(blocks), len(chs))
	}
	for i, b := range blocks {
		c := &chs[i]
		for _, t := range b.entries {
			field := fmt.Sprintf("channel %d extended info (tag kind %d)", i, t.kind)
			var err error
			var v float64
			switch t.kind {
			case kindChKind, kindChCoilType, kindChUnit:
				if v, err = f.scalar(t, field); err != nil {
					return err
				}
				switch t.kind {
				case kindChKind:
					c.kind = int32(v)
				case kindChCoilType:
					c.coil = int32(v)
				default:
					c.unit = int32(v)
				}
			case kindChRange:
				c.rng, err = f.scalar(t, field)
			case kindChCal:
				c.cal, err = f.scalar(t, field)
			case kindChLoc:
				var loc []float64
				if loc, err = f.numbers(t, field); err == nil && len(loc) != 12 {
					err = f.errorf(t.pos, field, "%d location values; want 12", len(loc))
				}
				if err == nil {
					copy(c.loc[:], loc)
				}
			case kindChDacqName:
				var s string
				if s, err = f.str(t, field); err == nil && t.size > 0 {
					c.name = s
				}
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// channelType maps a channel's kind, unit and coil type the way MNE's
// channel_type does, then onto the shared types. Where MNE would raise
// (a MEG channel in neither T nor T/m, an EEG channel with an unknown coil
// type, an unknown kind) the channel is Misc.
func channelType(c *chInfo) formats.ChannelType {
	switch c.kind {
	case chMEG:
		switch c.unit {
		case unitTm:
			return formats.MEGGrad
		case unitT:
			return formats.MEGMag
		}
	case chEEG:
		switch c.coil {
		case coilEEG, coilEEGBipolar, coilNone:
			return formats.EEG
		}
	case chStim:
		return formats.Stim
	case chEOG:
		return formats.EOG
	case chEMG:
		return formats.EMG
	case chECG:
		return formats.ECG
	}
	return formats.Misc
}

// unitName is the unit of the values ReadSamples returns: the FIFF unit
// code as MNE names it (_unit2human), or "FIFF unit N" for other codes.
func unitName(code int32) string {
	switch code {
	case unitV:
		return "V"
	case unitT:
		return "T"
	case unitTm:
		return "T/m"
	case 6:
		return "M"
	case -1:
		return "NA"
	case 114:
		return "C"
	case 110:
		return "S"
	case 210:
		return "px"
	}
	return fmt.Sprintf("FIFF unit %d", code)
}

// position is loc[0:3] in metres, nil when the file stores none.
func position(c *chInfo) *[3]float64 {
	p := [3]float64{c.loc[0], c.loc[1], c.loc[2]}
	if p == [3]float64{} {
		return nil
	}
	for _, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
	}
	return &p
}
