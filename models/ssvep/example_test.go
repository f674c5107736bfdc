package ssvep_test

import (
	"bytes"
	"fmt"
	"math"

	"github.com/neurostream/neurostream/models/ssvep"
)

// A training-free FBCCA decoder scores a 2 s window of 8 channels against
// three stimulus frequencies; the top score is the decision.
func ExampleFBCCA() {
	freqs := []float64{13, 17, 21}
	d, err := ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: ssvep.CCAConfig{
		Freqs: freqs, SampleRate: 256, Samples: 512, Channels: 8,
	}})
	if err != nil {
		panic(err)
	}
	x := newSynth(freqs, 0, 256, 8, 0.3, 1).window(1, 512, 0) // attending 17 Hz
	scores, err := d.Scores(nil, x)
	if err != nil {
		panic(err)
	}
	fmt.Printf("decision: %v Hz\n", freqs[ssvep.Argmax(scores)])
	fmt.Printf("sub-bands: %d, first passes %v-%v Hz, order %d\n",
		d.FilterBank().Len(), d.FilterBank().Band(0).PassLow, d.FilterBank().Band(0).PassHigh, d.FilterBank().Order(0))
	// Output:
	// decision: 17 Hz
	// sub-bands: 5, first passes 6-90 Hz, order 6
}

// Ensemble TRCA is trained on labelled calibration trials, saved as a
// versioned JSON model file and loaded again; rest trials calibrate the
// no-control threshold.
func ExampleTrainTRCA() {
	freqs := []float64{9, 11, 13}
	s := newSynth(freqs, 0.5*math.Pi, 250, 4, 0.6, 2)
	trials, labels := s.trials(4, 500) // 4 trials of 2 s per target
	for range 4 {
		trials = append(trials, s.rest(500))
		labels = append(labels, ssvep.Rest)
	}
	m, err := ssvep.TrainTRCA(ssvep.TRCAConfig{
		SampleRate: 250, Freqs: freqs, Ensemble: true, NoControl: ssvep.NoControlMargin,
	}, trials, labels)
	if err != nil {
		panic(err)
	}
	var file bytes.Buffer
	if err := m.Save(&file); err != nil {
		panic(err)
	}
	loaded, err := ssvep.LoadTRCA(&file)
	if err != nil {
		panic(err)
	}
	for _, x := range [][][]float64{s.window(2, 500, 0), s.rest(500)} {
		scores, err := loaded.Scores(nil, x)
		if err != nil {
			panic(err)
		}
		if k := loaded.NoControl().Decide(scores); k == ssvep.Rest {
			fmt.Println("no control")
		} else {
			fmt.Printf("%v Hz\n", freqs[k])
		}
	}
	// Output:
	// 13 Hz
	// no control
}

// Information transfer rate of a 40-target speller at 90% accuracy with
// 1 s windows and a 0.5 s gaze shift, and of a 3-target control at chance.
func ExampleITR() {
	fmt.Printf("%.1f bits/min\n", ssvep.ITR(40, 0.9, 1+0.5))
	fmt.Printf("%.1f bits/min\n", ssvep.ITR(3, 1.0/3, 4+0.5))
	// Output:
	// 173.0 bits/min
	// 0.0 bits/min
}
