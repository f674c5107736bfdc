package dsp

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// CSDConfig configures a CSD plan. The embedded WelchConfig sets the
// segmenting, taper, detrending, scaling and averaging exactly as for
// Welch (zero fields take scipy's defaults); the diagonal of the result is
// then Welch's PSD of each channel.
type CSDConfig struct {
	WelchConfig
	// Channels is the number of signals. Required.
	Channels int
	// Names optionally labels the channels (len Channels). Default: none.
	Names []string
}

// CSD is a reusable plan computing the Welch cross-spectral density matrix
// of a fixed number of channels, for signals of any length ≥ SegmentLen,
// with scipy.signal.csd's conventions. It is not safe for concurrent use.
//
// Sign convention: for channels i and j with segment spectra X_i, X_j the
// cross-spectrum at (i, j) is
//
//	S_ij(f) = E[conj(X_i(f)) · X_j(f)]
//
// as scipy.signal.csd(x_i, x_j), which computes conj(X)·Y. MNE uses the
// conjugate: mne.time_frequency.csd_array_fourier and csd_array_multitaper
// (MNE 1.10 has no csd_array_welch) build X_i·conj(X_j) in _csd_from_mt, so
// MNE's CSD.get_data()[i, j] has the phase of our At(f, j, i) =
// conj(At(f, i, j)); its scaling differs too (one Hann window per epoch,
// ·8/3/(n_times·sfreq), halved DC). mne-connectivity's estimators also use
// X_seed·conj(X_target); see ConnMethod.
type CSD struct {
	cfg   CSDConfig
	n     int // channels
	nf    int // bins
	np    int // packed entries per bin
	step  int
	last  int     // bins 1..last-1 are doubled (one-sided)
	scale float64 // 1/(fs·Σw²) or 1/(Σw)²
	fft   *RealFFT
	seg   []float64
	coef  []complex128
	freqs []float64
	// Four channels' segments and spectra, for RealFFT's four-at-once
	// path (lengths without a vector path of their own: n = 250, 500).
	seg4  [4][]float64
	coef4 [4][]complex128

	// Spectra of a batch of b segments, layout [bin][2b][ld]: for bin k,
	// rows 0..b-1 hold the segments' real parts and rows b..2b-1 their
	// imaginary parts (the 2b×n matrix U of the gemv kernel, its rows
	// padded to ld = n rounded up to 8 for the cross kernel's blocks of
	// eight rows). For AverageMedian the batch holds all segments of the
	// call, rows of n.
	batch int
	ld    int
	spec  []float64
	xs    crossScratch
	sre   []float64 // gemv output, one packed bin (real)
	sim   []float64 // gemv output, one packed bin (imaginary)
	v     []float64 // gemv input [Im x_j; −Re x_j]
	col   []float64
}

const (
	// A batch holds up to csdBinBytes of spectra per bin (the gemv
	// kernel's matrix, which stays in L1/L2 while a bin is processed) and
	// csdBatchBytes in all.
	csdBinBytes   = 32 << 10
	csdBatchBytes = 4 << 20
	// From csdGemvChannels channels and csdGemvSegments segments per
	// batch the batched kernel (two BLAS dgemv per matrix column and bin,
	// gonum's register-blocked SSE2 assembly) beats the scalar one; below,
	// the per-call overhead and the final pass over the triangle dominate
	// (measured with BenchmarkCSDCoherence and BenchmarkCSDCoherenceLong).
	csdGemvChannels = 24
	csdGemvSegments = 8
)

