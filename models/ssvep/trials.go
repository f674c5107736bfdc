package ssvep

import (
	"math"
	"slices"

	"github.com/neurostream/neurostream/formats"
)

// EventTrials cuts labelled calibration or test trials from continuous
// data[channel][sample] recorded at sampleRate Hz: for every event whose
// Description is a key of codes, the trial of length seconds starting at
// its Onset plus offset seconds (both rounded to the nearest sample), with
// label codes[Description] (a target index, or Rest). Trials are copies,
// in event order; a trial starting before the first sample or running
// past the last is skipped and counted in skipped.
func EventTrials(data [][]float64, sampleRate float64, events []formats.Annotation, codes map[string]int, offset, length float64) (trials [][][]float64, labels []int, skipped int) {
	n := int(math.Round(length * sampleRate))
	total := 0
	if len(data) > 0 {
		total = len(data[0])
	}
	for _, a := range events {
		l, ok := codes[a.Description]
		if !ok {
			continue
		}
		start := int(math.Round((a.Onset + offset) * sampleRate))
		if n <= 0 || start < 0 || start+n > total {
			skipped++
			continue
		}
		w := make([][]float64, len(data))
		for c := range w {
			w[c] = slices.Clone(data[c][start : start+n])
		}
		trials = append(trials, w)
		labels = append(labels, l)
	}
	return trials, labels, skipped
}
