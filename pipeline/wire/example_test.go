package wire_test

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// A producer encodes chunks; the pipeline decodes each message and checks
// it with the session's Validator. The second chunk here arrives after 256
// samples were lost: the gap is reported and the stream goes on.
func Example() {
	chunk := &wire.Chunk{
		Session:     "s12",
		SampleRate:  512,
		StartTimeNS: 1_700_000_000_000_000_000,
		Channels: []formats.Channel{
			{Label: "Fz", Type: formats.EEG, Unit: "V", Pos: &[3]float64{0, 0.071, 0.07}},
			{Label: "MEG 0113", Type: formats.MEGGrad, Unit: "T/m"},
		},
		Data: [][]float32{make([]float32, 256), make([]float32, 256)},
	}
	enc := wire.NewEncoder(memory.DefaultAllocator)
	dec := wire.NewDecoder(memory.DefaultAllocator)
	v := wire.NewValidator(wire.Reject)

	var msg []byte
	var got wire.Chunk
	for _, first := range []int64{0, 512, 768} {
		chunk.FirstSample = first
		var err error
		if msg, err = enc.Encode(msg[:0], chunk); err != nil {
			panic(err)
		}
		chunk.Seq++
		if err := dec.Decode(&got, msg); err != nil {
			panic(err)
		}
		err = v.Check(&got)
		fmt.Printf("chunk %d, %d×%d, %q: %v (reason %q)\n", got.Seq, len(got.Channels), got.Len(), got.Channels[0].Label, err, wire.ReasonOf(err))
	}
	seq, next := v.Expected()
	fmt.Println("next:", seq, next)
	// Output:
	// chunk 0, 2×256, "Fz": <nil> (reason "")
	// chunk 1, 2×256, "Fz": session s12 chunk 1 (sample 512): gap: expected first_sample 256, got 512 (256 samples missing) (reason "gap")
	// chunk 2, 2×256, "Fz": <nil> (reason "")
	// next: 3 1024
}
