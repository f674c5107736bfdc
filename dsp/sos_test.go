package dsp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// filtMaxAbs returns the largest |v| over x.
func filtMaxAbs(x ...[]float64) float64 {
	var m float64
	for _, r := range x {
		for _, v := range r {
			m = math.Max(m, math.Abs(v))
		}
	}
	return m
}

// filtCheckClose reports entries of got farther than tol·scale from want.
func filtCheckClose(t *testing.T, name string, got, want []float64, tol, scale float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d samples, want %d", name, len(got), len(want))
		return
	}
	bad := 0
	for i := range want {
		if d := math.Abs(got[i] - want[i]); d > tol*scale || math.IsNaN(got[i]) {
			if bad < 3 {
				t.Errorf("%s[%d] = %.17g, want %.17g (diff %.3g, scale %.3g)", name, i, got[i], want[i], d, scale)
			}
			bad++
		}
	}
	if bad > 3 {
		t.Errorf("%s: %d samples out of tolerance", name, bad)
	}
}

// TestSOSFilterScipy compares the streaming filter with scipy.signal.sosfilt
// (zi=None and zi=sosfilt_zi·x[0]), the final state with sosfilt's zf, and
// SteadyState with sosfilt_zi.
func TestSOSFilterScipy(t *testing.T) {
	const tol = 1e-9 // relative to the signal's max |x|
	g := loadFilterGolden(t).SOSFilt
	scale := filtMaxAbs(g.X...)
	for i, c := range g.Cases {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			zi := c.SOS.SteadyState()
			for s := range zi {
				for k := range 2 {
					if d := math.Abs(zi[s][k] - c.ZI[s][k]); d > 1e-12*math.Max(1, math.Abs(c.ZI[s][k])) {
						t.Errorf("sosfilt_zi[%d][%d] = %v, scipy %v", s, k, zi[s][k], c.ZI[s][k])
					}
				}
			}
			for _, init := range []FilterInit{InitZero, InitSteady} {
				f, err := NewSOSFilter(c.SOS, len(g.X), init)
				if err != nil {
					t.Fatal(err)
				}
				y := f.FilterChannels(nil, g.X)
				want := c.Y
				if init == InitSteady {
					want = c.YSteady
				}
				for ch := range y {
					filtCheckClose(t, fmt.Sprintf("init %d ch %d", init, ch), y[ch], want[ch], tol, scale)
				}
				if init == InitSteady {
					for ch := range y {
						zf := f.State(nil, ch)
						for s := range c.ZFSteady[ch] {
							for k := range 2 {
								if d := math.Abs(zf[2*s+k] - c.ZFSteady[ch][s][k]); d > tol*scale {
									t.Errorf("ch %d zf[%d][%d] = %v, scipy %v", ch, s, k, zf[2*s+k], c.ZFSteady[ch][s][k])
								}
							}
						}
					}
				}
			}
		})
	}
}

// filtRandomChunks splits n into random chunk lengths (including empty ones).
func filtRandomChunks(rng *rand.Rand, n int) []int {
	var out []int
	for n > 0 {
		k := min(n, rng.IntN(70))
		out = append(out, k)
		n -= k
	}
	return out
}

// TestSOSFilterChunking checks that any chunking of a stream gives the
// one-shot result bit for bit, for both initial-state policies, in place
// and not, and that Reset starts a new stream.
func TestSOSFilterChunking(t *testing.T) {
	g := loadFilterGolden(t).SOSFilt
	rng := rand.New(rand.NewPCG(1, 2))
	for i, c := range g.Cases {
		for _, init := range []FilterInit{InitZero, InitSteady} {
			one, _ := NewSOSFilter(c.SOS, 2, init)
			want := one.FilterChannels(nil, g.X)
			f, _ := NewSOSFilter(c.SOS, 2, init)
			for trial := range 20 {
				f.Reset()
				for ch := range 2 {
					x := g.X[ch]
					got := make([]float64, 0, len(x))
					pos := 0
					for _, k := range filtRandomChunks(rng, len(x)) {
						buf := append([]float64(nil), x[pos:pos+k]...)
						if trial%2 == 0 {
							f.Filter(buf, buf, ch) // in place
						} else {
							buf = f.Filter(nil, buf, ch)
						}
						got = append(got, buf...)
						pos += k
					}
					for j := range got {
						if got[j] != want[ch][j] {
							t.Fatalf("case %d init %d trial %d ch %d: sample %d = %v, one-shot %v", i, init, trial, ch, j, got[j], want[ch][j])
						}
					}
				}
			}
		}
	}
}

