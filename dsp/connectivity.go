package dsp

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/dsp/fourier"
)

// ConnMethod names a spectral connectivity measure. The strings are
// mne-connectivity's method names (plus "msc" for scipy's coherence), so
// they can be used as configuration values.
type ConnMethod string

// Connectivity measures. For a (seed s, target t) pair, with per-epoch
// spectra X_s, X_t, cross-spectrum C = X_s·conj(X_t) (mne-connectivity's
// orientation, the conjugate of scipy's Pxy = conj(X_s)·X_t), E[·] the mean
// over epochs and P_x = E[|X_x|²]:
const (
	// MSC is the magnitude-squared coherence |E[C]|² / (P_s·P_t), as
	// scipy.signal.coherence (Welch-averaged).
	MSC ConnMethod = "msc"
	// Coh is the magnitude of coherency |E[C]| / √(P_s·P_t) (mne "coh";
	// note: not squared).
	Coh ConnMethod = "coh"
	// Cohy is the complex coherency E[C] / √(P_s·P_t) (mne "cohy").
	Cohy ConnMethod = "cohy"
	// ImCoh is the imaginary part of coherency (mne "imcoh"); positive
	// when the target lags the seed by less than half a cycle.
	ImCoh ConnMethod = "imcoh"
	// PLV is the phase-locking value |E[C/|C|]| (mne "plv").
	PLV ConnMethod = "plv"
	// PLI is the phase-lag index |E[sign(Im C)]| (mne "pli").
	PLI ConnMethod = "pli"
	// WPLI is the weighted phase-lag index |E[Im C]| / E[|Im C|], 0 where
	// the denominator is 0 (mne "wpli").
	WPLI ConnMethod = "wpli"
)

// ConnMethods lists every supported method.
var ConnMethods = []ConnMethod{MSC, Coh, Cohy, ImCoh, PLV, PLI, WPLI}

// ParseConnMethod returns the method named s.
func ParseConnMethod(s string) (ConnMethod, error) {
	if m := ConnMethod(s); slices.Contains(ConnMethods, m) {
		return m, nil
	}
	return "", fmt.Errorf("dsp: unknown connectivity method %q (want one of %v)", s, ConnMethods)
}

// ChannelPair is a (seed, target) pair of channel indices, as one column of
// mne-connectivity's indices=(seeds, targets).
type ChannelPair struct{ Seed, Target int }

// AllChannelPairs returns every pair of n channels in mne-connectivity's
// default order, numpy.tril_indices(n, -1): (1,0), (2,0), (2,1), (3,0), …
// (seed > target).
func AllChannelPairs(n int) []ChannelPair {
	pairs := make([]ChannelPair, 0, n*(n-1)/2)
	for i := 1; i < n; i++ {
		for j := range i {
			pairs = append(pairs, ChannelPair{i, j})
		}
	}
	return pairs
}

// connPairCount panics unless every pair indexes one of n channels, and
// returns how many pairs are scored: len(pairs), or n(n−1)/2 for nil pairs
// (AllChannelPairs).
func connPairCount(op string, pairs []ChannelPair, n int) int {
	for _, p := range pairs {
		if p.Seed < 0 || p.Target < 0 || p.Seed >= n || p.Target >= n {
			panic(fmt.Sprintf("dsp: %s: pair %v out of range [0, %d)", op, p, n))
		}
	}
	if pairs == nil {
		return n * (n - 1) / 2
	}
	return len(pairs)
}

