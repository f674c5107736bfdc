package simulate_test

import (
	"fmt"
	"log"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/simulate"
)

// A 30 s session with one SSVEP trial and one seizure, read through the
// formats.Recording interface like any file.
func Example() {
	cfg := simulate.DefaultConfig() // 19-ch 10-20 EEG, 256 Hz, background, alpha, 50 Hz, blinks
	cfg.Seed = 42
	cfg.Duration = 30
	cfg.Blinks.Enabled = false
	cfg.SSVEP.Enabled = true
	cfg.SSVEP.Trials = []simulate.Trial{{Onset: 5, Duration: 4, Frequency: 12}}
	cfg.Seizures.Enabled = true
	cfg.Seizures.Events = []simulate.SeizureEvent{{Onset: 12, Duration: 15}}
	s, err := simulate.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	var rec formats.Recording = s
	defer rec.Close()

	in := rec.Info()
	fmt.Println(in.Format, len(in.Channels), "channels,", in.SampleRate, "Hz,", in.NSamples, "samples")
	fmt.Println(in.Channels[0].Label, in.Channels[0].Type, in.Channels[0].Unit)
	for _, a := range in.Annotations {
		fmt.Printf("%4.1f s  %4.1f s  %s\n", a.Onset, a.Duration, a.Description)
	}

	// One second of every channel, in volts, before and during the seizure.
	second := func(from int64) [][]float64 {
		dst := make([][]float64, len(in.Channels))
		for c := range dst {
			dst[c] = make([]float64, 256)
		}
		if err := rec.ReadSamples(dst, from*256, (from+1)*256); err != nil {
			log.Fatal(err)
		}
		return dst
	}
	peak := func(x []float64) (m float64) {
		for _, v := range x {
			m = max(m, v, -v)
		}
		return m
	}
	const t3 = 7 // channel index of T3
	fmt.Println("T3 peak 3× larger at 20 s than at 2 s:", peak(second(20)[t3]) > 3*peak(second(2)[t3]))

	// The richer ground truth: where and when the seizure spread.
	sz := s.Truth()[1]
	for i := range 4 {
		fmt.Printf("%s seizing from %.1f s\n", sz.Channels[i], sz.ChannelOnsets[i])
	}
	// Output:
	// simulated 19 channels, 256 Hz, 7680 samples
	// Fp1 eeg V
	//  5.0 s   4.0 s  ssvep/12Hz
	// 12.0 s  15.0 s  seizure
	// T3 peak 3× larger at 20 s than at 2 s: true
	// T3 seizing from 12.0 s
	// T5 seizing from 12.0 s
	// P3 seizing from 14.7 s
	// O1 seizing from 14.9 s
}