// NewCSD returns a plan for cfg. Errors name the invalid field.
func NewCSD(cfg CSDConfig) (*CSD, error) {
	w, err := NewWelch(cfg.WelchConfig)
	if err != nil {
		return nil, fmt.Errorf("dsp: csd: %w", err)
	}
	if cfg.Channels < 1 {
		return nil, fmt.Errorf("dsp: csd: channels must be ≥ 1, got %d", cfg.Channels)
	}
	if cfg.Names != nil && len(cfg.Names) != cfg.Channels {
		return nil, fmt.Errorf("dsp: csd: %d names for %d channels", len(cfg.Names), cfg.Channels)
	}
	cfg.WelchConfig = w.Config()
	cfg.Names = slices.Clone(cfg.Names)
	n, nfft := cfg.Channels, cfg.NFFT
	c := &CSD{
		cfg:   cfg,
		n:     n,
		nf:    nfft/2 + 1,
		np:    n * (n + 1) / 2,
		step:  cfg.SegmentLen - cfg.Overlap,
		fft:   NewRealFFT(nfft),
		seg:   make([]float64, nfft),
		coef:  make([]complex128, nfft/2+1),
		freqs: w.Freqs(nil),
	}
	c.coef4[0] = c.coef
	if c.fft.on4() {
		c.seg4 = newSeg4(nfft)
		for i := 1; i < 4; i++ {
			c.coef4[i] = make([]complex128, c.nf)
		}
	}
	c.last = c.nf - 1
	if nfft%2 == 1 {
		c.last = c.nf
	}
	c.scale = w.scale
	c.ld = crossStride(n)
	c.batch = max(1, min(csdBinBytes/(16*c.ld), csdBatchBytes/(16*c.nf*c.ld)))
	if n >= csdGemvChannels {
		c.sre = make([]float64, c.np)
		c.sim = make([]float64, c.np)
	}
	return c, nil
}

// Config returns the plan's configuration with defaults filled in.
func (c *CSD) Config() CSDConfig { return c.cfg }

// Channels returns the number of channels.
func (c *CSD) Channels() int { return c.n }

// Len returns the number of frequency bins, NFFT/2+1.
func (c *CSD) Len() int { return c.nf }

// Segments returns how many segments a signal of n samples is split into,
// (n-Overlap)/(SegmentLen-Overlap) as scipy, or 0 when n < SegmentLen.
func (c *CSD) Segments(n int) int {
	if n < c.cfg.SegmentLen {
		return 0
	}
	return (n - c.cfg.Overlap) / c.step
}

// Step returns the hop between segment starts, SegmentLen-Overlap samples.
func (c *CSD) Step() int { return c.step }

// Freqs fills dst (length Len(); nil allocates) with the bin frequencies in
// Hz, bin k at k·SampleRate/NFFT, and returns it.
func (c *CSD) Freqs(dst []float64) []float64 {
	dst = useDst(dst, c.nf, "CSD.Freqs")
	copy(dst, c.freqs)
	return dst
}

// NewMatrix returns a CSDMatrix shaped for the plan, with its frequencies
// and channel names filled in.
func (c *CSD) NewMatrix() *CSDMatrix {
	m := NewCSDMatrix(c.n, c.nf)
	copy(m.Freqs, c.freqs)
	m.Names = c.cfg.Names
	return m
}

// Compute fills dst with the one-sided cross-spectral density matrix of the
// channels x[0..Channels-1] and returns it; a nil dst allocates
// (c.NewMatrix()), a dst of another shape panics.
//
// Entry (i, j) at bin k equals scipy.signal.csd(x[i], x[j], fs, window,
// nperseg, noverlap, nfft, detrend, return_onesided=True, scaling, average)
// [1][k] (scipy 1.16): every segment of SegmentLen samples, hop
// SegmentLen-Overlap, trailing samples ignored, is detrended, tapered and
// transformed (zero-padded to NFFT); S = conj(X_i)·X_j · scale, with scale
// 1/(SampleRate·Σw²) for ScalingDensity (unit²/Hz) or 1/(Σw)² for
// ScalingSpectrum (unit²); bins other than DC and (even NFFT) Nyquist are
// doubled; the segments are combined by their mean, or for AverageMedian by
// the medians of the real and of the imaginary parts taken separately,
// divided by scipy's median bias for the segment count (as scipy; no bias
// with one segment). The diagonal is real and equals Welch.PSD.
//
// Cost: one real FFT per channel and segment, then n(n+1)/2 complex
// multiply-adds per bin and segment (the upper triangle only).
// All rows of x must have the same length ≥ SegmentLen. Compute does not
// allocate once the plan has seen a signal of this length (AverageMedian
// keeps every segment's spectrum: Segments·Len·Channels complex values).
func (c *CSD) Compute(dst *CSDMatrix, x [][]float64) *CSDMatrix {
	const op = "CSD.Compute"
	samples := checkRows(op, x, c.n)
	checkMinLen(op, "x[0]", samples, c.cfg.SegmentLen, "SegmentLen")
	nseg := c.Segments(samples)
	dst = c.useMatrix(dst, op)
	dst.Segments = nseg
	if c.cfg.Average == AverageMedian && nseg > 1 {
		c.median(dst, x, nseg)
		return dst
	}
	clear(dst.Data)
	// Fold the scaling and the mean into the spectra: g² = scale/nseg.
	g := math.Sqrt(c.scale / float64(nseg))
	c.grow(min(c.batch, nseg))
	n, ld := c.n, c.ld
	for s0 := 0; s0 < nseg; s0 += c.batch {
		b := min(c.batch, nseg-s0)
		for s := range b {
			start := (s0 + s) * c.step
			for ch := 0; ch < n; {
				k := c.coefs(x, start, ch)
				for i := range k {
					c.put(c.coef4[i], c.spec, s*ld+ch+i, b*ld, 2*b*ld, g)
				}
				ch += k
			}
		}
		c.addProducts(dst, b)
	}
	return dst
}

