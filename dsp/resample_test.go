package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestResamplePolyScipy compares with scipy.signal.resample_poly(x, up,
// down) and its FIR with firwin(2L+1, 1/max(up, down), ('kaiser', 5))·up.
func TestResamplePolyScipy(t *testing.T) {
	const tol = 1e-9 // relative to the signal's max |x|
	for _, c := range loadFilterGolden(t).Resample {
		name := fmt.Sprintf("%d/%d n=%d", c.Up, c.Down, len(c.X))
		if n := ResampledLen(len(c.X), c.Up, c.Down); n != len(c.Y) {
			t.Errorf("%s: ResampledLen %d, scipy %d", name, n, len(c.Y))
		}
		y, err := ResamplePoly(nil, c.X, c.Up, c.Down)
		if err != nil {
			t.Fatal(err)
		}
		filtCheckClose(t, name, y, c.Y, tol, filtMaxAbs(c.X))
		if len(c.Taps) > 0 {
			r, _ := NewResampler(c.Up, c.Down, 1)
			filtCheckClose(t, name+" taps", r.Taps(), c.Taps, 1e-12, filtMaxAbs(c.Taps))
		}
	}
}

// TestResamplerChunking checks that random chunkings followed by Flush
// equal the one-shot result bit for bit, on several channels at once, and
// that Flush starts a new stream.
func TestResamplerChunking(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, ud := range [][2]int{{1, 2}, {2, 1}, {3, 2}, {2, 5}, {160, 256}, {1, 1}, {7, 3}, {1, 4}} {
		for _, n := range []int{0, 1, 5, 33, 300} {
			x := make([][]float64, 3)
			for c := range x {
				x[c] = make([]float64, n)
				for i := range x[c] {
					x[c][i] = rng.NormFloat64()
				}
			}
			r, err := NewResampler(ud[0], ud[1], len(x))
			if err != nil {
				t.Fatal(err)
			}
			for trial := range 3 {
				for c := range x {
					want, _ := ResamplePoly(nil, x[c], ud[0], ud[1])
					var got []float64
					pos := 0
					for _, k := range filtRandomChunks(rng, n) {
						out := make([]float64, r.OutputLen(c, k))
						got = append(got, r.Process(out, x[c][pos:pos+k], c)...)
						pos += k
					}
					got = append(got, r.Flush(nil, c)...)
					if len(got) != len(want) {
						t.Fatalf("%v n=%d trial %d ch %d: %d samples, one-shot %d", ud, n, trial, c, len(got), len(want))
					}
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("%v n=%d trial %d ch %d: sample %d = %v, one-shot %v", ud, n, trial, c, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}

// TestResamplerLatency checks that a stream emits outputs as soon as
// their filter support is complete: after n inputs, all outputs m with
// m·down + L < n·up are out.
// TestResamplerState: a stream stopped after any chunk and resumed in a
// new Resampler from State continues bit for bit; a state the resampler
// cannot have reached is refused.
func TestResamplerState(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 997)
	for i := range x {
		x[i] = rng.NormFloat64()
	}
	for _, f := range [][2]int{{1, 1}, {2, 1}, {1, 3}, {5, 7}} {
		whole, _ := NewResampler(f[0], f[1], 1)
		want := whole.Process(nil, x, 0)
		for _, cut := range []int{0, 1, 13, 400, 996} {
			a, _ := NewResampler(f[0], f[1], 1)
			got := a.Process(nil, x[:cut], 0)
			seen, emitted, hist := a.State(nil, 0)
			b, _ := NewResampler(f[0], f[1], 1)
			if err := b.SetState(0, seen, emitted, hist); err != nil {
				t.Fatalf("%d/%d cut %d: %v", f[0], f[1], cut, err)
			}
			got = append(got, b.Process(nil, x[cut:], 0)...)
			if len(got) != len(want) {
				t.Fatalf("%d/%d cut %d: %d outputs, want %d", f[0], f[1], cut, len(got), len(want))
			}
			for i := range want {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("%d/%d cut %d: output %d = %v, want %v", f[0], f[1], cut, i, got[i], want[i])
				}
			}
		}
	}
	r, _ := NewResampler(2, 3, 1)
	r.Process(nil, x[:50], 0)
	seen, emitted, hist := r.State(nil, 0)
	for _, bad := range []struct {
		seen, emitted int
		hist          []float64
	}{
		{seen, emitted + 1, hist},
		{-1, 0, hist},
		{seen, emitted, hist[1:]},
	} {
		if err := r.SetState(0, bad.seen, bad.emitted, bad.hist); err == nil {
			t.Errorf("SetState(%d, %d, %d samples of history) accepted", bad.seen, bad.emitted, len(bad.hist))
		}
	}
}

func TestResamplerLatency(t *testing.T) {
	r, _ := NewResampler(2, 5, 1) // L = 50
	x := make([]float64, 1000)
	got := r.Process(nil, x, 0)
	if want := (1000*2-1-50)/5 + 1; len(got) != want {
		t.Errorf("%d outputs after 1000 inputs, want %d", len(got), want)
	}
	if n := r.FlushLen(0); n != 400-len(got) {
		t.Errorf("FlushLen %d, want %d", n, 400-len(got))
	}
}

func TestResampleErrors(t *testing.T) {
	if _, err := NewResampler(0, 1, 1); err == nil {
		t.Error("up 0 accepted")
	}
	if _, err := ResamplePoly(nil, []float64{1}, 1, -2); err == nil {
		t.Error("down -2 accepted")
	}
	r, _ := NewResampler(1, 2, 1)
	wantPanic(t, "dst", "dsp: Resampler.Process: len(dst) = 3, want 40",
		func() { r.Process(make([]float64, 3), make([]float64, 100), 0) })
	wantPanic(t, "channel", "dsp: Resampler.Process: channel 1 out of range [0, 1)",
		func() { r.Process(nil, nil, 1) })
}

// TestResampleSine checks the filter independently of scipy: a 5 Hz sine
// at 256 Hz resampled to 100 Hz (25/64) stays a 5 Hz sine of unit
// amplitude away from the edges.
func TestResampleSine(t *testing.T) {
	const tol = 2e-3 // Kaiser β = 5, L = 10·max(up, down): pass-band error ≈ 1.4e-3 here (scipy too)
	x := make([]float64, 2560)
	for i := range x {
		x[i] = math.Sin(2 * math.Pi * 5 * float64(i) / 256)
	}
	y, _ := ResamplePoly(nil, x, 100, 256)
	for m := 200; m < len(y)-200; m++ {
		if want := math.Sin(2 * math.Pi * 5 * float64(m) / 100); math.Abs(y[m]-want) > tol {
			t.Fatalf("y[%d] = %v, want %v", m, y[m], want)
		}
	}
}

func TestResamplerNoAllocs(t *testing.T) {
	r, _ := NewResampler(2, 5, 1)
	x := make([]float64, 256)
	for i := range x {
		x[i] = rand.NormFloat64()
	}
	dst := make([]float64, 256)
	if a := testing.AllocsPerRun(20, func() { r.Process(dst[:r.OutputLen(0, len(x))], x, 0) }); a != 0 {
		t.Errorf("Process: %v allocs", a)
	}
}

// BenchmarkResampler streams 1 s chunks at 256 Hz down to 100 Hz (25/64),
// per channel, for 1 and 64 channels.
func BenchmarkResampler(b *testing.B) {
	for _, nch := range []int{1, 64} {
		b.Run(fmt.Sprintf("ch=%d", nch), func(b *testing.B) {
			r, _ := NewResampler(100, 256, nch)
			x := make([]float64, 256)
			for i := range x {
				x[i] = rand.NormFloat64()
			}
			dst := make([]float64, 256)
			b.ReportAllocs()
			b.SetBytes(int64(8 * 256 * nch))
			for b.Loop() {
				for c := range nch {
					r.Process(dst[:r.OutputLen(c, len(x))], x, c)
				}
			}
			b.ReportMetric(float64(256*nch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

func ExampleResampler() {
	// Stream 250 Hz data to 100 Hz (2/5) in chunks of 64 samples.
	r, _ := NewResampler(100, 250, 1)
	x := make([]float64, 1000)
	var y []float64
	for pos := 0; pos < len(x); pos += 64 {
		chunk := x[pos:min(pos+64, len(x))]
		y = append(y, r.Process(nil, chunk, 0)...)
	}
	y = append(y, r.Flush(nil, 0)...) // end of stream
	fmt.Println(r.Up(), r.Down(), len(y), ResampledLen(len(x), 100, 250))
	// Output: 2 5 400 400
}

func TestRateRatio(t *testing.T) {
	for _, tc := range []struct {
		from     float64
		up, down int
		ok       bool
	}{{256, 1, 1, true}, {300, 64, 75, true}, {160, 8, 5, true}, {100, 64, 25, true}, {512, 1, 2, true}, {20000, 8, 625, true},
		{173.61, 0, 0, false}, {256 * 1009, 0, 0, false}, {0, 0, 0, false}, {math.Inf(1), 0, 0, false}} {
		up, down, ok := RateRatio(256, tc.from, 1000)
		if ok != tc.ok || (ok && (up != tc.up || down != tc.down)) {
			t.Errorf("256/%g: %d/%d %v, want %d/%d %v", tc.from, up, down, ok, tc.up, tc.down, tc.ok)
		}
	}
}
