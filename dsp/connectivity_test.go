package dsp

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/dsp/fourier"
)

// connMNEPlan is the CSD plan whose segments are the golden script's MNE
// epochs, with MNE's taper (numpy.hanning) and mean removal.
func connMNEPlan(t testing.TB, fs float64, nt, step, ch int) *CSD {
	t.Helper()
	ov := nt - step
	if ov == 0 {
		ov = -1
	}
	plan, err := NewCSD(CSDConfig{
		WelchConfig: WelchConfig{SampleRate: fs, SegmentLen: nt, Overlap: ov, Window: Hann(nil, nt, false), Detrend: DetrendConstant},
		Channels:    ch,
	})
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

// connDecode splits a golden score array into real and imaginary parts
// (imaginary nil for real methods), flattened [pair][freq].
func connDecode(t *testing.T, raw json.RawMessage, complexScores bool) (re, im []float64) {
	t.Helper()
	if complexScores {
		var v struct{ Re, Im [][]float64 }
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		return slices.Concat(v.Re...), slices.Concat(v.Im...)
	}
	var v [][]float64
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return slices.Concat(v...), nil
}

// connPick keeps the bins of scores ([pair][nf]) at the given bin indices.
func connPick(scores []float64, nf int, bins []int) []float64 {
	out := make([]float64, 0, len(scores)/nf*len(bins))
	for p := 0; p < len(scores)/nf; p++ {
		for _, k := range bins {
			out = append(out, scores[p*nf+k])
		}
	}
	return out
}

// TestConnectivityMNE compares coh, cohy, imcoh, plv, pli and wpli with
// mne_connectivity.spectral_connectivity_epochs(mode='fourier') on epochs
// that are the CSD plan's segments, per bin over all pairs and band-averaged
// over an explicit seed/target list.
func TestConnectivityMNE(t *testing.T) {
	// 1e-9 relative. coh, plv, pli and wpli are non-negative and checked
	// element by element; imcoh and cohy cross zero, so their error is
	// relative to the largest magnitude of the compared array.
	const tol = 1e-9
	g := loadCSDGolden(t)
	methods := []ConnMethod{Coh, Cohy, ImCoh, PLV, PLI, WPLI}
	for _, c := range g.MNE {
		t.Run(fmt.Sprintf("n_times%d_step%d", c.NTimes, c.Step), func(t *testing.T) {
			nch := len(g.X)
			plan := connMNEPlan(t, g.FS, c.NTimes, c.Step, nch)
			if s := plan.Segments(len(g.X[0])); s != c.NEpochs {
				t.Fatalf("%d segments, MNE %d epochs", s, c.NEpochs)
			}
			freqs := plan.Freqs(nil)
			var bins []int
			for _, f := range c.Freqs {
				bins = append(bins, int(math.Round(f*float64(c.NTimes)/g.FS)))
			}
			tril := AllChannelPairs(nch)
			for p, pr := range tril {
				if pr.Seed != c.TrilSeeds[p] || pr.Target != c.TrilTargets[p] {
					t.Fatalf("AllChannelPairs[%d] = %v, numpy.tril_indices (%d,%d)", p, pr, c.TrilSeeds[p], c.TrilTargets[p])
				}
			}
			var listed []ChannelPair
			for i, s := range c.PairsSeeds {
				listed = append(listed, ChannelPair{s, c.PairsTargets[i]})
			}
			all, err := NewConnectivity(ConnConfig{Channels: nch, Bins: plan.Len(), Methods: append([]ConnMethod{MSC}, methods...)})
			if err != nil {
				t.Fatal(err)
			}
			// The listed pairs go through two accumulators merged, as
			// mne-connectivity's parallel combine.
			half1, _ := NewConnectivity(ConnConfig{Channels: nch, Bins: plan.Len(), Pairs: listed, Methods: methods})
			half2, _ := NewConnectivity(ConnConfig{Channels: nch, Bins: plan.Len(), Pairs: listed, Methods: methods})
			sp := NewSegmentSpectra(nch, plan.Len())
			for e := range c.NEpochs {
				plan.Spectra(sp, g.X, e*c.Step)
				all.Accumulate(sp)
				if e < c.NEpochs/2 {
					half1.Accumulate(sp)
				} else {
					half2.Accumulate(sp)
				}
			}
			half1.Merge(half2)
			if all.Epochs() != c.NEpochs || half1.Epochs() != c.NEpochs {
				t.Fatalf("epochs %d and %d, want %d", all.Epochs(), half1.Epochs(), c.NEpochs)
			}
			csd := plan.Compute(nil, g.X)
			var bands []Band
			for i, lo := range c.BandFMin {
				bands = append(bands, Band{Low: lo, High: c.BandFMax[i]})
			}
			for _, m := range methods {
				wantRe, wantIm := connDecode(t, c.PerBin[string(m)], m == Cohy)
				bandRe, bandIm := connDecode(t, c.Bands[string(m)], m == Cohy)
				crossing := m == ImCoh
				if m == Cohy {
					z := all.Coherency(nil)
					re, im := connSplit(z)
					csdCheck(t, "cohy re", connPick(re, plan.Len(), bins), wantRe, tol, true)
					csdCheck(t, "cohy im", connPick(im, plan.Len(), bins), wantIm, tol, true)
					re, im = connSplit(csd.Coherency(nil, nil))
					csdCheck(t, "cohy from CSD re", connPick(re, plan.Len(), bins), wantRe, tol, true)
					csdCheck(t, "cohy from CSD im", connPick(im, plan.Len(), bins), wantIm, tol, true)
					zb := ConnBandMeanComplex(nil, half1.Coherency(nil), freqs, bands)
					re, im = connSplit(zb)
					csdCheck(t, "cohy bands re", re, bandRe, tol, true)
					csdCheck(t, "cohy bands im", im, bandIm, tol, true)
					continue
				}
				got := all.Result(nil, m)
				csdCheck(t, string(m), connPick(got, plan.Len(), bins), wantRe, tol, crossing)
				if m == Coh || m == ImCoh {
					fromCSD := csd.Connectivity(nil, m, nil)
					csdCheck(t, string(m)+" from CSD", connPick(fromCSD, plan.Len(), bins), wantRe, tol, crossing)
				}
				gotBands := ConnBandMean(nil, half1.Result(nil, m), freqs, bands)
				csdCheck(t, string(m)+" bands", gotBands, bandRe, tol, crossing)
			}
			// MSC is the square of coh.
			coh, msc := all.Result(nil, Coh), all.Result(nil, MSC)
			for i := range coh {
				if math.Abs(msc[i]-coh[i]*coh[i]) > 1e-12 {
					t.Fatalf("msc %v, coh² %v", msc[i], coh[i]*coh[i])
				}
			}
		})
	}
}

func connSplit(z []complex128) (re, im []float64) {
	for _, v := range z {
		re = append(re, real(v))
		im = append(im, imag(v))
	}
	return re, im
}

// TestConnectivityMSCScipy checks the accumulator's MSC against
// scipy.signal.coherence (Welch segments as epochs, scipy's periodic Hann).
func TestConnectivityMSCScipy(t *testing.T) {
	const tol = 1e-9 // relative, element by element (coherence is positive)
	g := loadCSDGolden(t)
	c := g.CSD[0]
	plan, err := NewCSD(CSDConfig{WelchConfig: csdWelchConfig(g.FS, c.NPerSeg, c.NOverlap, c.NFFT, c.Detrend, c.Scaling, c.Average, nil), Channels: 4})
	if err != nil {
		t.Fatal(err)
	}
	pairs := []ChannelPair{{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}}
	acc, _ := NewConnectivity(ConnConfig{Channels: 4, Bins: plan.Len(), Pairs: pairs, Methods: []ConnMethod{MSC}})
	sp := NewSegmentSpectra(4, plan.Len())
	for s := range plan.Segments(c.N) {
		acc.Accumulate(plan.Spectra(sp, g.X, s*plan.Step()))
	}
	csdCheck(t, "msc", acc.Result(nil, MSC), slices.Concat(c.Coherence...), tol, false)
}

func TestConnectivityEdgeCases(t *testing.T) {
	// Identical channels: coherence 1, no imaginary part, wPLI 0 (zero
	// denominator), PLI 0.
	sp := NewSegmentSpectra(2, 3)
	for k := range 3 {
		for c := range 2 {
			sp.Re[k*2+c], sp.Im[k*2+c] = float64(k+1), -float64(k)
		}
	}
	acc, _ := NewConnectivity(ConnConfig{Channels: 2, Bins: 3, Methods: ConnMethods})
	acc.Accumulate(sp, sp)
	for _, m := range []ConnMethod{MSC, Coh, PLV} {
		for _, v := range acc.Result(nil, m) {
			if math.Abs(v-1) > 1e-15 {
				t.Errorf("%s of identical channels %v, want 1", m, v)
			}
		}
	}
	for _, m := range []ConnMethod{ImCoh, PLI, WPLI} {
		for _, v := range acc.Result(nil, m) {
			if v != 0 {
				t.Errorf("%s of identical channels %v, want 0", m, v)
			}
		}
	}
	// A quarter-cycle lag of the target: imcoh +1 (seed leads).
	sp2 := NewSegmentSpectra(2, 1)
	sp2.Re[0], sp2.Im[0] = 1, 0 // seed: X = 1
	sp2.Re[1], sp2.Im[1] = 0, -1
	acc2, _ := NewConnectivity(ConnConfig{Channels: 2, Bins: 1, Pairs: []ChannelPair{{0, 1}}, Methods: []ConnMethod{ImCoh, PLI, WPLI}})
	acc2.Accumulate(sp2)
	for _, m := range []ConnMethod{ImCoh, PLI, WPLI} {
		if v := acc2.Result(nil, m)[0]; v != 1 {
			t.Errorf("%s of a lagging target %v, want 1", m, v)
		}
	}
	// A zero cross-spectrum makes PLV NaN, as MNE's csd/|csd|.
	zero, _ := NewConnectivity(ConnConfig{Channels: 2, Bins: 1, Methods: []ConnMethod{PLV}})
	zero.Accumulate(NewSegmentSpectra(2, 1))
	if v := zero.Result(nil, PLV)[0]; !math.IsNaN(v) {
		t.Errorf("PLV of a zero cross-spectrum %v, want NaN", v)
	}
	other, _ := NewConnectivity(ConnConfig{Channels: 2, Bins: 1, Pairs: []ChannelPair{{0, 1}}, Methods: []ConnMethod{PLV}})
	wantPanic(t, "Merge of accumulators with different pairs",
		"dsp: Connectivity.Merge: accumulators of different channels, bins, pairs or methods",
		func() { zero.Merge(other) })
	for _, s := range []string{"coh", "cohy", "imcoh", "plv", "pli", "wpli", "msc"} {
		if m, err := ParseConnMethod(s); err != nil || string(m) != s {
			t.Errorf("ParseConnMethod(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseConnMethod("granger"); err == nil {
		t.Error("ParseConnMethod accepted granger")
	}
	for _, cfg := range []ConnConfig{
		{Channels: 0, Bins: 3, Methods: []ConnMethod{Coh}},
		{Channels: 2, Bins: 3},
		{Channels: 2, Bins: 3, Methods: []ConnMethod{"ppc"}},
		{Channels: 2, Bins: 3, Methods: []ConnMethod{Coh}, Pairs: []ChannelPair{{0, 2}}},
	} {
		if _, err := NewConnectivity(cfg); err == nil {
			t.Errorf("NewConnectivity(%+v) accepted", cfg)
		}
	}
	if f := ConnBandMean(nil, []float64{1, 2, 3}, []float64{0, 1, 2}, []Band{{Low: 5, High: 6}}); !math.IsNaN(f[0]) {
		t.Errorf("empty band %v, want NaN", f[0])
	}
}

func TestConnectivityNoAllocs(t *testing.T) {
	plan := connMNEPlan(t, 256, 256, 128, 8)
	x := csdRandom(8, 1024)
	sp := plan.Spectra(nil, x, 0)
	acc, _ := NewConnectivity(ConnConfig{Channels: 8, Bins: plan.Len(), Methods: ConnMethods})
	other, _ := NewConnectivity(ConnConfig{Channels: 8, Bins: plan.Len(), Methods: ConnMethods})
	dst := make([]float64, 28*plan.Len())
	z := make([]complex128, 28*plan.Len())
	bands := make([]float64, 28*len(StandardBands))
	freqs := plan.Freqs(nil)
	if a := testing.AllocsPerRun(10, func() {
		plan.Spectra(sp, x, 128)
		acc.Accumulate(sp)
		acc.Merge(other)
		acc.Result(dst, WPLI)
		acc.Coherency(z)
		ConnBandMean(bands, dst, freqs, StandardBands)
	}); a != 0 {
		t.Errorf("%v allocs per accumulate/merge/result", a)
	}
}

// TestXCorrScipy compares with scipy.signal.correlate normalized by the
// norms, on the direct and the FFT path.
func TestXCorrScipy(t *testing.T) {
	// 1e-9 relative to the largest |r| (values cross zero).
	const tol = 1e-9
	g := loadCSDGolden(t)
	for _, c := range g.XCorr {
		for _, fft := range []bool{false, true} {
			t.Run(fmt.Sprintf("n%d_lag%d_fft%v", c.N, c.MaxLag, fft), func(t *testing.T) {
				p, err := NewXCorr(XCorrConfig{Len: c.N, MaxLag: c.MaxLag, Demean: c.Demean})
				if err != nil {
					t.Fatal(err)
				}
				p.connForce(fft)
				got := p.Compute(nil, g.X[c.A][:c.N], g.X[c.B][:c.N])
				if !slices.Equal(p.Lags(nil), c.Lags) {
					t.Fatalf("lags %v, scipy %v", p.Lags(nil), c.Lags)
				}
				csdCheck(t, "r", got, c.R, tol, true)
			})
		}
	}
}

// connForce switches the plan to the direct or the FFT path (tests only).
func (p *XCorr) connForce(fft bool) {
	q, _ := NewXCorr(p.cfg)
	if fft && !q.useFFT {
		m := connSmooth(p.cfg.Len + p.cfg.MaxLag)
		q.useFFT = true
		q.fft = fourier.NewFFT(m)
		q.xb, q.yb = make([]float64, m), make([]float64, m)
		q.xc, q.yc = make([]complex128, m/2+1), make([]complex128, m/2+1)
	}
	if !fft {
		q.useFFT = false
	}
	*p = *q
}

func TestXCorrProperties(t *testing.T) {
	// y is x delayed by 7 samples (circularly): the peak is at lag −7.
	const n = 512
	x := make([]float64, n)
	for i := range x {
		x[i] = rand.NormFloat64()
	}
	y := make([]float64, n)
	for i := range y {
		y[i] = x[(i-7+n)%n]
	}
	p, _ := NewXCorr(XCorrConfig{Len: n, MaxLag: 20})
	r := p.Compute(nil, x, y)
	lags := p.Lags(nil)
	best := 0
	for i := range r {
		if r[i] > r[best] {
			best = i
		}
	}
	if lags[best] != -7 {
		t.Errorf("peak at lag %d, want -7", lags[best])
	}
	for _, cfg := range []XCorrConfig{{Len: 0}, {Len: 4, MaxLag: 4}, {Len: 4, MaxLag: -1}} {
		if _, err := NewXCorr(cfg); err == nil {
			t.Errorf("NewXCorr(%+v) accepted", cfg)
		}
	}
	dst := make([]float64, p.Len())
	if a := testing.AllocsPerRun(10, func() { p.Compute(dst, x, y) }); a != 0 {
		t.Errorf("%v allocs per Compute", a)
	}
	q, _ := NewXCorr(XCorrConfig{Len: n, MaxLag: 200, Demean: true})
	if !q.useFFT {
		t.Error("long lag range not on the FFT path")
	}
	dst = make([]float64, q.Len())
	if a := testing.AllocsPerRun(10, func() { q.Compute(dst, x, y) }); a != 0 {
		t.Errorf("%v allocs per FFT Compute", a)
	}
}

// TestHilbertScipy compares with scipy.signal.hilbert (odd, even, padded
// and truncated FFT lengths).
func TestHilbertScipy(t *testing.T) {
	// 1e-9 relative to the largest |analytic value|: real and imaginary
	// parts cross zero, and the envelope is compared on the same scale.
	const tol = 1e-9
	g := loadCSDGolden(t)
	for _, c := range g.Hilbert {
		nfft := c.N
		if c.NFFT != nil {
			nfft = *c.NFFT
		}
		t.Run(fmt.Sprintf("n%d_N%d", c.N, nfft), func(t *testing.T) {
			h := NewHilbert(nfft)
			x := g.X[1][:c.N]
			re, im := connSplit(h.Analytic(nil, x))
			ref := csdAbsMax(c.Re, c.Im)
			check := func(what string, got, want []float64) {
				for i := range got {
					if math.Abs(got[i]-want[i]) > tol*ref {
						t.Fatalf("%s[%d]: %v, scipy %v", what, i, got[i], want[i])
					}
				}
			}
			check("re", re, c.Re)
			check("im", im, c.Im)
			check("envelope", h.Envelope(nil, x), c.Envelope)
			dst := make([]float64, nfft)
			if a := testing.AllocsPerRun(10, func() { h.Envelope(dst, x) }); a != 0 {
				t.Errorf("%v allocs per Envelope", a)
			}
		})
	}
}

func BenchmarkConnectivityAccumulate(b *testing.B) {
	for _, ch := range []int{8, 32, 64} {
		b.Run(fmt.Sprintf("ch%d", ch), func(b *testing.B) {
			plan, _ := NewCSD(CSDConfig{WelchConfig: WelchConfig{SampleRate: 256, SegmentLen: 256}, Channels: ch})
			sp := plan.Spectra(nil, csdRandom(ch, 256), 0)
			acc, _ := NewConnectivity(ConnConfig{Channels: ch, Bins: plan.Len(), Methods: ConnMethods})
			b.ReportAllocs()
			for b.Loop() {
				acc.Accumulate(sp)
			}
		})
	}
}

func BenchmarkXCorr(b *testing.B) {
	for _, c := range []struct{ n, lag int }{{256, 16}, {512, 64}, {2048, 128}, {2048, 1024}} {
		for _, fft := range []bool{false, true} {
			b.Run(fmt.Sprintf("n%d_lag%d_fft%v", c.n, c.lag, fft), func(b *testing.B) {
				p, _ := NewXCorr(XCorrConfig{Len: c.n, MaxLag: c.lag})
				p.connForce(fft)
				x, y := csdRandom(1, c.n)[0], csdRandom(1, c.n)[0]
				dst := make([]float64, p.Len())
				b.ReportAllocs()
				for b.Loop() {
					p.Compute(dst, x, y)
				}
			})
		}
	}
}

func BenchmarkHilbertEnvelope(b *testing.B) {
	for _, n := range []int{256, 1024, 4096} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			h := NewHilbert(n)
			x := csdRandom(1, n)[0]
			dst := make([]float64, n)
			b.ReportAllocs()
			for b.Loop() {
				h.Envelope(dst, x)
			}
		})
	}
}