// addProducts adds Σ conj(X_s)ᵀX_s over the batch of b segments in c.spec
// to dst, bin by bin: on the AVX2 cross kernel where it runs and pays
// (crossWorth), whose sums are csdOuterAdd's segment after segment, bit
// for bit; otherwise csdOuterAdd itself or, from csdGemvChannels channels
// and csdGemvSegments segments, gonum's dgemv, which forms each bin's
// batch sum before adding it (another rounding order).
func (c *CSD) addProducts(dst *CSDMatrix, b int) {
	n, ld := c.n, c.ld
	for k := range c.nf {
		acc := dst.Data[k*c.np : (k+1)*c.np]
		u := c.spec[2*k*b*ld : 2*(k+1)*b*ld]
		switch {
		case useCross && crossWorth(n, b):
			c.xs.add(acc, u, n, ld, b)
		case n >= csdGemvChannels && b >= csdGemvSegments:
			c.gemvAdd(acc, u, b)
		default:
			for s := range b {
				csdOuterAdd(acc, u[s*ld:s*ld+n], u[(b+s)*ld:(b+s)*ld+n])
			}
		}
	}
}

// crossWorth reports whether the cross kernel beats csdOuterAdd for b
// segments of n channels: it loads and stores each sum once per call and
// handles the diagonal blocks through a tile, which a few segments of a
// few channels do not pay back (measured in CPU time with Compute and
// Accumulate at 4–64 channels and 1–31 segments, the kernel switched
// alone: 1.0–2.6× faster from 4 segments or 24 channels, up to 2.6×
// slower with one segment of 8–19 channels). Both give the same bits.
func crossWorth(n, b int) bool { return b >= 4 || n >= 24 }

// crossStride returns the padded row length of the cross kernel's
// spectra for n channels: n rounded up to a multiple of 8, so that a
// block of eight rows never reads past a row, and to an odd number of
// 64-byte lines. The kernel walks a column of blocks, one row per
// segment; with an even number of lines per row (64 channels: 512 bytes)
// those rows fall into a fraction of the L1 cache's sets and evict each
// other (measured: 3× slower at 64 channels), with an odd number they
// cover every set.
func crossStride(n int) int {
	ld := (n + 7) &^ 7
	if ld/8%2 == 0 {
		ld += 8
	}
	return ld
}

// crossScratch is the cross kernel's scratch: the tile of a column pair's
// diagonal block, and a column to write the missing partner of the last
// column to (odd channel counts).
type crossScratch struct {
	t0, t1 [8]complex128
	spare  []complex128
}