// Connectivity computes (seed, target) pairs' connectivity from a
// cross-spectral density matrix: MSC, Coh or ImCoh (Cohy through
// Coherency). Scores go to dst[p·Bins + k] for pair p at bin k (MNE's
// (n_cons, n_freqs) layout); nil pairs means AllChannelPairs(Channels).
// For a matrix from CSD.Compute with AverageMean, MSC equals
// scipy.signal.coherence with the same Welch parameters, and Coh, ImCoh and
// Cohy equal mne-connectivity's spectral_connectivity_epochs(mode='fourier')
// on epochs that are the segments when the plan's window is MNE's
// (symmetric Hann, Hann(nil, SegmentLen, false)), Detrend is
// DetrendConstant and NFFT = SegmentLen. The phase measures need
// per-segment spectra: use the Connectivity accumulator. Connectivity does
// not allocate with a non-nil dst, which has length pairs·Bins (nil
// allocates) and is returned.
func (m *CSDMatrix) Connectivity(dst []float64, method ConnMethod, pairs []ChannelPair) []float64 {
	const op = "CSDMatrix.Connectivity"
	switch method {
	case MSC, Coh, ImCoh:
	default:
		panic(fmt.Sprintf("dsp: %s: method %q needs per-segment spectra (Connectivity accumulator) or Coherency", op, method))
	}
	n := m.n
	nPairs := connPairCount(op, pairs, n)
	nf := m.Bins()
	dst = useDst(dst, nPairs*nf, op)
	np := n * (n + 1) / 2
	kind := connKind(method)
	// Bins go in blocks so that each pair's scores fill whole cache lines
	// of dst while the block's CSD stays in cache.
	for k0 := 0; k0 < nf; k0 += connBinBlock {
		k1 := min(k0+connBinBlock, nf)
		inv := m.connInverse(k0, k1, kind != 0)
		if pairs != nil {
			for p, pr := range pairs {
				out := dst[p*nf+k0 : p*nf+k1]
				for kk := range out {
					// MNE's cross-spectrum for (s, t) is E[X_s conj(X_t)]: our (t, s).
					c := csdPacked(m.Data[(k0+kk)*np:(k0+kk+1)*np], pr.Target, pr.Seed)
					out[kk] = connScore(kind, c, inv[kk*n+pr.Seed]*inv[kk*n+pr.Target])
				}
			}
			continue
		}
		// All pairs (s, t), s > t: the stored upper-triangle entry (t, s)
		// is MNE's cross-spectrum. Column s of the packed triangle holds
		// (0..s−1, s) — the pairs s(s−1)/2 + t in AllChannelPairs order.
		for k := k0; k < k1; k++ {
			connAllPairs(dst[k:], nf, m.Data[k*np:(k+1)*np], inv[(k-k0)*n:(k-k0+1)*n], kind)
		}
	}
	return dst
}

// connAllPairs writes bin b's scores of every pair (s, t), s > t, in
// AllChannelPairs order to dst[p·stride]; w holds connInverse's weights.
// Column s of the packed triangle holds the pairs (·, s) contiguously.
func connAllPairs(dst []float64, stride int, b []complex128, w []float64, kind int) {
	i := 0
	for s := 1; s < len(w); s++ {
		ws := w[s]
		col := b[s*(s+1)/2 : s*(s+1)/2+s]
		wt := w[:len(col)]
		switch kind {
		case 0:
			for t, c := range col {
				dst[i] = (real(c)*real(c) + imag(c)*imag(c)) * (ws * wt[t])
				i += stride
			}
		case 1:
			for t, c := range col {
				dst[i] = math.Sqrt(real(c)*real(c)+imag(c)*imag(c)) * (ws * wt[t])
				i += stride
			}
		default:
			for t, c := range col {
				dst[i] = imag(c) * (ws * wt[t])
				i += stride
			}
		}
	}
}

// connBinBlock is the number of bins scored together (one cache line of
// float64 scores per pair).
const connBinBlock = 8

// connInverse fills the matrix's scratch with 1/P_ii (sqrt false) or
// 1/√P_ii for bins k0..k1-1, channel-minor, and returns it.
func (m *CSDMatrix) connInverse(k0, k1 int, sqrt bool) []float64 {
	n, np := m.n, m.n*(m.n+1)/2
	inv := m.scratch[:(k1-k0)*n]
	for k := k0; k < k1; k++ {
		b := m.Data[k*np : (k+1)*np]
		row := inv[(k-k0)*n : (k-k0+1)*n]
		d := 0 // packed offset of (ch, ch)
		for ch := range row {
			if sqrt {
				row[ch] = 1 / math.Sqrt(real(b[d]))
			} else {
				row[ch] = 1 / real(b[d])
			}
			d += ch + 2
		}
	}
	return inv
}

// connScore turns a cross-spectrum c and w = 1/(P_s·P_t) (kind 0, MSC)
// or 1/√(P_s·P_t) into the score of connKind(method).
func connScore(kind int, c complex128, w float64) float64 {
	switch kind {
	case 0: // MSC
		return (real(c)*real(c) + imag(c)*imag(c)) * w
	case 1: // Coh
		return math.Sqrt(real(c)*real(c)+imag(c)*imag(c)) * w
	default: // ImCoh
		return imag(c) * w
	}
}

