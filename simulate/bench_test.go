package simulate

import (
	"testing"
)

// benchRead reads consecutive 1 s blocks, wrapping at the end, and reports
// time samples per second (per channel) and values per second.
func benchRead(b *testing.B, c Config) {
	s, err := New(c)
	if err != nil {
		b.Fatal(err)
	}
	in := s.Info()
	block := int64(in.SampleRate)
	dst := make([][]float64, len(in.Channels))
	for i := range dst {
		dst[i] = make([]float64, block)
	}
	var pos int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if pos+block > in.NSamples {
			pos = 0
		}
		if err := s.ReadSamples(dst, pos, pos+block); err != nil {
			b.Fatal(err)
		}
		pos += block
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N)*float64(block)/sec, "samples/s")
	b.ReportMetric(float64(b.N)*float64(block)*float64(len(dst))/sec, "values/s")
}

// BenchmarkReadSamples reads 1 s blocks of the default 19-channel EEG
// (background, alpha, line noise, blinks) plus SSVEP trials and seizures.
func BenchmarkReadSamples(b *testing.B) {
	b.Run("eeg19", func(b *testing.B) {
		c := DefaultConfig()
		c.Duration = 3600
		c.SSVEP.Enabled = true
		c.Seizures.Enabled = true
		c.Seizures.RatePerHour = 30
		benchRead(b, c)
	})
	b.Run("eeg19-background", func(b *testing.B) {
		c := quiet(1, 3600)
		c.Background.Enabled = true
		benchRead(b, c)
	})
	b.Run("meg306-1kHz", func(b *testing.B) {
		c := DefaultConfig()
		c.Montage.Kind = "meg"
		c.SampleRate = 1000
		c.Duration = 600
		benchRead(b, c)
	})
}