// add adds Σ_s conj(X_s)ᵀX_s over b segments of one bin, u as in CSD.spec
// (rows padded to ld = crossStride(n)), to the packed upper triangle acc,
// in column pairs (j, j+1): rows in whole blocks of eight above the pair's
// diagonal block go straight to acc; the diagonal block (rows from
// 8⌊j/8⌋ to j+1) goes through a tile so that entries below the diagonal,
// which belong to no output, are dropped. Every entry receives the
// products of csdOuterAdd segment by segment, so the result is the same
// bit for bit.
func (x *crossScratch) add(acc []complex128, u []float64, n, ld, b int) {
	for j := 0; j < n; j += 2 {
		c0 := j * (j + 1) / 2
		col0 := acc[c0 : c0+j+1]
		var col1 []complex128
		if j+1 < n {
			col1 = acc[c0+j+1 : c0+2*j+3]
		} else {
			if len(x.spare) < ld {
				x.spare = make([]complex128, ld)
			}
			col1 = x.spare
		}
		full := j / 8
		if full > 0 {
			cross(col0, col1, u, ld, b, j, 0, full)
		}
		i0 := 8 * full
		r0, r1 := j+1-i0, min(j+2, n)-i0 // rows of columns j and j+1 in the tile
		// Rows past r0 and r1 keep what they held: their sums are dropped.
		copy(x.t0[:], col0[i0:])
		copy(x.t1[:], col1[i0:i0+r1])
		cross(x.t0[:], x.t1[:], u, ld, b, j, i0, 1)
		copy(col0[i0:], x.t0[:r0])
		copy(col1[i0:i0+r1], x.t1[:r1])
	}
}

// gemvAdd adds Σ_s conj(X_s)ᵀX_s over the b segments of one bin,
// u = [Re X; Im X] (2b×n, row-major), to the packed acc. Column j of the
// upper triangle is Re = U[:, :j+1]ᵀ·u_j and Im = U[:, :j+1]ᵀ·[Im x_j;
// −Re x_j]: two BLAS dgemv (gonum's register-blocked SSE2 kernel) per
// column.
func (c *CSD) gemvAdd(acc []complex128, u []float64, b int) {
	n, ld, m := c.n, c.ld, 2*b
	v := c.v[:m]
	for j := range n {
		o := j * (j + 1) / 2
		for s := range b {
			v[s] = u[(b+s)*ld+j]
			v[b+s] = -u[s*ld+j]
		}
		csdBLAS.Dgemv(blas.Trans, m, j+1, 1, u, ld, u[j:], ld, 0, c.sre[o:o+j+1], 1)
		csdBLAS.Dgemv(blas.Trans, m, j, 1, u, ld, v, 1, 0, c.sim[o:o+j], 1)
		c.sim[o+j] = 0 // the diagonal is real
	}
	for p, r := range c.sre {
		acc[p] += complex(r, c.sim[p])
	}
}

var csdBLAS gonum.Implementation

// median computes the AverageMedian estimate from all nseg segments.
func (c *CSD) median(dst *CSDMatrix, x [][]float64, nseg int) {
	c.grow(nseg)
	if cap(c.col) < 2*nseg {
		c.col = make([]float64, 2*nseg)
	}
	g := math.Sqrt(c.scale)
	n := c.n
	for s := range nseg {
		for ch := 0; ch < n; {
			k := c.coefs(x, s*c.step, ch)
			for i := range k {
				c.put(c.coef4[i], c.spec, s*n+ch+i, nseg*n, 2*nseg*n, g)
			}
			ch += k
		}
	}
	bias := medianBias(nseg)
	cr, ci := c.col[:nseg], c.col[nseg:2*nseg]
	for k := range c.nf {
		u := c.spec[2*k*nseg*n : 2*(k+1)*nseg*n]
		re, im := u[:nseg*n], u[nseg*n:]
		out := dst.Data[k*c.np : (k+1)*c.np]
		p := 0
		for j := range n {
			for i := 0; i <= j; i++ {
				for s := range nseg {
					ar, ai := re[s*n+i], im[s*n+i]
					br, bi := re[s*n+j], im[s*n+j]
					cr[s] = ar*br + ai*bi
					ci[s] = ar*bi - ai*br
				}
				out[p] = complex(median64(cr)/bias, median64(ci)/bias)
				p++
			}
		}
	}
}

// grow makes room for the spectra of b segments.
func (c *CSD) grow(b int) {
	if need := 2 * c.nf * b * c.ld; len(c.spec) < need {
		c.spec = make([]float64, need)
	}
	if c.sre != nil && len(c.v) < 2*b {
		c.v = make([]float64, 2*b)
	}
}