// connKind maps MSC, Coh and ImCoh to connScore's kind (strings compare
// slowly in the inner loop).
func connKind(method ConnMethod) int {
	switch method {
	case MSC:
		return 0
	case Coh:
		return 1
	default:
		return 2
	}
}

// Coherency fills dst[p·Bins + k] with the complex coherency (mne "cohy")
// of pair p at bin k computed from m and returns it; nil pairs means
// AllChannelPairs. dst has length pairs·Bins (nil allocates). It does not
// allocate with a non-nil dst.
func (m *CSDMatrix) Coherency(dst []complex128, pairs []ChannelPair) []complex128 {
	const op = "CSDMatrix.Coherency"
	n := m.n
	nPairs := connPairCount(op, pairs, n)
	nf := m.Bins()
	dst = useDst(dst, nPairs*nf, op)
	np := n * (n + 1) / 2
	for k0 := 0; k0 < nf; k0 += connBinBlock {
		k1 := min(k0+connBinBlock, nf)
		inv := m.connInverse(k0, k1, true)
		score := func(p, s, t int) {
			out := dst[p*nf+k0 : p*nf+k1]
			for kk := range out {
				c := csdPacked(m.Data[(k0+kk)*np:(k0+kk+1)*np], t, s)
				w := inv[kk*n+s] * inv[kk*n+t]
				out[kk] = complex(real(c)*w, imag(c)*w)
			}
		}
		if pairs != nil {
			for p, pr := range pairs {
				score(p, pr.Seed, pr.Target)
			}
			continue
		}
		p := 0
		for s := 1; s < n; s++ {
			for t := range s {
				score(p, s, t)
				p++
			}
		}
	}
	return dst
}

// csdPacked returns E[conj(X_i) X_j] from one bin of packed storage.
func csdPacked(b []complex128, i, j int) complex128 {
	if i > j {
		return csdConj(b[CSDPackedIndex(j, i)])
	}
	return b[CSDPackedIndex(i, j)]
}

// ConnConfig configures a Connectivity accumulator.
type ConnConfig struct {
	// Channels is the number of channels in each SegmentSpectra. Required.
	Channels int
	// Bins is the number of frequency bins in each SegmentSpectra. Required.
	Bins int
	// Pairs lists the (seed, target) pairs to score.
	// Default: AllChannelPairs(Channels).
	Pairs []ChannelPair
	// Methods lists the measures to accumulate for. Required.
	Methods []ConnMethod
}

// Connectivity accumulates spectral connectivity over epochs with
// mne-connectivity 0.7 semantics (spectral_connectivity_epochs: one
// cross-spectrum per epoch, accumulated by the _CohEst, _CohyEst, _ImCohEst,
// _PLVEst, _PLIEst and _WPLIEst estimators, then compute_con). Each
// SegmentSpectra passed to Accumulate is one epoch: with spectra from a CSD
// plan whose window is Hann(nil, n, false) (MNE's numpy.hanning), Detrend
// DetrendConstant and NFFT = SegmentLen, and epochs that are the plan's
// segments, Result equals spectral_connectivity_epochs(epochs,
// mode='fourier', method=m, indices=pairs) bin by bin; any constant or
// per-bin scaling of the spectra cancels in every measure. MSC uses the same
// sums as Coh and equals scipy.signal.coherence for the plan's parameters.
//
// Accumulate, Merge and Result do not allocate (with a non-nil dst).
type Connectivity struct {
	cfg                ConnConfig
	n, nf, npairs      int
	epochs             int
	csdOn, plvOn       bool
	pliOn, wpliOn      bool
	csd, plv           []complex128 // [bin][pair]
	psd                []float64    // [bin][channel]
	pli, wpliN, wpliD  []float64    // [bin][pair]
	pairSeed, pairTarg []int
	hasMethod          [connNumMethods]bool
}

// connNumMethods is len(ConnMethods).
const connNumMethods = 7

func connMethodIndex(m ConnMethod) int { return slices.Index(ConnMethods, m) }