func ExampleConnectivity() {
	// Two channels share a 10 Hz rhythm; the second sees it 5 ms later.
	const fs, n = 250.0, 2500
	rng := rand.New(rand.NewPCG(1, 2))
	x := [][]float64{make([]float64, n), make([]float64, n)}
	for i := range n {
		t := float64(i) / fs
		x[0][i] = math.Sin(2*math.Pi*10*t) + 0.5*rng.NormFloat64()
		x[1][i] = math.Sin(2*math.Pi*10*(t-0.005)) + 0.5*rng.NormFloat64()
	}
	plan, _ := NewCSD(CSDConfig{
		WelchConfig: WelchConfig{SampleRate: fs, SegmentLen: 250, Window: Hann(nil, 250, false)},
		Channels:    2,
	})
	conn, _ := NewConnectivity(ConnConfig{Channels: 2, Bins: plan.Len(), Pairs: []ChannelPair{{0, 1}}, Methods: []ConnMethod{PLV, WPLI}})
	sp := NewSegmentSpectra(2, plan.Len())
	for s := range plan.Segments(n) {
		conn.Accumulate(plan.Spectra(sp, x, s*plan.Step()))
	}
	alpha := []Band{{Name: "alpha", Low: 8, High: 12}}
	freqs := plan.Freqs(nil)
	plv := ConnBandMean(nil, conn.Result(nil, PLV), freqs, alpha)
	at10 := conn.Result(nil, WPLI)[10] // bin 10 is 10 Hz
	fmt.Printf("PLV 8-12 Hz > 0.5: %v, wPLI at 10 Hz: %.2f\n", plv[0] > 0.5, at10)
	// Output: PLV 8-12 Hz > 0.5: true, wPLI at 10 Hz: 1.00
}

