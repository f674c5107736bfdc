package seizure

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkFeatures(b *testing.B) {
	for _, c := range []struct {
		channels  int
		coherence bool
	}{{1, false}, {19, false}, {19, true}} {
		b.Run(fmt.Sprintf("ch=%d/coh=%v", c.channels, c.coherence), func(b *testing.B) {
			ex, err := NewExtractor(FeatureConfig{SampleRate: 256, WindowLen: 1024, Channels: c.channels, Coherence: c.coherence})
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, 1))
			x := make([][]float64, c.channels)
			for i := range x {
				x[i] = make([]float64, 1024)
				for k := range x[i] {
					x[i][k] = rng.NormFloat64()
				}
			}
			dst := make([]float64, ex.Len())
			b.ReportAllocs()
			for b.Loop() {
				ex.Features(dst, x)
			}
		})
	}
}
