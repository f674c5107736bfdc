package fif

import (
	"fmt"
	"os"
	"path/filepath"
)

// exampleFile writes a small two-channel recording with the test writer
// and returns its path.
func exampleFile(dir string) string {
	s := synth{sfreq: 250, chs: eegChannels(2), firstSample: 500, measDate: []int32{1500000000, 0},
		parts: []synthBuf{{typ: typeFloat, data: ramp(250, 2, 0)}, {typ: typeFloat, data: ramp(250, 2, 5000)}}}
	path := filepath.Join(dir, "example_raw.fif")
	if err := os.WriteFile(path, s.bytes(), 0o644); err != nil {
		panic(err)
	}
	return path
}

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "fif")
	defer os.RemoveAll(dir)
	path := exampleFile(dir)

	r, err := Open(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	info := r.Info()
	fmt.Println(info.Format, info.Labels(), info.SampleRate, "Hz", info.NSamples, "samples")
	fmt.Println("first sample", r.FirstSample(), "starts", info.StartTime)

	// Read 0.2 s from 0.9 s on: it spans both data buffers.
	dst := [][]float64{make([]float64, 50), make([]float64, 50)}
	if err := r.ReadSamples(dst, 225, 275); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %.4g V … %.4g V\n", info.Channels[1].Label, dst[1][0], dst[1][49])
	// Output:
	// FIF [EEGA EEGB] 250 Hz 500 samples
	// first sample 500 starts 2017-07-14 02:40:02 +0000 UTC
	// EEGB: 0.002251 V … 0.005241 V
}