// useMatrix returns dst shaped for the plan, with its frequencies (and,
// unless it has its own, the channel names) set; a nil dst allocates.
func (c *CSD) useMatrix(dst *CSDMatrix, op string) *CSDMatrix {
	if dst == nil {
		return c.NewMatrix()
	}
	dst.check(c.n, c.nf, op)
	copy(dst.Freqs, c.freqs)
	if dst.Names == nil {
		dst.Names = c.cfg.Names
	}
	return dst
}

// spectrum leaves the one-sided coefficients of the detrended, tapered seg
// in c.coef.
func (c *CSD) spectrum(seg []float64) {
	taperSegment(c.seg, seg, c.cfg.Window, c.cfg.Detrend)
	c.fft.Coefficients(c.coef, c.seg)
}

// coefs computes the spectra of the segments x[ch+i][start :
// start+SegmentLen] into c.coef4[i] for i < k and returns k: four
// channels at once where the FFT runs four at once and four remain, one
// otherwise (c.coef4[0] is c.coef). The spectra are those of spectrum.
func (c *CSD) coefs(x [][]float64, start, ch int) int {
	end := start + c.cfg.SegmentLen
	if ch+4 <= c.n && c.fft.on4() {
		if c.seg4[0] == nil {
			c.seg4 = newSeg4(c.cfg.NFFT)
			for i := 1; i < 4; i++ {
				c.coef4[i] = make([]complex128, c.nf)
			}
		}
		for i := range 4 {
			taperSegment(c.seg4[i], x[ch+i][start:end], c.cfg.Window, c.cfg.Detrend)
		}
		c.fft.coefficients4(&c.coef4, &c.seg4)
		return 4
	}
	c.spectrum(x[ch][start:end])
	return 1
}

// put writes bin k of the spectrum coef times g, times √2 for the bins
// the one-sided estimate doubles, to out[off+k*stride] (real part) and
// out[off+imOff+k*stride] (imaginary).
func (c *CSD) put(coef []complex128, out []float64, off, imOff, stride int, g float64) {
	g2 := g * math.Sqrt2
	for k, v := range coef {
		h := g2
		if k == 0 || k >= c.last {
			h = g
		}
		out[off+k*stride] = h * real(v)
		out[off+imOff+k*stride] = h * imag(v)
	}
}

// scatter is put for spectra computed before, every channel at
// once: channel ch of sp, scaled as transform scales it (the same product,
// so the same value bit for bit), goes to out[off+ch+k*stride] and
// out[off+ch+imOff+k*stride].
func (c *CSD) scatter(sp *SegmentSpectra, out []float64, off, imOff, stride int, g float64) {
	g2 := g * math.Sqrt2
	n := c.n
	for k := range c.nf {
		h := g2
		if k == 0 || k >= c.last {
			h = g
		}
		o := off + k*stride
		re, im := out[o:o+n], out[o+imOff:o+imOff+n]
		for ch, v := range sp.Re[k*n : (k+1)*n] {
			re[ch] = h * v
		}
		for ch, v := range sp.Im[k*n : (k+1)*n] {
			im[ch] = h * v
		}
	}
}

