package simulate

import (
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/dsp/fourier"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// RNG streams. Every random draw comes from a PCG generator seeded with
// (mix(Seed, stream), mix(a, b)), so each block and each schedule has its
// own independent, reproducible sequence.
const (
	streamBackground uint64 = iota + 1
	streamAlpha
	streamLine
	streamBlinks
	streamSSVEP
	streamSeizures
	streamSeizureOnsets
)

// splitmix64 is the SplitMix64 finaliser, a bijective 64-bit mixer.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// seedPCG reseeds p for stream (seed, stream, a, b).
func seedPCG(p *rand.PCG, seed, stream, a, b uint64) {
	p.Seed(splitmix64(seed^splitmix64(stream)), splitmix64(a^splitmix64(b+0x632be59bd9b4e019)))
}

// noiseField generates stationary Gaussian processes with given spectra
// on a set of sources and mixes them into the channels.
//
// Streaming construction. The time axis is cut into blocks of L samples;
// block j is a segment of 2L samples starting at sample j·L whose
// spectrum is drawn fresh in the frequency domain from PCG(seed, source,
// j): coefficient k is H(k)·(a+ib) with a, b standard normal, H the square
// root of the target power spectrum scaled so the segment has unit
// variance. The inverse real FFT gives a circularly stationary segment,
// which is multiplied by the sine window w(i) = sin(π(i+½)/2L). Every
// sample n lies in exactly two blocks (⌊n/L⌋ and ⌊n/L⌋-1), and w(i)² +
// w(i+L)² = 1, so the overlap-add of two independent windowed segments is
// again a unit-variance process with the target spectrum (convolved with
// the window's, a 1/(2L·dt) Hz smear) and no seams. Span k = samples [kL,
// (k+1)L) therefore depends only on (seed, k-1, k): any sample can be
// produced from scratch, in any order, with identical bits.
//
// Mixing is linear, so it is done where it is cheaper: with fewer channels
// than sources the source spectra are mixed into channel spectra and one
// inverse FFT runs per channel; otherwise one runs per source and the
// windowed segments are mixed. The choice is fixed per session, so it
// never changes a value between reads.
type noiseField struct {
	L       int
	fft     *fourier.FFT
	win     []float64 // 2L sine window, including the 1/2L FFT scaling
	shapes  [][]float64
	srcSeed []struct{ stream, index uint64 }
	srcSh   []int // shape index per source
	// weights is channels × sources, gathered by addSources; mix is the
	// same as a matrix once finish has run.
	weights [][]float64
	mix     *mat.Dense
	// freqMix selects mixing of spectra (rows are channels) over mixing
	// of segments (rows are sources).
	freqMix bool

	spec    []float64   // one source's spectrum, interleaved re, im; 2(L+1)
	acc     [][]float64 // freqMix: per channel mixed spectrum, interleaved
	coeff   []complex128
	segs    [][]float64 // per row: windowed segment of the current block
	tail    [][]float64 // per row: windowed second half of block tailIdx
	tailIdx int64
	tailOK  bool
	cur     [][]float64 // !freqMix: per source signal of the span
	pcg     rand.PCG
	rng     *rand.Rand
}

// newNoiseField prepares a field with block length L (even) and no
// sources; add them with addSources, then call finish.
func newNoiseField(L int) *noiseField {
	f := &noiseField{L: L, fft: fourier.NewFFT(2 * L)}
	f.win = make([]float64, 2*L)
	for i := range f.win {
		f.win[i] = math.Sin(math.Pi*(float64(i)+0.5)/float64(2*L)) / float64(2*L)
	}
	f.coeff = make([]complex128, L+1)
	f.spec = make([]float64, 2*(L+1))
	f.rng = rand.New(&f.pcg)
	return f
}

// shape returns the amplitude response H(k), k = 0..L, for the power
// spectrum psd (a function of frequency in Hz), scaled so a segment has
// unit variance. The DC and Nyquist bins are zero.
func (f *noiseField) shape(sampleRate float64, psd func(hz float64) float64) []float64 {
	n := 2 * f.L
	h := make([]float64, f.L+1)
	var ss float64
	for k := 1; k < f.L; k++ {
		p := psd(float64(k) * sampleRate / float64(n))
		h[k] = math.Sqrt(p)
		ss += p
	}
	// Var of (1/n)·Sequence = (4/n²)·Σ H(k)² for k = 1..L-1.
	if ss > 0 {
		floats.Scale(float64(n)/(2*math.Sqrt(ss)), h)
	}
	return h
}

// addSources adds len(weights[0]) sources of spectrum shape sh, drawn from
// stream; weights is channels × sources.
func (f *noiseField) addSources(stream uint64, sh []float64, weights [][]float64) {
	idx := len(f.shapes)
	f.shapes = append(f.shapes, sh)
	if f.weights == nil {
		f.weights = make([][]float64, len(weights))
	}
	for c := range weights {
		f.weights[c] = append(f.weights[c], weights[c]...)
	}
	for s := range weights[0] {
		f.srcSeed = append(f.srcSeed, struct{ stream, index uint64 }{stream, uint64(s)})
		f.srcSh = append(f.srcSh, idx)
	}
}

// finish builds the mixing matrix and the buffers.
func (f *noiseField) finish() {
	nc, ns := len(f.weights), len(f.srcSeed)
	f.mix = mat.NewDense(nc, ns, nil)
	for c, row := range f.weights {
		f.mix.SetRow(c, row)
	}
	f.weights = nil
	f.freqMix = nc < ns
	rows := ns
	if f.freqMix {
		rows = nc
		f.acc = make([][]float64, nc)
		for c := range f.acc {
			f.acc[c] = make([]float64, 2*(f.L+1))
		}
	} else {
		f.cur = make([][]float64, ns)
		for s := range f.cur {
			f.cur[s] = make([]float64, f.L)
		}
	}
	f.segs = make([][]float64, rows)
	f.tail = make([][]float64, rows)
	for r := range f.segs {
		f.segs[r] = make([]float64, 2*f.L)
		f.tail[r] = make([]float64, f.L)
	}
}

// draw fills f.spec with the spectrum of block j of source s.
func (f *noiseField) draw(seed uint64, s int, j int64) {
	src := f.srcSeed[s]
	seedPCG(&f.pcg, seed, src.stream, src.index, uint64(j))
	h := f.shapes[f.srcSh[s]]
	f.spec[0], f.spec[1] = 0, 0
	for k := 1; k < f.L; k++ {
		f.spec[2*k] = h[k] * f.rng.NormFloat64()
		f.spec[2*k+1] = h[k] * f.rng.NormFloat64()
	}
	f.spec[2*f.L], f.spec[2*f.L+1] = 0, 0
}

// synth writes the windowed inverse FFT of the interleaved spectrum sp
// into seg.
func (f *noiseField) synth(seg, sp []float64) {
	for k := range f.coeff {
		f.coeff[k] = complex(sp[2*k], sp[2*k+1])
	}
	f.fft.Sequence(seg, f.coeff)
	for i, w := range f.win {
		seg[i] *= w
	}
}

// block fills f.segs with the windowed segments of block j: per channel
// when freqMix, per source otherwise.
func (f *noiseField) block(seed uint64, j int64) {
	if !f.freqMix {
		for s := range f.srcSeed {
			f.draw(seed, s, j)
			f.synth(f.segs[s], f.spec)
		}
		return
	}
	for c := range f.acc {
		clear(f.acc[c])
	}
	raw := f.mix.RawMatrix()
	for s := range f.srcSeed {
		f.draw(seed, s, j)
		for c := range f.acc {
			if w := raw.Data[c*raw.Stride+s]; w != 0 {
				floats.AddScaled(f.acc[c], w, f.spec)
			}
		}
	}
	for c := range f.acc {
		f.synth(f.segs[c], f.acc[c])
	}
}

// span adds span k of every channel to out (channels × L), which must be
// all zero.
func (f *noiseField) span(seed uint64, k int64, out [][]float64) {
	L := f.L
	if !f.tailOK || f.tailIdx != k-1 {
		f.block(seed, k-1)
		for r, seg := range f.segs {
			copy(f.tail[r], seg[L:])
		}
	}
	f.block(seed, k)
	dst := f.cur
	if f.freqMix {
		dst = out
	}
	for r, seg := range f.segs {
		d, t := dst[r], f.tail[r]
		for i := 0; i < L; i++ {
			d[i] = t[i] + seg[i]
		}
		copy(t, seg[L:])
	}
	f.tailIdx, f.tailOK = k, true
	if f.freqMix {
		return
	}
	raw := f.mix.RawMatrix()
	for c := range out {
		row := raw.Data[c*raw.Stride : c*raw.Stride+raw.Cols]
		for s, w := range row {
			if w != 0 {
				floats.AddScaled(out[c], w, f.cur[s])
			}
		}
	}
}
