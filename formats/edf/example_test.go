package edf_test

import (
	"bytes"
	"fmt"
	"log"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/edf"
)

// Write two 1-second records of a 4 Hz channel with one annotation,
// then read them back in volts.
func Example() {
	var buf bytes.Buffer
	w, err := edf.NewWriter(&buf, edf.WriterHeader{
		Start:          time.Date(2024, 3, 5, 10, 20, 30, 0, time.UTC),
		RecordDuration: 1,
		NRecords:       2,
		Channels:       []formats.Channel{{Label: "Cz", Type: formats.EEG, Unit: "V", SampleRate: 4}},
		PhysMin:        []float64{-3.2768e-3},
		PhysMax:        []float64{3.2767e-3},
		Annotations:    []formats.Annotation{{Onset: 1.25, Duration: 0.5, Description: "blink"}},
	})
	if err != nil {
		log.Fatal(err)
	}
	for rec := 0; rec < 2; rec++ {
		x := []float64{0, 10e-6, 20e-6, 30e-6}
		if err := w.WriteRecord([][]float64{x}); err != nil {
			log.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := edf.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "example.edf")
	if err != nil {
		log.Fatal(err)
	}
	info := r.Info()
	fmt.Println(info.Format, info.SampleRate, "Hz,", info.NSamples, "samples,", info.Labels(), info.StartTime)
	dst := [][]float64{make([]float64, 4)}
	if err := r.ReadSamples(dst, 2, 6); err != nil {
		log.Fatal(err)
	}
	for _, v := range dst[0] {
		fmt.Printf("%.1f µV\n", v*1e6)
	}
	fmt.Println(info.Annotations)
	// Output:
	// EDF+C 4 Hz, 8 samples, [Cz] 2024-03-05 10:20:30 +0000 UTC
	// 20.0 µV
	// 30.0 µV
	// 0.0 µV
	// 10.0 µV
	// [{1.25 0.5 blink}]
}