// csdOuterAdd adds the packed upper triangle of conj(a)·aᵀ to acc, where
// a = re + i·im holds one bin of every channel: acc[p(i,j)] +=
// conj(a_i)·a_j for i ≤ j, column by column. This is the scalar hot loop:
// two columns share each load of a_i, the accumulator columns are
// contiguous, and the diagonal's imaginary part is exactly zero.
func csdOuterAdd(acc []complex128, re, im []float64) {
	n := len(re)
	im = im[:n]
	j := 0
	for ; j+1 < n; j += 2 {
		c0 := j * (j + 1) / 2 // column j: rows 0..j
		c1 := c0 + j + 1      // column j+1: rows 0..j+1
		b0r, b0i := re[j], im[j]
		b1r, b1i := re[j+1], im[j+1]
		xr := re[:j]
		xi := im[:j]
		r0 := acc[c0 : c0+j]
		r1 := acc[c1 : c1+j]
		for i, x := range xr {
			y := xi[i]
			// conj(a_i)·b = (x − iy)(br + i·bi)
			r0[i] += complex(x*b0r+y*b0i, x*b0i-y*b0r)
			r1[i] += complex(x*b1r+y*b1i, x*b1i-y*b1r)
		}
		acc[c0+j] += complex(b0r*b0r+b0i*b0i, 0)
		acc[c1+j] += complex(b0r*b1r+b0i*b1i, b0r*b1i-b0i*b1r)
		acc[c1+j+1] += complex(b1r*b1r+b1i*b1i, 0)
	}
	if j < n {
		c0 := j * (j + 1) / 2
		br, bi := re[j], im[j]
		r0 := acc[c0 : c0+j]
		xi := im[:j]
		for i, x := range re[:j] {
			y := xi[i]
			r0[i] += complex(x*br+y*bi, x*bi-y*br)
		}
		acc[c0+j] += complex(br*br+bi*bi, 0)
	}
}

// SegmentSpectra holds one segment's one-sided Fourier coefficients for
// every channel, bin-major: channel c at bin k is complex(Re[k*Channels+c],
// Im[k*Channels+c]). CSD.Spectra fills it with unnormalized coefficients
// (gonum's FFT of the detrended, tapered, zero-padded segment, no scaling,
// no one-sided doubling).
type SegmentSpectra struct {
	Channels int
	Re, Im   []float64
}

// NewSegmentSpectra returns zeroed spectra for channels × bins, both ≥ 1.
func NewSegmentSpectra(channels, bins int) *SegmentSpectra {
	if channels < 1 || bins < 1 {
		panic(fmt.Sprintf("dsp: NewSegmentSpectra: %d channels × %d bins, want ≥ 1 of each", channels, bins))
	}
	return &SegmentSpectra{Channels: channels, Re: make([]float64, channels*bins), Im: make([]float64, channels*bins)}
}

// Bins returns the number of frequency bins.
func (s *SegmentSpectra) Bins() int { return len(s.Re) / s.Channels }

// At returns channel c's coefficient at bin k.
func (s *SegmentSpectra) At(k, c int) complex128 {
	const op = "SegmentSpectra.At"
	checkChannel(op, c, s.Channels)
	if k < 0 || k >= s.Bins() {
		panic(fmt.Sprintf("dsp: %s: bin %d out of range [0, %d)", op, k, s.Bins()))
	}
	return complex(s.Re[k*s.Channels+c], s.Im[k*s.Channels+c])
}

// check panics unless s holds n channels × nf bins.
func (s *SegmentSpectra) check(n, nf int, op string) {
	if s.Channels != n || len(s.Re) != n*nf || len(s.Im) != n*nf {
		panic(fmt.Sprintf("dsp: %s: spectra of %d channels with len(Re) = %d, len(Im) = %d, want %d channels × %d bins = %d",
			op, s.Channels, len(s.Re), len(s.Im), n, nf, n*nf))
	}
}

// Spectra fills dst with the spectra of the segment x[c][start :
// start+SegmentLen] of every channel c (detrended and tapered as the plan,
// unnormalized) and returns it; a nil dst allocates, a dst of another shape
// panics. Segment s of Compute starts at s·Step(). Rows of x may differ in
// length but must each hold the segment. Spectra does not allocate with a
// non-nil dst.
func (c *CSD) Spectra(dst *SegmentSpectra, x [][]float64, start int) *SegmentSpectra {
	const op = "CSD.Spectra"
	checkLen(op, "x", len(x), c.n)
	if dst == nil {
		dst = NewSegmentSpectra(c.n, c.nf)
	}
	dst.check(c.n, c.nf, op)
	for ch, row := range x {
		if start < 0 || start+c.cfg.SegmentLen > len(row) {
			panic(fmt.Sprintf("dsp: %s: segment [%d, %d) outside x[%d] of %d samples", op, start, start+c.cfg.SegmentLen, ch, len(row)))
		}
	}
	for ch := 0; ch < c.n; {
		k := c.coefs(x, start, ch)
		for i := range k {
			for b, v := range c.coef4[i] {
				dst.Re[b*c.n+ch+i] = real(v)
				dst.Im[b*c.n+ch+i] = imag(v)
			}
		}
		ch += k
	}
	return dst
}