// NewConnectivity returns an empty accumulator for cfg.
func NewConnectivity(cfg ConnConfig) (*Connectivity, error) {
	if cfg.Channels < 1 || cfg.Bins < 1 {
		return nil, fmt.Errorf("dsp: connectivity: need channels ≥ 1 and bins ≥ 1, got %d and %d", cfg.Channels, cfg.Bins)
	}
	if len(cfg.Methods) == 0 {
		return nil, fmt.Errorf("dsp: connectivity: no methods")
	}
	if cfg.Pairs == nil {
		cfg.Pairs = AllChannelPairs(cfg.Channels)
	} else {
		cfg.Pairs = slices.Clone(cfg.Pairs)
	}
	for _, p := range cfg.Pairs {
		if p.Seed < 0 || p.Target < 0 || p.Seed >= cfg.Channels || p.Target >= cfg.Channels {
			return nil, fmt.Errorf("dsp: connectivity: pair %v out of range [0,%d)", p, cfg.Channels)
		}
	}
	cfg.Methods = slices.Clone(cfg.Methods)
	c := &Connectivity{cfg: cfg, n: cfg.Channels, nf: cfg.Bins, npairs: len(cfg.Pairs)}
	for _, m := range cfg.Methods {
		i := connMethodIndex(m)
		if i < 0 {
			return nil, fmt.Errorf("dsp: connectivity: unknown method %q", m)
		}
		c.hasMethod[i] = true
		switch m {
		case MSC, Coh, Cohy, ImCoh:
			c.csdOn = true
		case PLV:
			c.plvOn = true
		case PLI:
			c.pliOn = true
		case WPLI:
			c.wpliOn = true
		}
	}
	size := c.nf * c.npairs
	if c.csdOn {
		c.csd = make([]complex128, size)
		c.psd = make([]float64, c.nf*c.n)
	}
	if c.plvOn {
		c.plv = make([]complex128, size)
	}
	if c.pliOn {
		c.pli = make([]float64, size)
	}
	if c.wpliOn {
		c.wpliN = make([]float64, size)
		c.wpliD = make([]float64, size)
	}
	c.pairSeed = make([]int, c.npairs)
	c.pairTarg = make([]int, c.npairs)
	for p, pr := range cfg.Pairs {
		c.pairSeed[p], c.pairTarg[p] = pr.Seed, pr.Target
	}
	return c, nil
}

// Config returns the accumulator's configuration with defaults filled in.
func (c *Connectivity) Config() ConnConfig { return c.cfg }

// Epochs returns the number of epochs accumulated.
func (c *Connectivity) Epochs() int { return c.epochs }

// Reset empties the accumulator.
func (c *Connectivity) Reset() {
	clear(c.csd)
	clear(c.psd)
	clear(c.plv)
	clear(c.pli)
	clear(c.wpliN)
	clear(c.wpliD)
	c.epochs = 0
}

// Accumulate adds each epoch's spectra in s: for every pair and bin the
// cross-spectrum C = X_seed·conj(X_target) goes into the sums the configured
// methods need (ΣC and Σ|X|² for the coherences, ΣC/|C| for PLV,
// Σsign(Im C) for PLI, ΣIm C and Σ|Im C| for wPLI), as the estimators'
// accumulate. A zero C makes PLV NaN, as in MNE.
func (c *Connectivity) Accumulate(s ...*SegmentSpectra) {
	for _, sp := range s {
		sp.check(c.n, c.nf, "Connectivity.Accumulate")
	}
	seeds, targs := c.pairSeed, c.pairTarg[:len(c.pairSeed)]
	for _, sp := range s {
		for k := range c.nf {
			re := sp.Re[k*c.n : (k+1)*c.n]
			im := sp.Im[k*c.n : (k+1)*c.n]
			o := k * c.npairs
			if c.csdOn {
				psd := c.psd[k*c.n : (k+1)*c.n]
				for ch, r := range re {
					psd[ch] += r*r + im[ch]*im[ch]
				}
			}
			for p, si := range seeds {
				ti := targs[p]
				sr, sI, tr, tI := re[si], im[si], re[ti], im[ti]
				cr := sr*tr + sI*tI
				ci := sI*tr - sr*tI
				if c.csdOn {
					c.csd[o+p] += complex(cr, ci)
				}
				if c.plvOn {
					a := 1 / math.Sqrt(cr*cr+ci*ci)
					c.plv[o+p] += complex(cr*a, ci*a)
				}
				if c.pliOn {
					switch {
					case ci > 0:
						c.pli[o+p]++
					case ci < 0:
						c.pli[o+p]--
					}
				}
				if c.wpliOn {
					c.wpliN[o+p] += ci
					c.wpliD[o+p] += math.Abs(ci)
				}
			}
		}
	}
	c.epochs += len(s)
}

