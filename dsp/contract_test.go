package dsp

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// panicMessage runs f and returns what it panicked with, "" if it did not.
func panicMessage(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// wantPanic fails t unless f panics with exactly want.
func wantPanic(t *testing.T, name, want string, f func()) {
	t.Helper()
	if got := panicMessage(f); got != want {
		t.Errorf("%s: panic %q, want %q", name, got, want)
	}
}

// contractPlans are small plans shared by the contract tests.
type contractPlans struct {
	fft      *RealFFT
	fftOdd   *RealFFT
	hilbert  *Hilbert
	welch    *Welch
	mt       *Multitaper
	stft     *STFT
	xcorr    *XCorr
	csd      *CSD
	conn     *Connectivity
	sos      SOS
	filter   *SOSFilter
	filtfilt *FiltFilt
	rs       *Resampler
}

func newContractPlans(t *testing.T) contractPlans {
	t.Helper()
	var p contractPlans
	var err error
	p.fft, p.fftOdd, p.hilbert = NewRealFFT(8), NewRealFFT(7), NewHilbert(8)
	must := func(e error) {
		t.Helper()
		if e != nil {
			t.Fatal(e)
		}
	}
	p.welch, err = NewWelch(WelchConfig{SampleRate: 100, SegmentLen: 8})
	must(err)
	p.mt, err = NewMultitaper(MultitaperConfig{SampleRate: 100, Len: 64})
	must(err)
	p.stft, err = NewSTFT(STFTConfig{SampleRate: 100, SegmentLen: 8})
	must(err)
	p.xcorr, err = NewXCorr(XCorrConfig{Len: 10, MaxLag: 3})
	must(err)
	p.csd, err = NewCSD(CSDConfig{WelchConfig: WelchConfig{SampleRate: 100, SegmentLen: 8}, Channels: 2})
	must(err)
	p.conn, err = NewConnectivity(ConnConfig{Channels: 2, Bins: 5, Methods: []ConnMethod{MSC, PLV}})
	must(err)
	p.sos, err = Butter(2, []float64{10, 20}, Bandpass, 100) // 2 sections
	must(err)
	p.filter, err = NewSOSFilter(p.sos, 2, InitZero)
	must(err)
	p.filtfilt, err = NewFiltFilt(p.sos)
	must(err)
	p.rs, err = NewResampler(2, 1, 2)
	must(err)
	return p
}

func zeros(n int) []float64 { return make([]float64, n) }

func rows(n ...int) [][]float64 {
	x := make([][]float64, len(n))
	for i, m := range n {
		x[i] = ramp(m)
	}
	return x
}

// ramp returns a signal with no symmetry that makes outputs zero.
func ramp(n int) []float64 {
	x := make([]float64, n)
	for i := range x {
		x[i] = math.Sin(0.7*float64(i)) + 0.01*float64(i*i%7)
	}
	return x
}

// TestContractPanics checks that every wrong length or index panics with a
// message naming the operation and the lengths (the package doc's dst
// contract), instead of a runtime slice error or silently using a prefix.
func TestContractPanics(t *testing.T) {
	p := newContractPlans(t)
	m := p.csd.NewMatrix()
	acc := p.csd.NewAccumulator()
	emptyAcc := p.csd.NewAccumulator()
	acc.Accumulate(p.csd.Spectra(nil, rows(16, 16), 0))
	other, _ := NewCSD(CSDConfig{WelchConfig: WelchConfig{SampleRate: 100, SegmentLen: 6}, Channels: 2})
	freqs3 := []float64{1, 2, 3}
	cases := []struct {
		name, want string
		f          func()
	}{
		// FFT plans.
		{"RealFFT long x", "dsp: RealFFT.Coefficients: len(x) = 12, want 8", func() { p.fft.Coefficients(nil, zeros(12)) }},
		{"RealFFT short x", "dsp: RealFFT.Coefficients: len(x) = 4, want 8", func() { p.fft.Coefficients(nil, zeros(4)) }},
		{"RealFFT dst", "dsp: RealFFT.Coefficients: len(dst) = 4, want 5", func() { p.fft.Coefficients(make([]complex128, 4), zeros(8)) }},
		{"RealFFT odd dst", "dsp: RealFFT.Coefficients: len(dst) = 3, want 4", func() { p.fftOdd.Coefficients(make([]complex128, 3), zeros(7)) }},
		{"RealFFT odd x", "dsp: RealFFT.Coefficients: len(x) = 8, want 7", func() { p.fftOdd.Coefficients(nil, zeros(8)) }},
		{"NewRealFFT 0", "dsp: RealFFT.Reset: n = 0, want ≥ 1", func() { NewRealFFT(0) }},
		{"Hilbert.Analytic dst", "dsp: Hilbert.Analytic: len(dst) = 7, want 8", func() { p.hilbert.Analytic(make([]complex128, 7), zeros(8)) }},
		{"Hilbert.Envelope dst", "dsp: Hilbert.Envelope: len(dst) = 9, want 8", func() { p.hilbert.Envelope(zeros(9), zeros(8)) }},
		{"NewHilbert 0", "dsp: Hilbert.Reset: n = 0, want ≥ 1", func() { NewHilbert(0) }},

		// Spectra.
		{"Welch.PSD short x", "dsp: Welch.PSD: len(x) = 7, want ≥ 8 (SegmentLen)", func() { p.welch.PSD(nil, zeros(7)) }},
		{"Welch.PSD dst", "dsp: Welch.PSD: len(dst) = 4, want 5", func() { p.welch.PSD(zeros(4), zeros(16)) }},
		{"Welch.Freqs dst", "dsp: Welch.Freqs: len(dst) = 6, want 5", func() { p.welch.Freqs(zeros(6)) }},
		{"Multitaper.PSD x", "dsp: Multitaper.PSD: len(x) = 63, want 64", func() { p.mt.PSD(nil, zeros(63)) }},
		{"Multitaper.PSD dst", "dsp: Multitaper.PSD: len(dst) = 3, want 33", func() { p.mt.PSD(zeros(3), zeros(64)) }},
		{"Multitaper.Freqs dst", "dsp: Multitaper.Freqs: len(dst) = 34, want 33", func() { p.mt.Freqs(zeros(34)) }},
		{"Multitaper.Tapers dst", fmt.Sprintf("dsp: Multitaper.Tapers: len(dst) = 64, want %d", 64*p.mt.NumTapers()), func() { p.mt.Tapers(zeros(64)) }},
		{"Multitaper.Ratios dst", fmt.Sprintf("dsp: Multitaper.Ratios: len(dst) = 0, want %d", p.mt.NumTapers()), func() { p.mt.Ratios(zeros(0)) }},
		{"STFT.Transform dst", "dsp: STFT.Transform: len(dst) = 3, want 25", func() { p.stft.Transform(make([]complex128, 3), zeros(16)) }},
		{"STFT.Magnitude dst", "dsp: STFT.Magnitude: len(dst) = 3, want 25", func() { p.stft.Magnitude(zeros(3), zeros(16)) }},
		{"STFT.Power dst", "dsp: STFT.Power: len(dst) = 26, want 25", func() { p.stft.Power(zeros(26), zeros(16)) }},
		{"STFT.Times dst", "dsp: STFT.Times: len(dst) = 1, want 5", func() { p.stft.Times(zeros(1), 16) }},
		{"STFT.Freqs dst", "dsp: STFT.Freqs: len(dst) = 4, want 5", func() { p.stft.Freqs(zeros(4)) }},
		{"BandPower", "dsp: BandPower: len(freqs) = 4, want 3", func() { BandPower(zeros(3), zeros(4), 0, 1) }},
		{"PeakFrequency", "dsp: PeakFrequency: len(freqs) = 2, want 3", func() { PeakFrequency(zeros(3), []float64{0, 1}, 0, 1) }},
		{"SpectralEdge", "dsp: SpectralEdge: len(freqs) = 4, want 3", func() { SpectralEdge(zeros(3), zeros(4), 0.5, 0, 1) }},
		{"SpectralEntropy", "dsp: SpectralEntropy: len(freqs) = 2, want 3", func() { SpectralEntropy(zeros(3), zeros(2), 0, 1, true) }},

		// Cross-spectra and connectivity.
		{"CSD.Compute channels", "dsp: CSD.Compute: len(x) = 1, want 2", func() { p.csd.Compute(nil, rows(16)) }},
		{"CSD.Compute ragged", "dsp: CSD.Compute: len(x[1]) = 15, want 16 (len(x[0]))", func() { p.csd.Compute(nil, rows(16, 15)) }},
		{"CSD.Compute short", "dsp: CSD.Compute: len(x[0]) = 7, want ≥ 8 (SegmentLen)", func() { p.csd.Compute(nil, rows(7, 7)) }},
		{"CSD.Compute dst", "dsp: CSD.Compute: dst is 3 channels × 5 bins with len(Data) = 30, want 2 × 5", func() { p.csd.Compute(NewCSDMatrix(3, 5), rows(16, 16)) }},
		{"CSD.Freqs dst", "dsp: CSD.Freqs: len(dst) = 2, want 5", func() { p.csd.Freqs(zeros(2)) }},
		{"CSD.Spectra channels", "dsp: CSD.Spectra: len(x) = 1, want 2", func() { p.csd.Spectra(nil, rows(16), 0) }},
		{"CSD.Spectra dst", "dsp: CSD.Spectra: spectra of 2 channels with len(Re) = 8, len(Im) = 8, want 2 channels × 5 bins = 10", func() { p.csd.Spectra(NewSegmentSpectra(2, 4), rows(16, 16), 0) }},
		{"CSD.Spectra segment", "dsp: CSD.Spectra: segment [9, 17) outside x[0] of 16 samples", func() { p.csd.Spectra(nil, rows(16, 16), 9) }},
		{"CSDAccumulator.Accumulate", "dsp: CSDAccumulator.Accumulate: spectra of 3 channels with len(Re) = 15, len(Im) = 15, want 2 channels × 5 bins = 10", func() { acc.Accumulate(NewSegmentSpectra(3, 5)) }},
		{"CSDAccumulator.Result empty", "dsp: CSDAccumulator.Result: no segments accumulated", func() { emptyAcc.Result(nil) }},
		{"CSDAccumulator.Result dst", "dsp: CSDAccumulator.Result: dst is 2 channels × 4 bins with len(Data) = 12, want 2 × 5", func() { acc.Result(NewCSDMatrix(2, 4)) }},
		{"CSDAccumulator.Merge", "dsp: CSDAccumulator.Merge: 2 channels × 4 bins into 2 × 5", func() { acc.Merge(other.NewAccumulator()) }},
		{"NewCSDMatrix", "dsp: NewCSDMatrix: 0 channels × 5 bins, want ≥ 1 of each", func() { NewCSDMatrix(0, 5) }},
		{"CSDMatrix.PSD dst", "dsp: CSDMatrix.PSD: len(dst) = 4, want 5", func() { m.PSD(zeros(4), 0) }},
		{"CSDMatrix.PSD channel", "dsp: CSDMatrix.PSD: channel 2 out of range [0, 2)", func() { m.PSD(nil, 2) }},
		{"CSDMatrix.At channel", "dsp: CSDMatrix.At: channel 2 out of range [0, 2)", func() { m.At(0, 0, 2) }},
		{"CSDMatrix.At bin", "dsp: CSDMatrix.At: bin 5 out of range [0, 5)", func() { m.At(5, 0, 1) }},
		{"CSDMatrix.Bin", "dsp: CSDMatrix.Bin: bin -1 out of range [0, 5)", func() { m.Bin(-1) }},
		{"CSDMatrix.Connectivity dst", "dsp: CSDMatrix.Connectivity: len(dst) = 4, want 5", func() { m.Connectivity(zeros(4), MSC, nil) }},
		{"CSDMatrix.Connectivity pair", "dsp: CSDMatrix.Connectivity: pair {0 2} out of range [0, 2)", func() { m.Connectivity(nil, MSC, []ChannelPair{{0, 2}}) }},
		{"CSDMatrix.Coherency dst", "dsp: CSDMatrix.Coherency: len(dst) = 6, want 5", func() { m.Coherency(make([]complex128, 6), nil) }},
		{"NewSegmentSpectra", "dsp: NewSegmentSpectra: 2 channels × 0 bins, want ≥ 1 of each", func() { NewSegmentSpectra(2, 0) }},
		{"SegmentSpectra.At bin", "dsp: SegmentSpectra.At: bin 5 out of range [0, 5)", func() { NewSegmentSpectra(2, 5).At(5, 0) }},
		{"SegmentSpectra.At channel", "dsp: SegmentSpectra.At: channel 2 out of range [0, 2)", func() { NewSegmentSpectra(2, 5).At(0, 2) }},
		{"Connectivity.Accumulate", "dsp: Connectivity.Accumulate: spectra of 2 channels with len(Re) = 8, len(Im) = 8, want 2 channels × 5 bins = 10", func() { p.conn.Accumulate(NewSegmentSpectra(2, 4)) }},
		{"Connectivity.Result dst", "dsp: Connectivity.Result: len(dst) = 4, want 5", func() { p.conn.Result(zeros(4), MSC) }},
		{"Connectivity.Result method", `dsp: Connectivity.Result: method "pli" not configured`, func() { p.conn.Result(nil, PLI) }},
		{"Connectivity.Coherency dst", "dsp: Connectivity.Coherency: len(dst) = 4, want 5", func() { p.conn.Coherency(make([]complex128, 4)) }},
		{"ConnBandMean scores", "dsp: ConnBandMean: len(scores) = 7, want a multiple of len(freqs) = 3", func() { ConnBandMean(nil, zeros(7), freqs3, StandardBands) }},
		{"ConnBandMean dst", "dsp: ConnBandMean: len(dst) = 1, want 10", func() { ConnBandMean(zeros(1), zeros(6), freqs3, StandardBands) }},
		{"ConnBandMeanComplex scores", "dsp: ConnBandMeanComplex: len(scores) = 2, want a multiple of len(freqs) = 3", func() { ConnBandMeanComplex(nil, make([]complex128, 2), freqs3, StandardBands) }},
		{"ConnBandMeanComplex dst", "dsp: ConnBandMeanComplex: len(dst) = 1, want 5", func() { ConnBandMeanComplex(make([]complex128, 1), make([]complex128, 3), freqs3, StandardBands) }},
		{"XCorr.Compute x", "dsp: XCorr.Compute: len(x) = 9, want 10", func() { p.xcorr.Compute(nil, zeros(9), zeros(10)) }},
		{"XCorr.Compute y", "dsp: XCorr.Compute: len(y) = 11, want 10", func() { p.xcorr.Compute(nil, zeros(10), zeros(11)) }},
		{"XCorr.Compute dst", "dsp: XCorr.Compute: len(dst) = 6, want 7", func() { p.xcorr.Compute(zeros(6), zeros(10), zeros(10)) }},
		{"XCorr.Lags dst", "dsp: XCorr.Lags: len(dst) = 2, want 7", func() { p.xcorr.Lags(make([]int, 2)) }},

		// Filters.
		{"SOSFilter.Filter dst", "dsp: SOSFilter.Filter: len(dst) = 3, want 4", func() { p.filter.Filter(zeros(3), zeros(4), 0) }},
		{"SOSFilter.Filter channel", "dsp: SOSFilter.Filter: channel 2 out of range [0, 2)", func() { p.filter.Filter(nil, zeros(4), 2) }},
		{"SOSFilter.FilterChannels x", "dsp: SOSFilter.FilterChannels: len(x) = 1, want 2", func() { p.filter.FilterChannels(nil, rows(4)) }},
		{"SOSFilter.FilterChannels dst", "dsp: SOSFilter.FilterChannels: len(dst) = 3, want 2", func() { p.filter.FilterChannels(make([][]float64, 3), rows(4, 4)) }},
		{"SOSFilter.FilterChannels row", "dsp: SOSFilter.FilterChannels: len(dst[1]) = 2, want 4 (len(x[1]))", func() { p.filter.FilterChannels([][]float64{zeros(4), zeros(2)}, rows(4, 4)) }},
		{"SOSFilter.State dst", "dsp: SOSFilter.State: len(dst) = 1, want 4", func() { p.filter.State(zeros(1), 0) }},
		{"SOSFilter.State channel", "dsp: SOSFilter.State: channel -1 out of range [0, 2)", func() { p.filter.State(nil, -1) }},
		{"SOSFilter.SetState", "dsp: SOSFilter.SetState: len(z) = 1, want 4", func() { p.filter.SetState(0, zeros(1)) }},
		{"NewSOSFilter", "dsp: NewSOSFilter: channels = 0, want ≥ 1", func() { NewSOSFilter(p.sos, 0, InitZero) }},
		{"FiltFilt.Filter dst", "dsp: FiltFilt.Filter: len(dst) = 3, want 100", func() { p.filtfilt.Filter(zeros(3), zeros(100)) }},
		{"SOSFiltFilt dst", "dsp: FiltFilt.Filter: len(dst) = 101, want 100", func() { SOSFiltFilt(zeros(101), zeros(100), p.sos) }},

		// Resampling.
		{"Resampler.Process dst", "dsp: Resampler.Process: len(dst) = 1, want 180", func() { p.rs.Process(zeros(1), zeros(100), 0) }},
		{"Resampler.Process channel", "dsp: Resampler.Process: channel 2 out of range [0, 2)", func() { p.rs.Process(nil, zeros(100), 2) }},
		{"Resampler.Flush dst", "dsp: Resampler.Flush: len(dst) = 1, want 0", func() { p.rs.Flush(zeros(1), 1) }},
		{"Resampler.OutputLen", "dsp: Resampler.OutputLen: channel -1 out of range [0, 2)", func() { p.rs.OutputLen(-1, 5) }},
		{"Resampler.FlushLen", "dsp: Resampler.FlushLen: channel 2 out of range [0, 2)", func() { p.rs.FlushLen(2) }},
		{"NewResampler", "dsp: NewResampler: channels = 0, want ≥ 1", func() { NewResampler(1, 2, 0) }},
		{"ResamplePoly dst", "dsp: ResamplePoly: len(dst) = 3, want 5", func() { ResamplePoly(zeros(3), zeros(10), 1, 2) }},
		{"Decimate dst", "dsp: Decimate: len(dst) = 3, want 5", func() { Decimate(zeros(3), zeros(10), 2) }},
		{"ResampledLen", "dsp: ResampledLen: up = 0, down = 1, want ≥ 1", func() { ResampledLen(10, 0, 1) }},

		// Windows and detrending.
		{"Hann dst", "dsp: Hann: len(dst) = 3, want 4", func() { Hann(zeros(3), 4, true) }},
		{"Hann n", "dsp: Hann: n = -1, want ≥ 0", func() { Hann(nil, -1, true) }},
		{"Hamming dst", "dsp: Hamming: len(dst) = 5, want 4", func() { Hamming(zeros(5), 4, false) }},
		{"Blackman dst", "dsp: Blackman: len(dst) = 0, want 4", func() { Blackman(zeros(0), 4, false) }},
		{"DetrendSignal dst", "dsp: DetrendSignal: len(dst) = 3, want 4", func() { DetrendSignal(zeros(3), zeros(4), DetrendNone) }},
		{"DPSS dst", "dsp: DPSS: len(dst) = 5, want 20", func() { DPSS(zeros(5), nil, 10, 2, 2, false) }},
		{"DPSS ratios", "dsp: DPSS: len(ratios) = 1, want 2", func() { DPSS(nil, zeros(1), 10, 2, 2, false) }},

		// Reference.
		{"AverageReference.Apply dst", "dsp: AverageReference.Apply: len(dst) = 1, want 2", func() { AverageReference{}.Apply(make([][]float64, 1), rows(4, 4)) }},
		{"AverageReference.Apply ragged", "dsp: AverageReference.Apply: len(x[1]) = 3, want 4 (len(x[0]))", func() { AverageReference{}.Apply(nil, rows(4, 3)) }},
		{"AverageReference.Apply row", "dsp: AverageReference.Apply: len(dst[1]) = 3, want 4", func() { AverageReference{}.Apply([][]float64{zeros(4), zeros(3)}, rows(4, 4)) }},
		{"AverageReference.Apply exclude", "dsp: AverageReference.Apply: len(Exclude) = 3, want ≤ 2 (len(x))", func() { AverageReference{Exclude: make([]bool, 3)}.Apply(nil, rows(4, 4)) }},
		{"CommonAverage dst", "dsp: CommonAverage: len(dst) = 1, want 2", func() { CommonAverage(make([][]float64, 1), rows(4, 4)) }},
	}
	for _, c := range cases {
		wantPanic(t, c.name, c.want, c.f)
	}
}

// sameBits reports whether a and b hold the same values bit for bit.
func sameBits[T float64 | complex128 | int](a, b []T) bool {
	return slices.EqualFunc(a, b, func(x, y T) bool {
		switch x := any(x).(type) {
		case float64:
			return math.Float64bits(x) == math.Float64bits(any(y).(float64))
		case complex128:
			y := any(y).(complex128)
			return math.Float64bits(real(x)) == math.Float64bits(real(y)) &&
				math.Float64bits(imag(x)) == math.Float64bits(imag(y))
		}
		return any(x) == any(y)
	})
}

// dstCase runs one operation into dst; fresh builds any state the
// operation changes, so that two runs see the same input.
type dstCase[T float64 | complex128 | int] struct {
	name string
	n    int
	run  func(dst []T) []T
}

// checkDst checks the nil-dst path of each case: a nil dst gives a new
// output of the documented length, equal bit for bit to what the same
// call writes into a caller's dst, and a caller's dst is what is returned.
func checkDst[T float64 | complex128 | int](t *testing.T, cases []dstCase[T]) {
	t.Helper()
	for _, c := range cases {
		got := c.run(nil)
		if len(got) != c.n {
			t.Errorf("%s(nil): %d values, want %d", c.name, len(got), c.n)
			continue
		}
		dst := make([]T, c.n)
		want := c.run(dst)
		if c.n > 0 && &want[0] != &dst[0] {
			t.Errorf("%s(dst): did not return dst", c.name)
		}
		if !sameBits(got, want) {
			t.Errorf("%s(nil) = %v, want %v as with a dst", c.name, got, want)
		}
	}
}

// TestContractNilDst checks gonum's dst contract on every output-first
// operation: nil allocates, a given dst is filled and returned.
func TestContractNilDst(t *testing.T) {
	p := newContractPlans(t)
	x16, x64, x100 := ramp(16), ramp(64), ramp(100)
	x2 := rows(16, 16)
	m := p.csd.Compute(nil, x2)
	freqs := p.csd.Freqs(nil)
	acc := p.csd.NewAccumulator()
	acc.Accumulate(p.csd.Spectra(nil, x2, 0), p.csd.Spectra(nil, x2, 4))
	p.conn.Accumulate(p.csd.Spectra(nil, x2, 0), p.csd.Spectra(nil, x2, 8))
	msc := m.Connectivity(nil, MSC, nil)
	cohy := m.Coherency(nil, nil)
	freshFilter := func() *SOSFilter {
		f, err := NewSOSFilter(p.sos, 2, InitSteady)
		if err != nil {
			t.Fatal(err)
		}
		f.Filter(nil, x16, 1) // a state that is not zero
		return f
	}
	freshResampler := func() *Resampler {
		r, err := NewResampler(3, 2, 1)
		if err != nil {
			t.Fatal(err)
		}
		r.Process(nil, x64, 0)
		return r
	}
	must := func(v []float64, err error) []float64 {
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	checkDst(t, []dstCase[complex128]{
		{"RealFFT.Coefficients", 5, func(d []complex128) []complex128 { return p.fft.Coefficients(d, ramp(8)) }},
		{"RealFFT.Coefficients odd", 4, func(d []complex128) []complex128 { return p.fftOdd.Coefficients(d, ramp(7)) }},
		{"Hilbert.Analytic", 8, func(d []complex128) []complex128 { return p.hilbert.Analytic(d, ramp(8)) }},
		{"STFT.Transform", 25, func(d []complex128) []complex128 { return p.stft.Transform(d, x16) }},
		{"CSDMatrix.Coherency", 5, func(d []complex128) []complex128 { return m.Coherency(d, nil) }},
		{"Connectivity.Coherency", 5, func(d []complex128) []complex128 { return p.conn.Coherency(d) }},
		{"ConnBandMeanComplex", 5, func(d []complex128) []complex128 { return ConnBandMeanComplex(d, cohy, freqs, StandardBands) }},
	})
	checkDst(t, []dstCase[float64]{
		{"Hilbert.Envelope", 8, func(d []float64) []float64 { return p.hilbert.Envelope(d, ramp(8)) }},
		{"Welch.PSD", 5, func(d []float64) []float64 { return p.welch.PSD(d, x16) }},
		{"Welch.Freqs", 5, func(d []float64) []float64 { return p.welch.Freqs(d) }},
		{"Multitaper.PSD", 33, func(d []float64) []float64 { return p.mt.PSD(d, x64) }},
		{"Multitaper.Freqs", 33, func(d []float64) []float64 { return p.mt.Freqs(d) }},
		{"Multitaper.Tapers", 64 * p.mt.NumTapers(), func(d []float64) []float64 { return p.mt.Tapers(d) }},
		{"Multitaper.Ratios", p.mt.NumTapers(), func(d []float64) []float64 { return p.mt.Ratios(d) }},
		{"STFT.Magnitude", 25, func(d []float64) []float64 { return p.stft.Magnitude(d, x16) }},
		{"STFT.Power", 25, func(d []float64) []float64 { return p.stft.Power(d, x16) }},
		{"STFT.Times", 5, func(d []float64) []float64 { return p.stft.Times(d, 16) }},
		{"STFT.Freqs", 5, func(d []float64) []float64 { return p.stft.Freqs(d) }},
		{"CSD.Freqs", 5, func(d []float64) []float64 { return p.csd.Freqs(d) }},
		{"CSDMatrix.PSD", 5, func(d []float64) []float64 { return m.PSD(d, 1) }},
		{"CSDMatrix.Connectivity", 5, func(d []float64) []float64 { return m.Connectivity(d, ImCoh, nil) }},
		{"Connectivity.Result", 5, func(d []float64) []float64 { return p.conn.Result(d, PLV) }},
		{"ConnBandMean", 5, func(d []float64) []float64 { return ConnBandMean(d, msc, freqs, StandardBands) }},
		{"XCorr.Compute", 7, func(d []float64) []float64 { return p.xcorr.Compute(d, x64[:10], x64[5:15]) }},
		{"SOSFilter.Filter", 16, func(d []float64) []float64 { return freshFilter().Filter(d, x16, 1) }},
		{"SOSFilter.State", 4, func(d []float64) []float64 { return freshFilter().State(d, 1) }},
		{"FiltFilt.Filter", 100, func(d []float64) []float64 { return must(p.filtfilt.Filter(d, x100)) }},
		{"SOSFiltFilt", 100, func(d []float64) []float64 { return must(SOSFiltFilt(d, x100, p.sos)) }},
		{"Resampler.Process", 9, func(d []float64) []float64 { return freshResampler().Process(d, x16[:6], 0) }},
		{"Resampler.Flush", 15, func(d []float64) []float64 { return freshResampler().Flush(d, 0) }},
		{"ResamplePoly", 40, func(d []float64) []float64 { return must(ResamplePoly(d, x100, 2, 5)) }},
		{"Decimate", 34, func(d []float64) []float64 { return must(Decimate(d, x100, 3)) }},
		{"Hann", 9, func(d []float64) []float64 { return Hann(d, 9, true) }},
		{"Hamming", 9, func(d []float64) []float64 { return Hamming(d, 9, false) }},
		{"Blackman", 9, func(d []float64) []float64 { return Blackman(d, 9, true) }},
		{"DetrendSignal", 16, func(d []float64) []float64 { return DetrendSignal(d, x16, DetrendLinear) }},
		{"DPSS", 20, func(d []float64) []float64 { v, _ := DPSS(d, nil, 10, 2, 2, false); return v }},
		{"DPSS ratios", 2, func(d []float64) []float64 { _, r := DPSS(nil, d, 10, 2, 2, false); return r }},
	})
	checkDst(t, []dstCase[int]{
		{"XCorr.Lags", 7, func(d []int) []int { return p.xcorr.Lags(d) }},
	})

	// The matrix and row-slice outputs.
	if got := p.csd.Compute(nil, x2); !sameBits(got.Data, p.csd.Compute(p.csd.NewMatrix(), x2).Data) || got.Bins() != 5 {
		t.Error("CSD.Compute(nil) differs from CSD.Compute(dst)")
	}
	if got := acc.Result(nil); !sameBits(got.Data, acc.Result(p.csd.NewMatrix()).Data) || got.Segments != 2 {
		t.Error("CSDAccumulator.Result(nil) differs from Result(dst)")
	}
	if got := p.csd.Spectra(nil, x2, 8); !sameBits(got.Re, p.csd.Spectra(NewSegmentSpectra(2, 5), x2, 8).Re) {
		t.Error("CSD.Spectra(nil) differs from Spectra(dst)")
	}
	ref := AverageReference{Exclude: []bool{true}}
	got, err := ref.Apply(nil, x2)
	if err != nil {
		t.Fatal(err)
	}
	dst := [][]float64{zeros(16), nil} // a nil row is allocated too
	want, _ := ref.Apply(dst, x2)
	if &want[0][0] != &dst[0][0] || !sameBits(got[0], want[0]) || !sameBits(got[1], want[1]) {
		t.Error("AverageReference.Apply(nil) differs from Apply(dst)")
	}
	ca := CommonAverage(nil, x2)
	if len(ca) != 2 || !sameBits(ca[1], CommonAverage([][]float64{zeros(16), zeros(16)}, x2)[1]) {
		t.Error("CommonAverage(nil) differs from CommonAverage(dst)")
	}
	fc := freshFilter().FilterChannels(nil, rows(5, 7))
	fd := freshFilter().FilterChannels([][]float64{nil, zeros(7)}, rows(5, 7))
	if len(fc[0]) != 5 || !sameBits(fc[0], fd[0]) || !sameBits(fc[1], fd[1]) {
		t.Error("SOSFilter.FilterChannels(nil) differs from FilterChannels(dst)")
	}
}

// TestContractReset checks Reset(n) and Len() of the size-only plans: a
// plan reset to n (from a larger, a smaller, a radix-friendly or an odd
// size) computes what a new plan of size n computes, bit for bit.
func TestContractReset(t *testing.T) {
	f, h := NewRealFFT(1000), NewHilbert(1000)
	for _, n := range []int{8, 7, 1, 300, 2, 1024, 202, 96} {
		f.Reset(n)
		h.Reset(n)
		if f.Len() != n || h.Len() != n {
			t.Fatalf("after Reset(%d): RealFFT.Len %d, Hilbert.Len %d", n, f.Len(), h.Len())
		}
		x := ramp(n)
		if got, want := f.Coefficients(nil, x), NewRealFFT(n).Coefficients(nil, x); !sameBits(got, want) {
			t.Errorf("RealFFT.Reset(%d): %v, want %v", n, got, want)
		}
		if got, want := h.Analytic(nil, x), NewHilbert(n).Analytic(nil, x); !sameBits(got, want) {
			t.Errorf("Hilbert.Reset(%d): %v, want %v", n, got, want)
		}
	}
}