// TestSOSFilterSetState checks that SetState(zi·x0) equals InitSteady.
func TestSOSFilterSetState(t *testing.T) {
	sos, _ := Butter(3, []float64{5, 30}, Bandpass, 200)
	x := []float64{3, 1, 4, 1, 5, 9, 2, 6}
	a, _ := NewSOSFilter(sos, 1, InitSteady)
	b, _ := NewSOSFilter(sos, 1, InitSteady)
	z := make([]float64, 2*len(sos))
	for s, zi := range sos.SteadyState() {
		z[2*s], z[2*s+1] = zi[0]*x[0], zi[1]*x[0]
	}
	b.SetState(0, z)
	ya, yb := a.Filter(nil, x, 0), b.Filter(nil, x, 0)
	for i := range ya {
		if ya[i] != yb[i] {
			t.Fatalf("sample %d: %v vs %v", i, ya[i], yb[i])
		}
	}
}

// TestSOSFilterSteadyDC checks InitSteady's purpose: a constant input
// passes a low-pass without transient.
func TestSOSFilterSteadyDC(t *testing.T) {
	const tol = 1e-12 // relative to the DC level
	sos, _ := Butter(4, []float64{30}, Lowpass, 250)
	f, _ := NewSOSFilter(sos, 1, InitSteady)
	x := make([]float64, 100)
	for i := range x {
		x[i] = 7.5e-5
	}
	for i, v := range f.Filter(nil, x, 0) {
		if math.Abs(v-x[i]) > tol*x[i] {
			t.Fatalf("sample %d: %v, want %v", i, v, x[i])
		}
	}
}

// TestSOSFiltFiltScipy compares with scipy.signal.sosfiltfilt, including
// the shortest signal scipy accepts and sections of first order.
func TestSOSFiltFiltScipy(t *testing.T) {
	const tol = 1e-9 // relative to the signal's max |x|
	for i, c := range loadFilterGolden(t).FiltFilt {
		f, err := NewFiltFilt(c.SOS)
		if err != nil {
			t.Fatal(err)
		}
		if f.PadLen() != c.PadLen {
			t.Errorf("case %d: padlen %d, scipy %d", i, f.PadLen(), c.PadLen)
		}
		y, err := SOSFiltFilt(nil, c.X, c.SOS)
		if err != nil {
			t.Fatal(err)
		}
		filtCheckClose(t, fmt.Sprintf("case %d", i), y, c.Y, tol, filtMaxAbs(c.X))
		// In place through the plan.
		x := append([]float64(nil), c.X...)
		if _, err := f.Filter(x, x); err != nil {
			t.Fatal(err)
		}
		filtCheckClose(t, fmt.Sprintf("case %d in place", i), x, c.Y, tol, filtMaxAbs(c.X))
		if _, err := f.Filter(nil, c.X[:c.PadLen]); err == nil {
			t.Errorf("case %d: signal of padlen samples accepted", i)
		}
	}
}

func TestSOSFilterErrors(t *testing.T) {
	if _, err := NewSOSFilter(SOS{{1, 0, 0, 0.5, 0, 0}}, 1, InitZero); err == nil {
		t.Error("a0 = 0.5 accepted")
	}
	if _, err := NewSOSFilter(SOS{{1, 0, 0, 1, 0, 0}}, 1, FilterInit(7)); err == nil {
		t.Error("unknown init accepted")
	}
	if _, err := NewFiltFilt(nil); err == nil {
		t.Error("empty SOS accepted")
	}
	f, _ := NewSOSFilter(SOS{{1, 0, 0, 1, 0, 0}}, 2, InitZero)
	wantPanic(t, "channel", "dsp: SOSFilter.Filter: channel 2 out of range [0, 2)",
		func() { f.Filter(nil, []float64{1}, 2) })
	wantPanic(t, "dst", "dsp: SOSFilter.Filter: len(dst) = 2, want 1",
		func() { f.Filter(make([]float64, 2), []float64{1}, 0) })
	wantPanic(t, "channels", "dsp: SOSFilter.FilterChannels: len(x) = 1, want 2",
		func() { f.FilterChannels(nil, [][]float64{{1}}) })
	wantPanic(t, "state", "dsp: SOSFilter.SetState: len(z) = 1, want 2",
		func() { f.SetState(0, []float64{1}) })
}