// Merge adds o's sums to c's (mne-connectivity's combine); both must have
// the same channels, bins, pairs and methods.
func (c *Connectivity) Merge(o *Connectivity) {
	if o.n != c.n || o.nf != c.nf || o.hasMethod != c.hasMethod ||
		!slices.Equal(o.pairSeed, c.pairSeed) || !slices.Equal(o.pairTarg, c.pairTarg) {
		panic("dsp: Connectivity.Merge: accumulators of different channels, bins, pairs or methods")
	}
	for i, v := range o.csd {
		c.csd[i] += v
	}
	for i, v := range o.psd {
		c.psd[i] += v
	}
	for i, v := range o.plv {
		c.plv[i] += v
	}
	for i, v := range o.pli {
		c.pli[i] += v
	}
	for i, v := range o.wpliN {
		c.wpliN[i] += v
		c.wpliD[i] += o.wpliD[i]
	}
	c.epochs += o.epochs
}

func (c *Connectivity) need(op string, m ConnMethod) {
	if i := connMethodIndex(m); i < 0 || !c.hasMethod[i] {
		panic(fmt.Sprintf("dsp: %s: method %q not configured", op, m))
	}
}

// Result fills dst[p·Bins + k] with method m's score for pair p at bin k
// (mne-connectivity's compute_con; layout (n_cons, n_freqs)) and returns
// it; dst has length pairs·Bins (nil allocates). m must be configured and
// real-valued (Cohy: use Coherency). Before any Accumulate the scores are
// NaN (wPLI: 0).
func (c *Connectivity) Result(dst []float64, m ConnMethod) []float64 {
	const op = "Connectivity.Result"
	c.need(op, m)
	if m == Cohy {
		panic("dsp: " + op + ": cohy is complex: use Coherency")
	}
	dst = useDst(dst, c.npairs*c.nf, op)
	ne := float64(c.epochs)
	kind := connKind(m)
	for k := range c.nf {
		o := k * c.npairs
		out := dst[k:]
		switch m {
		case MSC, Coh, ImCoh:
			psd := c.psd[k*c.n : (k+1)*c.n]
			for p, cm := range c.csd[o : o+c.npairs] {
				// As compute_con: the means, then the ratio.
				cr, ci := real(cm)/ne, imag(cm)/ne
				pss, ptt := psd[c.pairSeed[p]]/ne, psd[c.pairTarg[p]]/ne
				w := 1 / math.Sqrt(pss*ptt)
				if kind == 0 {
					w = 1 / pss / ptt
				}
				out[p*c.nf] = connScore(kind, complex(cr, ci), w)
			}
		case PLV:
			for p, a := range c.plv[o : o+c.npairs] {
				ar, ai := real(a)/ne, imag(a)/ne
				out[p*c.nf] = math.Sqrt(ar*ar + ai*ai)
			}
		case PLI:
			for p, a := range c.pli[o : o+c.npairs] {
				out[p*c.nf] = math.Abs(a / ne)
			}
		case WPLI:
			for p, d := range c.wpliD[o : o+c.npairs] {
				var v float64
				if d != 0 {
					v = math.Abs(c.wpliN[o+p]) / d
				}
				out[p*c.nf] = v
			}
		}
	}
	return dst
}

// Coherency fills dst[p·Bins + k] with the complex coherency (mne "cohy")
// E[C]/√(P_seed·P_target) and returns it; dst has length pairs·Bins (nil
// allocates). Cohy (or any coherence method) must be configured.
func (c *Connectivity) Coherency(dst []complex128) []complex128 {
	const op = "Connectivity.Coherency"
	if !c.csdOn {
		panic(fmt.Sprintf("dsp: %s: method %q not configured", op, Cohy))
	}
	dst = useDst(dst, c.npairs*c.nf, op)
	ne := float64(c.epochs)
	for k := range c.nf {
		o := k * c.npairs
		for p := range c.npairs {
			cm := c.csd[o+p]
			d := math.Sqrt(c.psd[k*c.n+c.pairSeed[p]] / ne * (c.psd[k*c.n+c.pairTarg[p]] / ne))
			dst[p*c.nf+k] = complex(real(cm)/ne/d, imag(cm)/ne/d)
		}
	}
	return dst
}

