package brainvision_test

import (
	"encoding/binary"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/neurostream/neurostream/formats/brainvision"
)

func Example() {
	// A two-channel INT_16 recording at 1 kHz, written here so the
	// example runs anywhere.
	dir, err := os.MkdirTemp("", "bv")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	vhdr := filepath.Join(dir, "rec.vhdr")
	os.WriteFile(vhdr, []byte(`Brain Vision Data Exchange Header File Version 1.0
[Common Infos]
DataFile=rec.eeg
MarkerFile=rec.vmrk
DataFormat=BINARY
DataOrientation=MULTIPLEXED
NumberOfChannels=2
SamplingInterval=1000
[Binary Infos]
BinaryFormat=INT_16
[Channel Infos]
Ch1=Cz,,0.1,µV
Ch2=HEOGL,,0.1,µV
`), 0o644)
	os.WriteFile(filepath.Join(dir, "rec.vmrk"), []byte(`Brain Vision Data Exchange Marker File, Version 1.0
[Marker Infos]
Mk1=New Segment,,1,1,0,20240101120000000000
Mk2=Stimulus,S  1,3,1,0
`), 0o644)
	samples := []int16{10, -10, 20, -20, 30, -30, 40, -40}
	f, _ := os.Create(filepath.Join(dir, "rec.eeg"))
	binary.Write(f, binary.LittleEndian, samples)
	f.Close()

	r, err := brainvision.Open(vhdr)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	fmt.Println(info.Format, info.SampleRate, "Hz,", info.NSamples, "samples, start", info.StartTime.Format("2006-01-02 15:04"))
	for _, c := range info.Channels {
		fmt.Println(c.Label, c.Type, c.Unit)
	}
	for _, a := range info.Annotations {
		fmt.Printf("%q at %.3f s\n", a.Description, a.Onset)
	}
	dst := [][]float64{make([]float64, 2), make([]float64, 2)}
	if err := r.ReadSamples(dst, 1, 3); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("Cz %.1e V, HEOGL %.1e V\n", dst[0], dst[1])
	// Output:
	// BrainVision 1000 Hz, 4 samples, start 2024-01-01 12:00
	// Cz eeg V
	// HEOGL eog V
	// "Stimulus/S  1" at 0.002 s
	// Cz [2.0e-06 3.0e-06] V, HEOGL [-2.0e-06 -3.0e-06] V
}
