package xdf

import (
	"bytes"
	"fmt"
	"log"
)

// A recording from an XDF file: the EEG stream's channels in SI units, the
// marker streams as annotations, the samples read on demand. sessionBytes
// (build_test.go) writes a small LabRecorder-like file: 3 channels at 100
// Hz, a string and an integer marker stream, clock offsets.
func Example() {
	data := sessionBytes()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "session.xdf", Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	fmt.Println(info.Format, info.SampleRate, "Hz,", info.NSamples, "samples")
	for _, c := range info.Channels {
		fmt.Printf("%s %s %q\n", c.Label, c.Type, c.Unit)
	}
	for _, a := range info.Annotations {
		fmt.Printf("%.2f s %s\n", a.Onset, a.Description)
	}
	dst := [][]float64{make([]float64, 3), make([]float64, 3), make([]float64, 3)}
	if err := r.ReadSamples(dst, 0, 3); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.3g\n", dst[0])
	// Sample i was recorded at Stream().Timestamps[i] on the recording
	// computer's clock.
	fmt.Printf("first sample at %.3f s\n", r.Stream().Timestamps[0])
	// Output:
	// XDF 1.0 100 Hz, 300 samples
	// Fz eeg "V"
	// EOG eog "V"
	// Trig stim "NA"
	// 0.50 s start
	// 0.95 s 7
	// 1.25 s go
	// [-0.0001 -9.9e-05 -9.8e-05]
	// first sample at 49.750 s
}

// Every stream of a file, as pyxdf's load_xdf returns them.
func ExampleRead() {
	data := sessionBytes()
	f, err := Read(bytes.NewReader(data), int64(len(data)), "session.xdf", Sync{})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range f.Streams {
		fmt.Printf("%d %s (%s): %d × %s at %g Hz, %d samples\n", s.ID, s.Name, s.Type, s.ChannelCount, s.Format, s.NominalRate, s.Len())
	}
	m := f.Stream(2)
	fmt.Println(m.Strings, m.Timestamps)
	// Output:
	// 1 amp (EEG): 3 × int16 at 100 Hz, 300 samples
	// 2 psy (Markers): 1 × string at 0 Hz, 2 samples
	// 3 codes (Markers): 1 × int32 at 0 Hz, 1 samples
	// [start go] [50.25 51]
}