// ConnBandMean averages per-bin scores over frequency bands as
// mne-connectivity's faverage=True: for each pair p and band b,
// dst[p·len(bands) + b] is the mean of scores[p·len(freqs) + k] over the
// bins whose frequency lies in [Low, High] (inclusive), NaN when no bin
// does (MNE raises an error instead). scores has the (pairs, bins) layout
// of Result; dst has length pairs·len(bands) (nil allocates), may not alias
// scores and is returned.
func ConnBandMean(dst, scores, freqs []float64, bands []Band) []float64 {
	return connBandMean("ConnBandMean", dst, scores, freqs, bands, func(s float64, n int) float64 {
		if n == 0 {
			return math.NaN()
		}
		return s / float64(n)
	})
}

// ConnBandMeanComplex is ConnBandMean for complex scores (Cohy).
func ConnBandMeanComplex(dst, scores []complex128, freqs []float64, bands []Band) []complex128 {
	return connBandMean("ConnBandMeanComplex", dst, scores, freqs, bands, func(s complex128, n int) complex128 {
		if n == 0 {
			return complex(math.NaN(), math.NaN())
		}
		return complex(real(s)/float64(n), imag(s)/float64(n))
	})
}

// connBandMean is ConnBandMean for either score type: mean turns the sum of
// a band's n scores into their mean (NaN for none).
func connBandMean[T float64 | complex128](op string, dst, scores []T, freqs []float64, bands []Band, mean func(sum T, n int) T) []T {
	nf := len(freqs)
	if nf == 0 || len(scores)%nf != 0 {
		panic(fmt.Sprintf("dsp: %s: len(scores) = %d, want a multiple of len(freqs) = %d", op, len(scores), nf))
	}
	np := len(scores) / nf
	dst = useDst(dst, np*len(bands), op)
	if !slices.IsSorted(freqs) {
		for p := range np {
			row := scores[p*nf : (p+1)*nf]
			for b, band := range bands {
				var s T
				var cnt int
				for k, f := range freqs {
					if f >= band.Low && f <= band.High {
						s += row[k]
						cnt++
					}
				}
				dst[p*len(bands)+b] = mean(s, cnt)
			}
		}
		return dst
	}
	// Ascending frequencies (every plan's): a band's bins are one run
	// [k0, k1), summed in the same order as the scan above.
	for b, band := range bands {
		k0, _ := slices.BinarySearch(freqs, band.Low)
		k1 := k0
		for k1 < nf && band.Low <= band.High && freqs[k1] <= band.High {
			k1++
		}
		for p := range np {
			var s T
			for _, v := range scores[p*nf+k0 : p*nf+k1] {
				s += v
			}
			dst[p*len(bands)+b] = mean(s, k1-k0)
		}
	}
	return dst
}

// XCorrConfig configures a normalized cross-correlation plan.
type XCorrConfig struct {
	// Len is the number of samples of each input. Required.
	Len int
	// MaxLag is the largest |lag| in samples, 0 ≤ MaxLag < Len. Required.
	MaxLag int
	// Demean subtracts each input's mean before correlating (the result at
	// lag 0 is then Pearson's r). Default: false.
	Demean bool
}

// XCorr is a reusable plan for the normalized cross-correlation of two
// equal-length signals at lags −MaxLag..MaxLag. It uses direct sums for
// short inputs and a zero-padded real FFT (length ≥ Len+MaxLag, so there is
// no circular wrap-around) otherwise. It is not safe for concurrent use.
type XCorr struct {
	cfg    XCorrConfig
	useFFT bool
	fft    *fourier.FFT
	xb, yb []float64
	xc, yc []complex128
	dx, dy []float64
}

