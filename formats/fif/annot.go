package fif

import (
	"math"
	"strings"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/mneannot"
)

// fileAnnotations is the FIFFB_MNE_ANNOTATIONS block as stored.
type fileAnnotations struct {
	onset, duration []float64
	desc            []string
	// origUS is the annotations' time base in microseconds since the
	// epoch; hasOrig is false when the block has none.
	origUS  int64
	hasOrig bool
}

// readAnnotations reads the first FIFFB_MNE_ANNOTATIONS block like MNE's
// _read_annotations_fif; it returns nil when there is none.
func (f *file) readAnnotations(root *node) (*fileAnnotations, error) {
	blocks := root.find(blockMNEAnnotations)
	if len(blocks) == 0 {
		return nil, nil
	}
	a := &fileAnnotations{}
	var minTag, maxTag *tag
	var maxv []float64
	for _, t := range blocks[0].entries {
		var err error
		switch t.kind {
		case kindMNEBaselineMin:
			if a.onset, err = f.numbers(t, "annotation onsets (FIFF_MNE_BASELINE_MIN)"); err != nil {
				return nil, err
			}
			t := t
			minTag = &t
		case kindMNEBaselineMax:
			if maxv, err = f.numbers(t, "annotation ends (FIFF_MNE_BASELINE_MAX)"); err != nil {
				return nil, err
			}
			t := t
			maxTag = &t
		case kindComment:
			s, err := f.str(t, "annotation descriptions (FIFF_COMMENT)")
			if err != nil {
				return nil, err
			}
			a.desc = nil
			if s != "" {
				for _, d := range strings.Split(s, ":") {
					a.desc = append(a.desc, strings.ReplaceAll(d, "{COLON}", ":"))
				}
			}
		case kindMeasDate:
			v, err := f.numbers(t, "annotation time base (FIFF_MEAS_DATE)")
			if err != nil {
				return nil, err
			}
			switch len(v) {
			case 0:
				return nil, f.errorf(t.pos, "annotation time base (FIFF_MEAS_DATE)", "empty; want seconds and microseconds")
			case 1:
				// The old way: float seconds, rounded to microseconds.
				ip, frac := math.Modf(v[0])
				a.origUS = int64(ip)*1e6 + int64(math.RoundToEven(frac*1e6))
			default:
				a.origUS = int64(v[0])*1e6 + int64(v[1])
			}
			a.hasOrig = true
		}
	}
	if len(maxv) != len(a.onset) || len(a.desc) != len(a.onset) {
		return nil, f.errorf(blockPos(minTag, maxTag), "FIFFB_MNE_ANNOTATIONS", "%d onsets, %d ends and %d descriptions; want equal counts",
			len(a.onset), len(maxv), len(a.desc))
	}
	a.duration = make([]float64, len(a.onset))
	for i := range a.onset {
		if minTag.typ == typeFloat && maxTag.typ == typeFloat {
			// numpy subtracts in float32 here.
			a.duration[i] = float64(float32(maxv[i]) - float32(a.onset[i]))
		} else {
			a.duration[i] = maxv[i] - a.onset[i]
		}
		if math.IsNaN(a.onset[i]) || math.Abs(a.onset[i]) > maxSeconds || math.Abs(a.duration[i]) > maxSeconds {
			return nil, f.errorf(minTag.data(), "annotation onsets (FIFF_MNE_BASELINE_MIN)",
				"annotation %d has onset %v s and end %v s; want finite times", i, a.onset[i], maxv[i])
		}
		if a.duration[i] < 0 {
			return nil, f.errorf(maxTag.data(), "annotation ends (FIFF_MNE_BASELINE_MAX)",
				"annotation %d ends at %v s, before its onset %v s", i, maxv[i], a.onset[i])
		}
	}
	return a, nil
}

func blockPos(ts ...*tag) int64 {
	for _, t := range ts {
		if t != nil {
			return t.pos
		}
	}
	return -1
}

// maxSeconds bounds annotation times so microsecond arithmetic cannot
// overflow (about 31 700 years).
const maxSeconds = 1e12

// roundUS is Python's timedelta(seconds=x) in whole microseconds.
func roundUS(x float64) int64 { return int64(math.RoundToEven(x * 1e6)) }

// annotations turns the stored annotations into onsets in seconds from the
// first sample, cropped to the recording the way MNE's Raw.set_annotations
// crops them (with its microsecond arithmetic). firstTag is the
// FIFF_FIRST_SAMPLE value, first the first sample after an initial skip.
func (a *fileAnnotations) annotations(m *measInfo, firstTag, first, nTimes int64) []formats.Annotation {
	if a == nil || len(a.onset) == 0 {
		return nil
	}
	sfreq := m.sfreq
	firstTime := float64(first) / sfreq
	end := float64(nTimes-1)/sfreq + 1/sfreq // times[-1] + delta
	var offset, tmin, tmax int64
	onsets := append([]float64(nil), a.onset...)
	if m.hasDate && a.hasOrig {
		offset = a.origUS
		measUS := m.measDate.UnixMicro()
		tmin = measUS + roundUS(firstTime)
		tmax = tmin + roundUS(end)
	} else {
		// Without a time base onsets count from the first sample. Without a
		// measurement date MNE stores them from sample 0 of the acquisition
		// and subtracts FIFF_FIRST_SAMPLE on read. (A time base without a
		// measurement date makes MNE refuse the file; it is ignored here.)
		if !m.hasDate {
			for i := range onsets {
				onsets[i] -= float64(firstTag) / sfreq
			}
		}
		tmax = roundUS(end)
	}
	var out []formats.Annotation
	for i, on := range onsets {
		d := a.duration[i]
		if math.IsNaN(d) {
			d = 0
		}
		lo := offset + roundUS(on)
		lo, d, ok := mneannot.Clip(lo, lo+roundUS(d), tmin, tmax, d)
		if !ok {
			continue
		}
		onset := float64(lo-offset) / 1e6
		if m.hasDate && a.hasOrig {
			onset -= float64(m.measDate.UnixMicro()-a.origUS) / 1e6
			onset -= firstTime
		}
		out = append(out, formats.Annotation{Onset: onset, Duration: d, Description: a.desc[i]})
	}
	return out
}