func ExampleXCorr() {
	x := []float64{0, 1, 0, 0, 0, 0}
	y := []float64{0, 0, 0, 1, 0, 0} // x's pulse, 2 samples later
	p, _ := NewXCorr(XCorrConfig{Len: 6, MaxLag: 3})
	r := p.Compute(nil, x, y)
	fmt.Println(p.Lags(nil), r)
	// Output: [-3 -2 -1 0 1 2 3] [0 1 0 0 0 0 0]
}

func ExampleHilbert() {
	const n = 256
	x := make([]float64, n)
	for i := range x {
		x[i] = 3 * math.Cos(2*math.Pi*16*float64(i)/n)
	}
	env := NewHilbert(n).Envelope(nil, x)
	fmt.Printf("%.6f %.6f\n", env[0], env[100])
	// Output: 3.000000 3.000000
}

// TestConnBandMeanRuns: with ascending frequencies (summed as runs of
// bins) the band means equal, bit for bit, those of the same frequencies
// in another order (the bin-by-bin scan), for bands at, between and
// outside the bins, empty and inverted ones included.
func TestConnBandMeanRuns(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 9))
	const nf, np = 65, 7
	freqs := make([]float64, nf)
	for k := range freqs {
		freqs[k] = 0.5 * float64(k)
	}
	scores := make([]float64, np*nf)
	for i := range scores {
		scores[i] = r.NormFloat64()
	}
	bands := []Band{{"a", 1, 4}, {"b", 3.9, 8.2}, {"c", 0, 32}, {"d", 31.9, 100}, {"e", 40, 50}, {"f", 5, 4}, {"g", 2.25, 2.3}, {"h", math.NaN(), 3}}
	got := ConnBandMean(nil, scores, freqs, bands)
	// The same frequencies and scores, bins reversed: the scan path.
	rf := slices.Clone(freqs)
	slices.Reverse(rf)
	rs := make([]float64, len(scores))
	for p := range np {
		for k := range nf {
			rs[p*nf+k] = scores[p*nf+nf-1-k]
		}
	}
	scan := ConnBandMean(nil, rs, rf, bands)
	for i, v := range scan {
		// The scan sums in descending frequency order there: compare with
		// a tolerance, and exactly where a band holds at most two bins.
		if math.IsNaN(v) != math.IsNaN(got[i]) || (!math.IsNaN(v) && math.Abs(v-got[i]) > 1e-12) {
			t.Errorf("pair %d band %s: runs %v, scan %v", i/len(bands), bands[i%len(bands)].Name, got[i], v)
		}
	}
	for p := range np {
		var s float64
		for k := 2; k <= 8; k++ { // band a: 1 … 4 Hz
			s += scores[p*nf+k]
		}
		if want := s / 7; got[p*len(bands)] != want {
			t.Errorf("pair %d band a: %v, want %v", p, got[p*len(bands)], want)
		}
	}
}