func TestSOSNoAllocs(t *testing.T) {
	sos, _ := Butter(4, []float64{1, 40}, Bandpass, 256)
	x := make([][]float64, 8)
	for c := range x {
		x[c] = make([]float64, 256)
		for i := range x[c] {
			x[c][i] = rand.NormFloat64()
		}
	}
	f, _ := NewSOSFilter(sos, len(x), InitSteady)
	dst := make([][]float64, len(x))
	for c := range dst {
		dst[c] = make([]float64, 256)
	}
	if a := testing.AllocsPerRun(20, func() { f.FilterChannels(dst, x) }); a != 0 {
		t.Errorf("FilterChannels: %v allocs", a)
	}
	if a := testing.AllocsPerRun(20, func() { f.Filter(dst[0], x[0], 0) }); a != 0 {
		t.Errorf("Filter: %v allocs", a)
	}
	ff, _ := NewFiltFilt(sos)
	ff.Filter(dst[0], x[0])
	if a := testing.AllocsPerRun(20, func() { ff.Filter(dst[0], x[0]) }); a != 0 {
		t.Errorf("FiltFilt.Filter: %v allocs", a)
	}
}

// BenchmarkSOSFilter filters 1 s chunks at 256 Hz through a 4th-order
// 1–40 Hz Butterworth band-pass (4 sections), for 1 and 64 channels.
func BenchmarkSOSFilter(b *testing.B) {
	sos, _ := Butter(4, []float64{1, 40}, Bandpass, 256)
	for _, nch := range []int{1, 64} {
		b.Run(fmt.Sprintf("ch=%d", nch), func(b *testing.B) {
			x := make([][]float64, nch)
			for c := range x {
				x[c] = make([]float64, 256)
				for i := range x[c] {
					x[c][i] = rand.NormFloat64()
				}
			}
			f, _ := NewSOSFilter(sos, nch, InitZero)
			dst := f.FilterChannels(nil, x)
			b.ReportAllocs()
			b.SetBytes(int64(8 * 256 * nch))
			for b.Loop() {
				f.FilterChannels(dst, x)
			}
			b.ReportMetric(float64(256*nch)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

func BenchmarkSOSFiltFilt(b *testing.B) {
	sos, _ := Butter(4, []float64{1, 40}, Bandpass, 256)
	for _, n := range []int{256, 256 * 60} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x := make([]float64, n)
			for i := range x {
				x[i] = rand.NormFloat64()
			}
			f, _ := NewFiltFilt(sos)
			dst, _ := f.Filter(nil, x)
			b.ReportAllocs()
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				f.Filter(dst, x)
			}
		})
	}
}

func ExampleSOSFilter() {
	const fs = 256.0
	sos, _ := Butter(4, []float64{1, 40}, Bandpass, fs)
	f, _ := NewSOSFilter(sos, 1, InitZero)
	// A 10 Hz sine plus a 60 Hz one, streamed in 32-sample chunks.
	var last []float64
	for k := range 32 {
		chunk := make([]float64, 32)
		for i := range chunk {
			t := float64(32*k+i) / fs
			chunk[i] = math.Sin(2*math.Pi*10*t) + math.Sin(2*math.Pi*60*t)
		}
		last = f.Filter(chunk, chunk, 0) // in place
	}
	fmt.Printf("max |y| over the last chunk: %.2f\n", filtMaxAbs(last))
	// Output: max |y| over the last chunk: 1.09
}

func ExampleSOSFiltFilt() {
	sos, _ := Butter(2, []float64{5}, Lowpass, 100)
	x := make([]float64, 200)
	for i := range x {
		x[i] = 1 // a constant passes unchanged, without edge transients
	}
	y, err := SOSFiltFilt(nil, x, sos)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%.6f %.6f\n", y[0], y[199])
	// Output: 1.000000 1.000000
}
