package tokenizer

import (
	"testing"

	"github.com/neurostream/neurostream/dsp"
)

// benchSetup trains a default-size (1024-token) vocabulary on a simulated
// session and returns it with one channel of another session at 200 Hz.
func benchSetup(b *testing.B, seconds float64) (*Vocabulary, []float64, []float64) {
	x, rate := simChannels(b, 240, 3)
	col, err := NewCollector(FeatureConfig{})
	if err != nil {
		b.Fatal(err)
	}
	for _, ch := range x {
		col.Add(ch, rate)
	}
	v, err := Train(col.Motifs, TrainConfig{Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	y, rate := simChannels(b, seconds, 4)
	z, err := Resample(y[10], rate)
	if err != nil {
		b.Fatal(err)
	}
	return v, z, y[10]
}

// BenchmarkTokenize measures the tokenizer on one core: samples/s of a
// 200 Hz channel (STFT, features, two-level search) with the default
// 1024-token vocabulary.
func BenchmarkTokenize(b *testing.B) {
	v, z, _ := benchSetup(b, 60)
	tk := v.NewTokenizer()
	dst := tk.Tokenize(nil, z)
	b.ResetTimer()
	for b.Loop() {
		dst = tk.Tokenize(dst[:0], z)
	}
	b.ReportMetric(float64(len(z))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkTokenizeExhaustive is BenchmarkTokenize with the exhaustive
// nearest-codeword search instead of the two-level one, for comparison.
func BenchmarkTokenizeExhaustive(b *testing.B) {
	v, z, _ := benchSetup(b, 60)
	tk := v.NewTokenizer()
	m := tk.Motifs(nil, z)
	dim := v.Dim()
	b.ResetTimer()
	for b.Loop() {
		for i := 0; i < len(m); i += dim {
			v.Nearest(m[i : i+dim])
		}
	}
	// Frames searched per second, in input samples (Hop per frame).
	b.ReportMetric(float64(len(m)/dim*Hop)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkTokenize256 adds resampling from 256 Hz (25/32, as the
// pipeline's resample step) and reports input samples/s at 256 Hz.
func BenchmarkTokenize256(b *testing.B) {
	v, _, y := benchSetup(b, 60)
	tk := v.NewTokenizer()
	rs, err := dsp.NewResampler(25, 32, 1)
	if err != nil {
		b.Fatal(err)
	}
	z := make([]float64, dsp.ResampledLen(len(y), 25, 32))
	dst := make([]Token, 0, NumFrames(len(z)))
	b.ResetTimer()
	for b.Loop() {
		k := rs.OutputLen(0, len(y))
		rs.Process(z[:k:k], y, 0)
		rs.Flush(z[k:], 0)
		dst = tk.Tokenize(dst[:0], z)
	}
	b.ReportMetric(float64(len(y))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
