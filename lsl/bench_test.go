package lsl

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkGoOutletToGoInlet pushes 8-channel float32 chunks of 25
// samples through a Go outlet and pulls them with a Go inlet on loopback;
// samples/s is the sustained rate. The pusher keeps at most 10000 samples
// in flight, below the outlet's queue, so none is dropped.
func BenchmarkGoOutletToGoInlet(b *testing.B) {
	const nch, chunk, inFlight = 8, 25, 10000
	id := uniqueName(b, "bench")
	info := StreamInfo{Name: id, Type: "EEG", ChannelCount: nch, NominalRate: 250, Format: FormatFloat32, SourceID: id}
	o := newTestOutlet(b, info, nil)
	in := openInlet(b, id, nil)
	c := &Chunk{Format: FormatFloat32, Channels: nch, Float32: make([]float32, nch*chunk)}
	var received atomic.Int64
	total := int64(b.N) * chunk
	done := make(chan struct{})
	go func() {
		defer close(done)
		var out Chunk
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for received.Load() < total {
			if err := in.Pull(ctx, &out, 0); err != nil {
				return
			}
			received.Add(int64(out.Len()))
		}
	}()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		for int64(i)*chunk-received.Load() > inFlight {
			runtime.Gosched()
		}
		if err := o.PushChunk(c); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.StopTimer()
	if got := received.Load(); got != total {
		b.Fatalf("%d of %d samples", got, total)
	}
	b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "samples/s")
}
