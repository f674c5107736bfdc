package dsp

import (
	"errors"
	"fmt"
)

// AverageReference configures re-referencing to the common average of a
// set of channels. The zero value re-references every channel to the mean
// of all channels.
type AverageReference struct {
	// Exclude marks channels left out of the mean, e.g. bad or non-EEG
	// channels; nil or shorter than the channel count means none beyond
	// its length.
	Exclude []bool
	// KeepExcluded copies excluded channels unchanged instead of
	// re-referencing them. MNE's set_eeg_reference('average') behaves this
	// way for channels in info['bads'] and for non-EEG channels (they are
	// neither averaged nor re-referenced). Default false: excluded
	// channels do not contribute to the mean but are re-referenced to it.
	KeepExcluded bool
}

// Apply writes x re-referenced to the common average into dst: at every
// sample t, r[t] = (Σ_{c not excluded} x[c][t]) / n_included (summed in
// channel order, then divided, as numpy's mean over channels in MNE's
// _apply_reference), and dst[c][t] = x[c][t] − r[t] for every channel that
// is not kept unchanged. Units are those of x (V for EEG).
//
// x is channel-major with equal-length channels; dst has the same shape
// (nil allocates; a nil dst[c] is allocated) and dst[c] may be x[c] for
// in-place re-referencing (no other overlap); it is returned. Shapes that
// differ panic. An error reports that every channel is excluded. Apply does
// not allocate when dst is given.
func (r AverageReference) Apply(dst, x [][]float64) ([][]float64, error) {
	return r.apply("AverageReference.Apply", dst, x)
}

// apply is Apply with op naming the caller in panics.
func (r AverageReference) apply(op string, dst, x [][]float64) ([][]float64, error) {
	if len(r.Exclude) > len(x) {
		panic(fmt.Sprintf("dsp: %s: len(Exclude) = %d, want ≤ %d (len(x))", op, len(r.Exclude), len(x)))
	}
	n := checkRows(op, x, len(x))
	included := 0
	for c := range x {
		if !r.excluded(c) {
			included++
		}
	}
	if included == 0 && len(x) > 0 {
		return nil, errors.New("dsp: average reference: every channel is excluded from the mean")
	}
	dst = useRows(dst, len(x), n, op)
	const block = 256
	var ref [block]float64
	cnt := float64(included)
	for t0 := 0; t0 < n; t0 += block {
		b := min(block, n-t0)
		acc := ref[:b]
		clear(acc)
		for c := range x {
			if r.excluded(c) {
				continue
			}
			for i, v := range x[c][t0 : t0+b] {
				acc[i] += v
			}
		}
		for i := range acc {
			acc[i] /= cnt
		}
		for c := range x {
			src, out := x[c][t0:t0+b], dst[c][t0:t0+b]
			if r.KeepExcluded && r.excluded(c) {
				copy(out, src)
				continue
			}
			for i, v := range src {
				out[i] = v - acc[i]
			}
		}
	}
	return dst, nil
}

func (r AverageReference) excluded(c int) bool { return c < len(r.Exclude) && r.Exclude[c] }

// CommonAverage re-references every channel of x to the mean of all
// channels at each sample, dst[c][t] = x[c][t] − mean_c' x[c'][t], as
// mne.set_eeg_reference(raw, 'average') on EEG-only data without bad
// channels. See AverageReference for excluding channels. dst as in
// AverageReference.Apply.
func CommonAverage(dst, x [][]float64) [][]float64 {
	dst, _ = AverageReference{}.apply("CommonAverage", dst, x) // cannot fail: nothing is excluded
	return dst
}