// NewXCorr returns a plan for cfg.
func NewXCorr(cfg XCorrConfig) (*XCorr, error) {
	if cfg.Len < 1 {
		return nil, fmt.Errorf("dsp: xcorr: length must be ≥ 1, got %d", cfg.Len)
	}
	if cfg.MaxLag < 0 || cfg.MaxLag >= cfg.Len {
		return nil, fmt.Errorf("dsp: xcorr: max lag %d outside [0, %d)", cfg.MaxLag, cfg.Len)
	}
	p := &XCorr{cfg: cfg, dx: make([]float64, cfg.Len), dy: make([]float64, cfg.Len)}
	m := connSmooth(cfg.Len + cfg.MaxLag)
	direct := float64(cfg.Len) * float64(2*cfg.MaxLag+1)
	if direct > xcorrFFTFactor*float64(m)*math.Log2(float64(m)) {
		p.useFFT = true
		p.fft = fourier.NewFFT(m)
		p.xb, p.yb = make([]float64, m), make([]float64, m)
		p.xc, p.yc = make([]complex128, m/2+1), make([]complex128, m/2+1)
	}
	return p, nil
}

// xcorrFFTFactor is the direct-sum cost, in multiply-adds per m·log2(m),
// above which the FFT path is faster (measured with BenchmarkXCorr).
const xcorrFFTFactor = 9

// connSmooth returns the smallest 2^a·3^b·5^c ≥ n.
func connSmooth(n int) int {
	for m := max(n, 1); ; m++ {
		r := m
		for _, f := range []int{2, 3, 5} {
			for r%f == 0 {
				r /= f
			}
		}
		if r == 1 {
			return m
		}
	}
}

// Config returns the plan's configuration.
func (p *XCorr) Config() XCorrConfig { return p.cfg }

// Len returns the number of lags, 2·MaxLag+1.
func (p *XCorr) Len() int { return 2*p.cfg.MaxLag + 1 }

// Lags fills dst (length Len(); nil allocates) with the lags in samples,
// −MaxLag..MaxLag, matching Compute's output, and returns it.
func (p *XCorr) Lags(dst []int) []int {
	dst = useDst(dst, p.Len(), "XCorr.Lags")
	for i := range dst {
		dst[i] = i - p.cfg.MaxLag
	}
	return dst
}

// Compute fills dst[MaxLag+ℓ] for ℓ = −MaxLag..MaxLag with
//
//	r(ℓ) = Σ_n x[n+ℓ]·y[n] / (‖x‖·‖y‖)
//
// (sum over the n where both indices are valid), i.e.
// scipy.signal.correlate(x, y, mode='full')[Len−1+ℓ] divided by
// numpy.linalg.norm(x)·norm(y), after removing the means when Demean is
// set. A positive peak lag means x lags y. If either input is all zero
// (constant, with Demean) the result is NaN. x and y must have
// XCorrConfig.Len samples; dst has Len() = 2·MaxLag+1 values (nil
// allocates), must not alias them and is returned. Compute does not
// allocate with a non-nil dst.
func (p *XCorr) Compute(dst, x, y []float64) []float64 {
	const op = "XCorr.Compute"
	n, lag := p.cfg.Len, p.cfg.MaxLag
	checkLen(op, "x", len(x), n)
	checkLen(op, "y", len(y), n)
	dst = useDst(dst, p.Len(), op)
	if p.cfg.Demean {
		x = connDemean(p.dx, x)
		y = connDemean(p.dy, y)
	}
	var sx, sy float64
	for i, v := range x {
		sx += v * v
		sy += y[i] * y[i]
	}
	norm := math.Sqrt(sx) * math.Sqrt(sy)
	if !p.useFFT {
		for l := -lag; l <= lag; l++ {
			var s float64
			if l >= 0 {
				xs := x[l:]
				ys := y[:len(xs)]
				for i, v := range xs {
					s += v * ys[i]
				}
			} else {
				ys := y[-l:]
				xs := x[:len(ys)]
				for i, v := range xs {
					s += v * ys[i]
				}
			}
			dst[lag+l] = s / norm
		}
		return dst
	}
	m := len(p.xb)
	copy(p.xb, x)
	clear(p.xb[n:])
	copy(p.yb, y)
	clear(p.yb[n:])
	p.fft.Coefficients(p.xc, p.xb)
	p.fft.Coefficients(p.yc, p.yb)
	for k, a := range p.xc {
		b := p.yc[k]
		// X·conj(Y)
		p.xc[k] = complex(real(a)*real(b)+imag(a)*imag(b), imag(a)*real(b)-real(a)*imag(b))
	}
	p.fft.Sequence(p.xb, p.xc)
	scale := 1 / (float64(m) * norm)
	for l := -lag; l <= lag; l++ {
		i := l
		if i < 0 {
			i += m
		}
		dst[lag+l] = p.xb[i] * scale
	}
	return dst
}

