package edf

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/mneannot"
)

// talPattern is MNE's TAL expression (mne/io/edf/edf.py,
// _read_annotations_edf): onset, optional duration, then one or more
// descriptions up to the first "\x14\x00" without a line break between.
// Go's leftmost-first matching picks the same matches as Python's re.
// One difference: Python's \d also matches non-ASCII decimal digits.
var talPattern = regexp.MustCompile("([+-][0-9]+\\.?[0-9]*)(\x15([0-9]+\\.?[0-9]*))?(\x14.*?)\x14\x00")

// talResult is what a TAL stream holds, before cropping to the data.
type talResult struct {
	anns []formats.Annotation
	// offset is the onset of the first TAL when it is a time-keeping TAL
	// (an empty description): the start of the first data record after
	// the header's start second. MNE subtracts it from every onset.
	offset    float64
	hasOffset bool
}

// parseTAL parses the concatenated bytes of the annotation signals the
// way MNE's _read_annotations_edf does: the first TAL, when time-keeping,
// shifts all onsets so they are relative to the first sample; each
// non-empty description is one annotation; an annotation ending in
// "@@label" for a data channel label is that channel's annotation (the
// suffix is dropped and annotations equal in onset, duration and
// description merge); other exact repeats are kept once per TAL. The
// result is sorted by onset, then duration, then order of appearance.
// chNames holds the data channel labels (nil: no "@@" handling).
func parseTAL(stream []byte, chNames map[string]bool) talResult {
	var res talResult
	type event struct {
		onset, duration float64
		desc            string
	}
	var events []event
	index := map[string]int{} // MNE's dict key → position in events
	offset := 0.0
	for k, m := range talPattern.FindAllSubmatchIndex(stream, -1) {
		onsetText := string(stream[m[2]:m[3]])
		v, _ := strconv.ParseFloat(onsetText, 64) // the pattern guarantees the syntax; overflow gives ±Inf like Python
		onset := v + offset
		duration := 0.0
		durKey := "0" // Python's int 0 when there is no duration
		if m[6] >= 0 && m[7] > m[6] {
			duration, _ = strconv.ParseFloat(string(stream[m[6]:m[7]]), 64)
			durKey = pyRepr(duration)
		}
		descs := stream[m[8]:m[9]]
		parts := strings.Split(string(descs), "\x14")[1:]
		for _, p := range parts {
			if p == "" {
				if k == 0 {
					// The first TAL of the first record: "+0.X" says the
					// first record starts X s after the header's time.
					offset = -onset
					res.offset, res.hasOffset = onset, true
				}
				continue
			}
			desc := validUTF8OrLatin1([]byte(p))
			chName := ""
			if i := strings.Index(desc, "@@"); i >= 0 && chNames != nil {
				sp := strings.Split(desc, "@@")
				// MNE fails on a description with two "@@"; keep it whole.
				if len(sp) == 2 && chNames[sp[1]] {
					desc, chName = sp[0], sp[1]
				}
			}
			key := pyRepr(onset) + "_" + durKey + "_" + desc
			if chName == "" {
				if _, dup := index[key]; dup {
					key += "_" + strconv.Itoa(k)
				}
			}
			if i, dup := index[key]; dup {
				if chName != "" {
					continue // the same annotation on one more channel
				}
				events[i] = event{onset, duration, desc}
				continue
			}
			index[key] = len(events)
			events = append(events, event{onset, duration, desc})
		}
	}
	res.anns = make([]formats.Annotation, len(events))
	for i, e := range events {
		// numpy's str arrays drop trailing NULs.
		res.anns[i] = formats.Annotation{Onset: e.onset, Duration: e.duration, Description: strings.TrimRight(e.desc, "\x00")}
	}
	mneannot.Sort(res.anns)
	return res
}

// cropAnnotations keeps the annotations overlapping [0, tmax] seconds and
// clips them to it, with onsets (and clipped durations) rounded to whole
// microseconds, as MNE's Raw.set_annotations does through
// Annotations.crop and datetime arithmetic.
func cropAnnotations(anns []formats.Annotation, tmax float64) []formats.Annotation {
	tmaxUS, ok := microseconds(tmax)
	if !ok {
		return anns
	}
	out := anns[:0]
	for _, a := range anns {
		on, ok1 := microseconds(a.Onset)
		du, ok2 := microseconds(a.Duration)
		if !ok1 || !ok2 {
			// Python's timedelta overflows here and MNE fails; such an
			// annotation cannot overlap a recording, so drop it.
			continue
		}
		on, d, ok := mneannot.Clip(on, on+du, 0, tmaxUS, a.Duration)
		if !ok {
			continue
		}
		out = append(out, formats.Annotation{Onset: float64(on) / 1e6, Duration: d, Description: a.Description})
	}
	return out
}

// microseconds is mneannot.Micros limited to ±1e9 s, where the result
// still converts back to seconds exactly; ok is false beyond that and for
// NaN.
func microseconds(x float64) (int64, bool) {
	if math.IsNaN(x) || math.Abs(x) > 1e9 {
		return 0, false
	}
	return mneannot.Micros(x), true
}

// pyRepr formats f as Python's repr(float) does, since MNE builds its
// de-duplication keys from it.
func pyRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // [-]d[.ddd]e±XX
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	ei := strings.IndexByte(s, 'e')
	exp, _ := strconv.Atoi(s[ei+1:])
	digits := strings.Replace(s[:ei], ".", "", 1)
	decpt := exp + 1
	var out string
	if decpt <= -4 || decpt > 16 {
		m := digits[:1]
		if len(digits) > 1 {
			m += "." + digits[1:]
		}
		es := strconv.Itoa(abs(exp))
		if len(es) < 2 {
			es = "0" + es
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
		}
		out = m + "e" + sign + es
	} else if decpt <= 0 {
		out = "0." + strings.Repeat("0", -decpt) + digits
	} else if decpt >= len(digits) {
		out = digits + strings.Repeat("0", decpt-len(digits)) + ".0"
	} else {
		out = digits[:decpt] + "." + digits[decpt:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
