package metrics

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkEventScoring(b *testing.B) {
	for _, hours := range []int{1, 24} {
		b.Run(fmt.Sprintf("%dh", hours), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			dur := float64(hours) * 3600
			ref := AnnotationFromEvents(randomEvents(rng, dur), 1, int(dur))
			hyp := AnnotationFromEvents(jitter(rng, ref.Events, dur), 1, int(dur))
			b.ReportAllocs()
			for b.Loop() {
				EventScoring(ref, hyp, DefaultEventParams())
			}
		})
	}
}

func BenchmarkSampleScoring(b *testing.B) {
	for _, hours := range []int{1, 24} {
		b.Run(fmt.Sprintf("%dh", hours), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			dur := float64(hours) * 3600
			ref := AnnotationFromEvents(randomEvents(rng, dur), 1, int(dur))
			hyp := AnnotationFromEvents(jitter(rng, ref.Events, dur), 1, int(dur))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := SampleScoring(ref, hyp, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
