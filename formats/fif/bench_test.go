package fif

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkReadSamples streams a synthetic 64-channel, 1000 Hz recording
// of 100-sample buffers in chunks of several sizes.
func BenchmarkReadSamples(b *testing.B) {
	const nchan, nbuf, bufLen = 64, 200, 100
	for _, typ := range []uint32{typeFloat, typeShort} {
		chs := eegChannels(nchan)
		for i := range chs {
			chs[i].name = fmt.Sprintf("EEG %03d", i)
		}
		s := synth{sfreq: 1000, chs: chs}
		for i := 0; i < nbuf; i++ {
			s.parts = append(s.parts, synthBuf{typ: typ, data: ramp(bufLen, nchan, float64(i))})
		}
		data := s.bytes()
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), "bench_raw.fif")
		if err != nil {
			b.Fatal(err)
		}
		n := r.Info().NSamples
		for _, chunk := range []int64{64, 1000, 10000} {
			b.Run(fmt.Sprintf("type=%d/chunk=%d", typ, chunk), func(b *testing.B) {
				dst := make([][]float64, nchan)
				for c := range dst {
					dst[c] = make([]float64, chunk)
				}
				b.SetBytes(chunk * nchan * 8)
				b.ReportAllocs()
				start := int64(0)
				for b.Loop() {
					if start+chunk > n {
						start = 0
					}
					if err := r.ReadSamples(dst, start, start+chunk); err != nil {
						b.Fatal(err)
					}
					start += chunk + 17 // straddle buffer edges
				}
			})
		}
	}
}
