package gdf_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log"
	"math"

	"github.com/neurostream/neurostream/formats/gdf"
)

// gdf2 builds a one-channel GDF 2.10 file: 2 records of 4 int16 samples
// at 4 Hz, in µV with one digital step per µV, and one event.
func gdf2() []byte {
	le := binary.LittleEndian
	h := make([]byte, 512)
	copy(h, "GDF 2.10")
	le.PutUint16(h[184:], 2)    // header blocks of 256 bytes
	le.PutUint64(h[236:], 2)    // records
	le.PutUint32(h[244:], 1)    // record duration 1/1 s
	le.PutUint32(h[248:], 1)    //
	le.PutUint16(h[252:], 1)    // signals
	copy(h[256:], "Cz")         // label
	le.PutUint16(h[358:], 4275) // µV
	for i, v := range []float64{-100, 100, -100, 100} {
		le.PutUint64(h[360+8*i:], math.Float64bits(v)) // phys, dig min/max
	}
	le.PutUint32(h[472:], 4) // samples per record
	le.PutUint32(h[476:], 3) // int16
	var b bytes.Buffer
	b.Write(h)
	binary.Write(&b, le, []int16{0, 10, 20, 30, 40, 50, 60, 70})
	// Event table, mode 1: one event of type 0x300 at sample 6 (1-based).
	b.Write([]byte{1, 1, 0, 0})
	binary.Write(&b, le, float32(4))
	binary.Write(&b, le, uint32(6))
	binary.Write(&b, le, uint16(0x300))
	return b.Bytes()
}

func Example() {
	data := gdf2()
	r, err := gdf.NewReader(bytes.NewReader(data), int64(len(data)), "example.gdf")
	if err != nil {
		log.Fatal(err)
	}
	info := r.Info()
	fmt.Println(info.Format, info.SampleRate, "Hz,", info.NSamples, "samples")
	fmt.Println(info.Channels[0].Label, info.Channels[0].Type, info.Channels[0].Unit)
	for _, a := range info.Annotations {
		fmt.Printf("event %s at %.2f s\n", a.Description, a.Onset)
	}
	dst := [][]float64{make([]float64, 3)}
	if err := r.ReadSamples(dst, 3, 6); err != nil { // crosses a record boundary
		log.Fatal(err)
	}
	fmt.Printf("%.0e V\n", dst[0])
	// Output:
	// GDF 2.10 4 Hz, 8 samples
	// Cz eeg V
	// event 768 at 1.25 s
	// [3e-05 4e-05 5e-05] V
}
