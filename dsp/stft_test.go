package dsp

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

func TestSTFTScipy(t *testing.T) {
	const tol = 1e-9 // relative to the largest |Z| of the case (issue 4: spectra ≤ 1e-9 relative)
	for i, c := range loadMTGolden(t).STFT {
		t.Run(fmt.Sprintf("%d_nperseg%d", i, c.NPerSeg), func(t *testing.T) {
			cfg := STFTConfig{
				SampleRate: c.FS, SegmentLen: c.NPerSeg, TwoSided: !c.ReturnOnesided,
				NoBoundary: c.Boundary == nil, NoPadding: !c.Padded, Density: c.Scaling == "psd",
			}
			if c.NOverlap != nil {
				cfg.Overlap = *c.NOverlap
				if cfg.Overlap == 0 {
					cfg.Overlap = -1
				}
			}
			if c.NFFT != nil {
				cfg.NFFT = *c.NFFT
			}
			switch c.Detrend {
			case "constant":
				cfg.DetrendSegments, cfg.Detrend = true, DetrendConstant
			case "linear":
				cfg.DetrendSegments, cfg.Detrend = true, DetrendLinear
			}
			switch c.Window {
			case "hann":
			case "hamming":
				cfg.Window = Hamming(nil, c.NPerSeg, true)
			default:
				t.Fatalf("window %q", c.Window)
			}
			for k, w := range c.WindowValues {
				if got := cfg.windowOrHann()[k]; math.Abs(got-w) > 1e-12 {
					t.Fatalf("window[%d] = %g, scipy %g", k, got, w)
				}
			}
			p, err := NewSTFT(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if f := p.Frames(c.N); f != c.Frames {
				t.Fatalf("%d frames, scipy %d", f, c.Frames)
			}
			for k, f := range p.Freqs(nil) {
				if math.Abs(f-c.Freqs[k]) > 1e-12*c.FS {
					t.Errorf("freq %d: %g, scipy %g", k, f, c.Freqs[k])
				}
			}
			for j, tt := range p.Times(nil, c.N) {
				if math.Abs(tt-c.Times[j]) > 1e-12*float64(c.N)/c.FS {
					t.Errorf("time %d: %g, scipy %g", j, tt, c.Times[j])
				}
			}
			z := p.Transform(nil, c.X)
			if len(z) != len(c.Z.Re) {
				t.Fatalf("%d values, scipy %d", len(z), len(c.Z.Re))
			}
			var peak float64
			for k := range c.Z.Re {
				peak = math.Max(peak, cmplx.Abs(complex(c.Z.Re[k], c.Z.Im[k])))
			}
			var worst float64
			for k, v := range z {
				worst = math.Max(worst, cmplx.Abs(v-complex(c.Z.Re[k], c.Z.Im[k]))/peak)
			}
			if worst > tol {
				t.Errorf("max difference %g of peak", worst)
			}
			t.Logf("%d frames × %d bins, max difference %.2g of peak", c.Frames, p.Len(), worst)

			// The stream, fed in random chunks and flushed, gives the same frames.
			s, err := NewSTFTStream(cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for rep := range 3 {
				var got []complex128
				for off := 0; off < len(c.X); {
					m := min(len(c.X)-off, r.IntN(2*c.NPerSeg+1))
					got = s.Write(got, c.X[off:off+m])
					off += m
				}
				got = s.Flush(got)
				if len(got) != len(z) {
					t.Fatalf("stream rep %d: %d values, one-shot %d", rep, len(got), len(z))
				}
				for k := range got {
					if cmplx.Abs(got[k]-z[k]) > 1e-13*peak {
						t.Fatalf("stream rep %d: value %d = %v, one-shot %v", rep, k, got[k], z[k])
					}
				}
			}
		})
	}
}

// windowOrHann is the window NewSTFT will use.
func (c STFTConfig) windowOrHann() []float64 {
	if c.Window != nil {
		return c.Window
	}
	return Hann(nil, c.SegmentLen, true)
}

func TestSpectrogramScipy(t *testing.T) {
	const tol = 1e-9 // relative to the largest value of the case
	for i, c := range loadMTGolden(t).Spectrogram {
		t.Run(fmt.Sprintf("%d_%s_%s", i, c.Mode, c.Scaling), func(t *testing.T) {
			cfg := STFTConfig{
				SampleRate: c.FS, SegmentLen: c.NPerSeg, Overlap: c.NOverlap,
				NoBoundary: true, NoPadding: true, Density: c.Scaling == "density",
			}
			if c.NFFT != nil {
				cfg.NFFT = *c.NFFT
			}
			p, err := NewSTFT(cfg)
			if err != nil {
				t.Fatal(err)
			}
			var got []float64
			switch c.Mode {
			case "magnitude":
				got = p.Magnitude(nil, c.X)
			case "psd":
				got = p.Power(nil, c.X)
			}
			if len(got) != len(c.S) {
				t.Fatalf("%d values, scipy %d", len(got), len(c.S))
			}
			for j, tt := range p.Times(nil, c.N) {
				if math.Abs(tt-c.Times[j]) > 1e-12*float64(c.N)/c.FS {
					t.Errorf("time %d: %g, scipy %g", j, tt, c.Times[j])
				}
			}
			peak := slices.Max(c.S)
			for k := range got {
				if math.Abs(got[k]-c.S[k]) > tol*peak {
					t.Errorf("value %d: %g, scipy %g", k, got[k], c.S[k])
				}
			}
		})
	}
}

func TestSTFTConfigErrors(t *testing.T) {
	for _, cfg := range []STFTConfig{
		{SampleRate: 0, SegmentLen: 8},
		{SampleRate: 100, SegmentLen: -1},
		{SampleRate: 100, SegmentLen: 8, Overlap: 8},
		{SampleRate: 100, SegmentLen: 8, NFFT: 4},
		{SampleRate: 100, SegmentLen: 8, Window: make([]float64, 7)},
		{SampleRate: 100, SegmentLen: 8, Window: make([]float64, 8)},
		{SampleRate: 100, SegmentLen: 8, DetrendSegments: true, Detrend: 9},
	} {
		if _, err := NewSTFT(cfg); err == nil {
			t.Errorf("NewSTFT(%+v) accepted", cfg)
		}
	}
	p, _ := NewSTFT(STFTConfig{SampleRate: 1})
	if c := p.Config(); c.SegmentLen != 256 || c.Overlap != 128 || c.NFFT != 256 {
		t.Errorf("defaults %+v", c)
	}
}

// TestSTFTShort covers signals shorter than a frame: the one-shot and the
// stream agree on every length, including those giving no frame.
func TestSTFTShort(t *testing.T) {
	for _, cfg := range []STFTConfig{
		{SampleRate: 100, SegmentLen: 20, Overlap: 5},
		{SampleRate: 100, SegmentLen: 21, Overlap: 17, NoBoundary: true},
		{SampleRate: 100, SegmentLen: 16, NoBoundary: true, NoPadding: true},
	} {
		p, _ := NewSTFT(cfg)
		s, _ := NewSTFTStream(cfg)
		for n := 0; n < 3*cfg.SegmentLen; n++ {
			x := make([]float64, n)
			for i := range x {
				x[i] = math.Sin(float64(i))
			}
			want := p.Transform(nil, x)
			got := s.Flush(s.Write(nil, x))
			if len(got) != len(want) {
				t.Fatalf("%+v n=%d: stream %d values, one-shot %d", cfg, n, len(got), len(want))
			}
			for k := range got {
				if cmplx.Abs(got[k]-want[k]) > 1e-12 {
					t.Fatalf("%+v n=%d: value %d differs", cfg, n, k)
				}
			}
		}
	}
}

func TestSTFTNoAllocs(t *testing.T) {
	cfg := STFTConfig{SampleRate: 200, SegmentLen: 200, Overlap: 100}
	p, _ := NewSTFT(cfg)
	x := make([]float64, 2000)
	for i := range x {
		x[i] = rand.NormFloat64()
	}
	z := make([]complex128, p.Frames(len(x))*p.Len())
	mag := make([]float64, len(z))
	if a := testing.AllocsPerRun(10, func() { p.Transform(z, x) }); a != 0 {
		t.Errorf("Transform: %v allocs", a)
	}
	if a := testing.AllocsPerRun(10, func() { p.Power(mag, x) }); a != 0 {
		t.Errorf("Power: %v allocs", a)
	}
	s, _ := NewSTFTStream(cfg)
	buf := make([]complex128, 0, (s.MaxFrames(len(x))+2)*s.Len())
	if a := testing.AllocsPerRun(10, func() { s.Flush(s.Write(buf[:0], x)) }); a != 0 {
		t.Errorf("stream: %v allocs", a)
	}
	for _, chunk := range []int{1, 37, 100, 250} {
		for off := 0; off+chunk <= len(x); off += chunk {
			if m, got := s.MaxFrames(chunk), len(s.Write(nil, x[off:off+chunk]))/s.Len(); got > m {
				t.Fatalf("chunk %d: Write emitted %d frames, MaxFrames said %d", chunk, got, m)
			}
		}
		s.Reset()
	}
}

func BenchmarkSTFT(b *testing.B) {
	// The tokenizer's case: 1 s Hann window, n_fft 200, hop 100 at 200 Hz,
	// one channel of 60 s.
	const fs, n = 200.0, 60 * 200
	x := make([]float64, n)
	for i := range x {
		x[i] = rand.NormFloat64()
	}
	cfg := STFTConfig{SampleRate: fs, SegmentLen: 200, Overlap: 100, NFFT: 200}
	b.Run("oneshot_1ch_60s_200Hz", func(b *testing.B) {
		p, _ := NewSTFT(cfg)
		z := make([]complex128, p.Frames(n)*p.Len())
		b.ReportAllocs()
		for b.Loop() {
			p.Transform(z, x)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
	})
	b.Run("power_1ch_60s_200Hz", func(b *testing.B) {
		p, _ := NewSTFT(cfg)
		z := make([]float64, p.Frames(n)*p.Len())
		b.ReportAllocs()
		for b.Loop() {
			p.Power(z, x)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
	})
	b.Run("stream_chunk50_1ch_60s_200Hz", func(b *testing.B) {
		s, _ := NewSTFTStream(cfg)
		z := make([]complex128, 0, (s.Frames(n)+1)*s.Len())
		b.ReportAllocs()
		for b.Loop() {
			z = z[:0]
			for off := 0; off < n; off += 50 {
				z = s.Write(z, x[off:off+50])
			}
			z = s.Flush(z)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
	})
}

func ExampleSTFTStream() {
	// 1 s Hann frames every 0.5 s at 200 Hz, fed 0.25 s at a time.
	const fs = 200.0
	s, _ := NewSTFTStream(STFTConfig{SampleRate: fs, SegmentLen: 200, Overlap: 100})
	chunk := make([]float64, 50)
	var frames []complex128
	for c := range 8 { // 2 s
		for i := range chunk {
			chunk[i] = math.Sin(2 * math.Pi * 12 * float64(c*50+i) / fs)
		}
		frames = s.Write(frames, chunk)
	}
	fmt.Println("frames while streaming:", len(frames)/s.Len())
	frames = s.Flush(frames)
	fmt.Println("frames after flush:", len(frames)/s.Len())
	mid := frames[2*s.Len() : 3*s.Len()] // frame centred on t = 1 s
	fmt.Printf("|Z| at 12 Hz: %.2f\n", cmplx.Abs(mid[12]))
	// Output:
	// frames while streaming: 4
	// frames after flush: 5
	// |Z| at 12 Hz: 0.50
}

// TestSTFTRealFFT checks the internal real FFT against gonum's fftpack port
// for lengths using every radix and the fallback.
func TestSTFTRealFFT(t *testing.T) {
	const tol = 1e-12 // relative to Σ|x|, the bound on any coefficient
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{2, 3, 4, 6, 8, 10, 12, 16, 18, 30, 40, 50, 64, 90, 100, 126, 200, 250, 256, 300, 375, 500, 512, 600, 1000, 1024, 1458} {
		x := make([]float64, n)
		var l1 float64
		for i := range x {
			x[i] = r.NormFloat64()
			l1 += math.Abs(x[i])
		}
		want := fourier.NewFFT(n).Coefficients(nil, x)
		f := NewRealFFT(n)
		got := make([]complex128, n/2+1)
		f.Coefficients(got, x)
		for k := range got {
			if cmplx.Abs(got[k]-want[k]) > tol*l1 {
				t.Errorf("n=%d (radices %v): bin %d = %v, gonum %v", n, f.radix, k, got[k], want[k])
				break
			}
		}
	}
}

func BenchmarkSTFTRealFFT(b *testing.B) {
	for _, n := range []int{200, 256, 512} {
		x := make([]float64, n)
		for i := range x {
			x[i] = rand.NormFloat64()
		}
		dst := make([]complex128, n/2+1)
		b.Run(fmt.Sprintf("own_%d", n), func(b *testing.B) {
			f := NewRealFFT(n)
			b.ReportAllocs()
			for b.Loop() {
				f.Coefficients(dst, x)
			}
		})
		b.Run(fmt.Sprintf("gonum_%d", n), func(b *testing.B) {
			f := fourier.NewFFT(n)
			b.ReportAllocs()
			for b.Loop() {
				f.Coefficients(dst, x)
			}
		})
	}
}