// CSDMatrix is a cross-spectral density matrix per frequency bin in packed
// Hermitian storage: bin f's upper triangle, diagonal included, column by
// column — (0,0), (0,1), (1,1), (0,2), (1,2), (2,2), … — is
// Data[f·P : (f+1)·P] with P = n(n+1)/2; CSDPackedIndex gives the offset,
// which does not depend on n. (MNE's CSD object stores the upper triangle
// row by row, numpy.triu_indices order, and conjugated.) The lower triangle
// is implied: At(f, j, i) = conj(At(f, i, j)).
type CSDMatrix struct {
	// Names optionally labels the channels.
	Names []string
	// Freqs holds each bin's frequency in Hz.
	Freqs []float64
	// Data holds the packed upper triangles, bin after bin.
	Data []complex128
	// Segments is the number of segments averaged.
	Segments int
	n        int
	scratch  []float64 // per-channel, per-bin scratch for Connectivity
}

// NewCSDMatrix returns a zeroed matrix for channels × bins, both ≥ 1.
func NewCSDMatrix(channels, bins int) *CSDMatrix {
	if channels < 1 || bins < 1 {
		panic(fmt.Sprintf("dsp: NewCSDMatrix: %d channels × %d bins, want ≥ 1 of each", channels, bins))
	}
	return &CSDMatrix{
		Freqs:   make([]float64, bins),
		Data:    make([]complex128, bins*channels*(channels+1)/2),
		n:       channels,
		scratch: make([]float64, channels*connBinBlock),
	}
}

// CSDPackedIndex returns the offset of (i, j), 0 ≤ i ≤ j, within one bin of
// packed upper-triangular storage: j(j+1)/2 + i.
func CSDPackedIndex(i, j int) int { return j*(j+1)/2 + i }

// Channels returns the number of channels.
func (m *CSDMatrix) Channels() int { return m.n }

// Bins returns the number of frequency bins.
func (m *CSDMatrix) Bins() int { return len(m.Freqs) }

// At returns the cross-spectrum of channels i and j at bin f,
// E[conj(X_i)·X_j] (scipy's convention); for i > j it is the conjugate of
// the stored (j, i).
func (m *CSDMatrix) At(f, i, j int) complex128 {
	const op = "CSDMatrix.At"
	checkChannel(op, i, m.n)
	checkChannel(op, j, m.n)
	m.checkBin(op, f)
	np := m.n * (m.n + 1) / 2
	if i > j {
		return csdConj(m.Data[f*np+CSDPackedIndex(j, i)])
	}
	return m.Data[f*np+CSDPackedIndex(i, j)]
}

// Bin returns bin f's packed upper triangle (a sub-slice of Data).
func (m *CSDMatrix) Bin(f int) []complex128 {
	m.checkBin("CSDMatrix.Bin", f)
	np := m.n * (m.n + 1) / 2
	return m.Data[f*np : (f+1)*np]
}

// PSD fills dst (length Bins(); nil allocates) with channel i's
// auto-spectrum, the real diagonal (scipy.signal.welch of that channel for
// a Compute result), and returns it.
func (m *CSDMatrix) PSD(dst []float64, i int) []float64 {
	const op = "CSDMatrix.PSD"
	checkChannel(op, i, m.n)
	dst = useDst(dst, m.Bins(), op)
	np := m.n * (m.n + 1) / 2
	d := CSDPackedIndex(i, i)
	for f := range dst {
		dst[f] = real(m.Data[f*np+d])
	}
	return dst
}

// check panics unless m holds n channels × nf bins.
func (m *CSDMatrix) check(n, nf int, op string) {
	if m.n != n || len(m.Freqs) != nf || len(m.Data) != nf*n*(n+1)/2 {
		panic(fmt.Sprintf("dsp: %s: dst is %d channels × %d bins with len(Data) = %d, want %d × %d",
			op, m.n, len(m.Freqs), len(m.Data), n, nf))
	}
}