func connDemean(dst, x []float64) []float64 {
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	for i, v := range x {
		dst[i] = v - m
	}
	return dst
}

// Hilbert is a reusable plan for the analytic signal and envelope of
// real signals with an N-point FFT, as scipy.signal.hilbert(x, N). It is
// not safe for concurrent use.
type Hilbert struct {
	n    int
	fft  *fourier.FFT
	buf  []float64
	hx   []float64
	coef []complex128
}

// NewHilbert returns a plan with FFT length n ≥ 1 (scipy's N).
func NewHilbert(n int) *Hilbert {
	h := &Hilbert{}
	h.Reset(n)
	return h
}

// Reset reinitialises the plan for FFT length n ≥ 1, reusing its memory
// where it is large enough.
func (h *Hilbert) Reset(n int) {
	if n < 1 {
		panic(fmt.Sprintf("dsp: Hilbert.Reset: n = %d, want ≥ 1", n))
	}
	h.n = n
	if h.fft == nil {
		h.fft = fourier.NewFFT(n)
	} else {
		h.fft.Reset(n)
	}
	h.buf = grow(h.buf, n)
	h.hx = grow(h.hx, n)
	h.coef = grow(h.coef, n/2+1)
}

// Len returns the FFT and output length N.
func (h *Hilbert) Len() int { return h.n }

// transform leaves x, zero-padded or truncated to N samples, in h.buf and
// its Hilbert transform H{x} in h.hx.
//
// scipy.signal.hilbert multiplies the N-point spectrum by 1 at DC (and
// Nyquist for even N), 2 at positive and 0 at negative frequencies and
// transforms back; for real x that is x + i·H{x} with H{x} the inverse
// transform of −i·X at positive frequencies, zero at DC and Nyquist, which
// is what is computed here with two real FFTs.
func (h *Hilbert) transform(x []float64) {
	copy(h.buf, x)
	if len(x) < h.n {
		clear(h.buf[len(x):])
	}
	h.fft.Coefficients(h.coef, h.buf)
	half := (h.n + 1) / 2 // bins 1..half-1 are positive frequencies
	for k, v := range h.coef {
		if k == 0 || k >= half {
			h.coef[k] = 0
			continue
		}
		h.coef[k] = complex(imag(v), -real(v)) // −i·X
	}
	h.fft.Sequence(h.hx, h.coef)
	inv := 1 / float64(h.n)
	for i := range h.hx {
		h.hx[i] *= inv
	}
}

// Analytic fills dst (length N; nil allocates) with the analytic signal
// x + i·H{x} as scipy.signal.hilbert(x, N) and returns it: x, of any
// length, is zero-padded or truncated to N samples (scipy's N argument),
// its positive frequencies doubled (DC and, for even N, Nyquist kept) and
// its negative ones zeroed. The real part is x itself (scipy's differs by
// rounding only). dst cannot alias x; Analytic does not allocate with a
// non-nil dst.
func (h *Hilbert) Analytic(dst []complex128, x []float64) []complex128 {
	dst = useDst(dst, h.n, "Hilbert.Analytic")
	h.transform(x)
	for i, v := range h.buf {
		dst[i] = complex(v, h.hx[i])
	}
	return dst
}

// Envelope fills dst (length N; nil allocates) with the Hilbert envelope
// |x + i·H{x}|, numpy.abs(scipy.signal.hilbert(x, N)), and returns it; x is
// zero-padded or truncated to N samples as in Analytic. dst may alias x.
// It does not allocate with a non-nil dst.
func (h *Hilbert) Envelope(dst, x []float64) []float64 {
	dst = useDst(dst, h.n, "Hilbert.Envelope")
	h.transform(x)
	for i, v := range h.buf {
		w := h.hx[i]
		dst[i] = math.Sqrt(v*v + w*w)
	}
	return dst
}
