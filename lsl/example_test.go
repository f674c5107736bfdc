package lsl_test

import (
	"context"
	"fmt"
	"time"

	"github.com/neurostream/neurostream/lsl"
)

// An outlet and an inlet on this machine: the outlet publishes an
// 8-channel EEG stream with channel descriptions, the inlet resolves it
// by type, reads its full info and pulls a chunk.
func Example() {
	cfg := lsl.Config{ListenAddress: "127.0.0.1", KnownPeers: []string{"127.0.0.1"}}
	id := fmt.Sprintf("example-%d", time.Now().UnixNano())

	info := lsl.StreamInfo{Name: "ExampleAmp", Type: "EEG", ChannelCount: 8, NominalRate: 250,
		Format: lsl.FormatFloat32, SourceID: id}
	var chs []lsl.ChannelInfo
	for _, l := range []string{"Fz", "Cz", "Pz", "Oz", "O1", "O2", "PO7", "PO8"} {
		chs = append(chs, lsl.ChannelInfo{Label: l, Unit: "microvolts", Type: "EEG"})
	}
	info.SetChannels(chs)
	out, err := lsl.NewOutlet(info, lsl.OutletConfig{Config: cfg})
	if err != nil {
		panic(err)
	}
	defer out.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	query, _ := lsl.Prop("source_id", id) // or "type='EEG'", "name='ExampleAmp'"
	found, err := lsl.Resolve(ctx, cfg, query, 1)
	if err != nil {
		panic(err)
	}
	in, err := lsl.NewInlet(ctx, found[0], lsl.InletConfig{Config: cfg})
	if err != nil {
		panic(err)
	}
	defer in.Close()

	// Ten samples, the last stamped now, the others deduced at 250 Hz.
	c := &lsl.Chunk{Format: lsl.FormatFloat32, Channels: 8, Float32: make([]float32, 8*10)}
	for i := range c.Float32 {
		c.Float32[i] = float32(i)
	}
	if err := out.PushChunk(c); err != nil {
		panic(err)
	}

	var got lsl.Chunk
	var stamps []float64
	var values []float32
	for len(stamps) < 10 {
		if err := in.Pull(ctx, &got, 0); err != nil {
			panic(err)
		}
		stamps = append(stamps, got.Timestamps...)
		values = append(values, got.Float32...)
	}
	// The outlet's clock is this machine's: the offset is about zero.
	off, err := in.TimeCorrection(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(in.Info().Channels()[2].Label, values[len(values)-1])
	fmt.Printf("spacing %.3f s, offset under 1 ms: %v\n", stamps[9]-stamps[8], off.Offset < 1e-3 && off.Offset > -1e-3)
	// Output:
	// Pz 79
	// spacing 0.004 s, offset under 1 ms: true
}