// checkBin panics unless 0 ≤ f < Bins().
func (m *CSDMatrix) checkBin(op string, f int) {
	if f < 0 || f >= m.Bins() {
		panic(fmt.Sprintf("dsp: %s: bin %d out of range [0, %d)", op, f, m.Bins()))
	}
}

func csdConj(z complex128) complex128 { return complex(real(z), -imag(z)) }

// CSDAccumulator sums cross-spectra segment by segment, so that a window's
// CSD can be built from segments computed once and shared by overlapping
// windows (the accumulate / combine / compute_con pattern of
// mne-connectivity's estimators). It always averages with the mean.
type CSDAccumulator struct {
	plan *CSD
	acc  []complex128
	segs int
	u    []float64 // one bin of the segments of an Accumulate call, as CSD.spec
	xs   crossScratch
}

// NewAccumulator returns an empty accumulator for spectra from c.Spectra.
func (c *CSD) NewAccumulator() *CSDAccumulator {
	return &CSDAccumulator{plan: c, acc: make([]complex128, c.nf*c.np)}
}

// Accumulate adds conj(X_i)·X_j of every segment in s to the sums. Spectra
// of another shape than the plan's panic. It does not allocate.
func (a *CSDAccumulator) Accumulate(s ...*SegmentSpectra) {
	c := a.plan
	for _, sp := range s {
		sp.check(c.n, c.nf, "CSDAccumulator.Accumulate")
	}
	n, ld, b := c.n, c.ld, len(s)
	kernel := useCross && crossWorth(n, b)
	if kernel && len(a.u) < 2*b*ld {
		a.u = make([]float64, 2*b*ld)
	}
	for k := range c.nf {
		acc := a.acc[k*c.np : (k+1)*c.np]
		if !kernel {
			for _, sp := range s {
				csdOuterAdd(acc, sp.Re[k*n:(k+1)*n], sp.Im[k*n:(k+1)*n])
			}
			continue
		}
		// The kernel's layout: the segments' rows of real parts, then of
		// imaginary parts, padded to ld. The sums are csdOuterAdd's.
		for i, sp := range s {
			copy(a.u[i*ld:i*ld+n], sp.Re[k*n:(k+1)*n])
			copy(a.u[(b+i)*ld:(b+i)*ld+n], sp.Im[k*n:(k+1)*n])
		}
		a.xs.add(acc, a.u[:2*b*ld], n, ld, b)
	}
	a.segs += b
}

// Merge adds o's sums to a's (both from the same plan shape).
func (a *CSDAccumulator) Merge(o *CSDAccumulator) {
	if len(o.acc) != len(a.acc) || o.plan.n != a.plan.n {
		panic(fmt.Sprintf("dsp: CSDAccumulator.Merge: %d channels × %d bins into %d × %d",
			o.plan.n, o.plan.nf, a.plan.n, a.plan.nf))
	}
	for i, v := range o.acc {
		a.acc[i] += v
	}
	a.segs += o.segs
}

// Reset empties the accumulator.
func (a *CSDAccumulator) Reset() {
	clear(a.acc)
	a.segs = 0
}

// Segments returns the number of segments accumulated.
func (a *CSDAccumulator) Segments() int { return a.segs }

// Result fills dst with the mean cross-spectral density of the accumulated
// segments, scaled and one-sided exactly as CSD.Compute with AverageMean,
// and returns it; a nil dst allocates, a dst of another shape panics. It
// panics when nothing was accumulated.
func (a *CSDAccumulator) Result(dst *CSDMatrix) *CSDMatrix {
	const op = "CSDAccumulator.Result"
	c := a.plan
	if a.segs == 0 {
		panic("dsp: " + op + ": no segments accumulated")
	}
	dst = c.useMatrix(dst, op)
	dst.Segments = a.segs
	base := c.scale / float64(a.segs)
	for k := range c.nf {
		g := base
		if k > 0 && k < c.last {
			g *= 2
		}
		src := a.acc[k*c.np : (k+1)*c.np]
		out := dst.Data[k*c.np : (k+1)*c.np]
		for p, v := range src {
			out[p] = complex(g*real(v), g*imag(v))
		}
	}
	return dst
}
