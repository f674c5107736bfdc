package dsp

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"
)

// STFTConfig configures an STFT plan. Zero fields take the defaults of
// scipy.signal.stft (scipy 1.16): window='hann', noverlap=nperseg//2,
// nfft=nperseg, detrend=False, return_onesided=True, boundary='zeros',
// padded=True, scaling='spectrum'.
type STFTConfig struct {
	// SampleRate in Hz. Required.
	SampleRate float64
	// SegmentLen is nperseg, samples per frame. Default: 256.
	SegmentLen int
	// Overlap is noverlap in samples; the hop is SegmentLen−Overlap.
	// Default: SegmentLen/2. Use a negative value for no overlap.
	Overlap int
	// NFFT is the FFT length (zero-padding when > SegmentLen).
	// Default: SegmentLen.
	NFFT int
	// Window holds SegmentLen taper weights. Default: periodic Hann, as
	// scipy.signal.get_window('hann', nperseg).
	Window []float64
	// DetrendSegments enables per-frame detrending with Detrend (scipy's
	// detrend='constant' or 'linear'). Default: false, scipy.signal.stft's
	// detrend=False.
	DetrendSegments bool
	// Detrend is applied to each frame when DetrendSegments is set.
	Detrend Detrend
	// TwoSided returns all NFFT bins in numpy.fft.fftfreq order
	// (return_onesided=False). Default: false, the NFFT/2+1 non-negative
	// frequency bins.
	TwoSided bool
	// NoBoundary disables the SegmentLen/2 zeros scipy adds at both ends
	// (boundary=None). Default: false, boundary='zeros'.
	NoBoundary bool
	// NoPadding disables the trailing zeros that complete the last frame
	// (padded=False). Default: false, padded=True.
	NoPadding bool
	// Density selects scaling='psd': frames are multiplied by
	// 1/√(SampleRate·Σw²), so |Z|² is a density in unit²/Hz. Default:
	// false, scaling='spectrum': frames are multiplied by 1/Σw, so a
	// sinusoid of amplitude A at a bin frequency gives |Z| = A/2.
	Density bool
}

// STFT is a reusable short-time Fourier transform plan with the semantics
// of scipy.signal.stft (the legacy function of scipy 1.16, not the
// ShortTimeFFT class, whose framing differs). Frame j of a signal x of n samples is
//
//	Z[j][k] = scale · Σₘ w[m]·x̃[j·hop+m−b]·e^{−2πi k m/NFFT}
//
// where b = SegmentLen/2 with boundary zeros (0 with NoBoundary), x̃ is x
// extended by zeros, hop = SegmentLen−Overlap and scale is set by Density.
// The frame count is scipy's: the extended length L = n + 2b, plus, unless
// NoPadding, the zeros that make (L−SegmentLen) a multiple of hop; then
// (L−SegmentLen)/hop + 1 frames. Unlike scipy (which shrinks nperseg to n
// for string windows and refuses an explicit window longer than n), a
// signal shorter than SegmentLen simply gives the frames this definition
// yields (possibly none).
//
// Output is frame-major: frame j occupies dst[j·Len() : (j+1)·Len()], the
// transpose of scipy's Zxx[f, t]. A plan is not safe for concurrent use.
type STFT struct {
	cfg   STFTConfig
	hop   int
	bins  int
	half  int     // boundary zeros b
	scale float64 // 1/Σw or 1/√(fs Σw²)
	swin  []float64
	fft   *RealFFT
	seg   []float64
	coef  []complex128
}

// NewSTFT returns a plan for cfg.
func NewSTFT(cfg STFTConfig) (*STFT, error) {
	if !(cfg.SampleRate > 0) || math.IsInf(cfg.SampleRate, 0) {
		return nil, fmt.Errorf("dsp: stft: sample rate must be positive and finite, got %v", cfg.SampleRate)
	}
	if cfg.SegmentLen == 0 {
		cfg.SegmentLen = 256
	}
	if err := segmentParams("stft", cfg.SegmentLen, &cfg.Overlap, &cfg.NFFT, &cfg.Window); err != nil {
		return nil, err
	}
	if cfg.DetrendSegments {
		switch cfg.Detrend {
		case DetrendNone, DetrendConstant, DetrendLinear:
		default:
			return nil, fmt.Errorf("dsp: stft: unknown detrend %d", cfg.Detrend)
		}
	}
	s, s2 := windowSums(cfg.Window)
	p := &STFT{
		cfg:  cfg,
		hop:  cfg.SegmentLen - cfg.Overlap,
		bins: cfg.NFFT/2 + 1,
		fft:  NewRealFFT(cfg.NFFT),
		seg:  make([]float64, cfg.NFFT),
		coef: make([]complex128, cfg.NFFT/2+1),
		swin: make([]float64, cfg.SegmentLen),
	}
	if cfg.TwoSided {
		p.bins = cfg.NFFT
	}
	if !cfg.NoBoundary {
		p.half = cfg.SegmentLen / 2
	}
	if cfg.Density {
		p.scale = math.Sqrt(1 / (cfg.SampleRate * s2))
	} else {
		p.scale = math.Sqrt(1 / (s * s))
	}
	if math.IsInf(p.scale, 0) || math.IsNaN(p.scale) {
		return nil, fmt.Errorf("dsp: stft: window sums to zero")
	}
	// The scale is folded into the window: Z = FFT((scale·w)·x).
	for i, v := range cfg.Window {
		p.swin[i] = v * p.scale
	}
	return p, nil
}

// Config returns the plan's configuration with defaults filled in.
func (p *STFT) Config() STFTConfig { return p.cfg }

// Len returns the number of bins per frame: NFFT/2+1, or NFFT if TwoSided.
func (p *STFT) Len() int { return p.bins }

// Hop returns the frame step SegmentLen−Overlap in samples.
func (p *STFT) Hop() int { return p.hop }

// Frames returns the number of frames of a signal of n samples (see STFT).
func (p *STFT) Frames(n int) int {
	l := p.extendedLen(n)
	if l < p.cfg.SegmentLen {
		return 0
	}
	return (l-p.cfg.SegmentLen)/p.hop + 1
}

// extendedLen is the length of x after boundary extension and padding.
func (p *STFT) extendedLen(n int) int {
	l := n + 2*p.half
	if !p.cfg.NoPadding {
		l += stftMod(stftMod(-(l-p.cfg.SegmentLen), p.hop), p.cfg.SegmentLen)
	}
	return l
}

// stftMod is Python's a % m for m > 0 (never negative).
func stftMod(a, m int) int {
	r := a % m
	if r < 0 {
		r += m
	}
	return r
}

// Freqs fills dst (length Len(); nil allocates) with the bin frequencies in
// Hz and returns it: k·SampleRate/NFFT for the one-sided bins
// (numpy.fft.rfftfreq), numpy.fft.fftfreq order (non-negative, then
// negative frequencies) if TwoSided.
func (p *STFT) Freqs(dst []float64) []float64 {
	dst = useDst(dst, p.bins, "STFT.Freqs")
	nfft := p.cfg.NFFT
	val := 1.0 / (float64(nfft) * (1.0 / p.cfg.SampleRate))
	for k := range dst {
		i := k
		if p.cfg.TwoSided && k > (nfft-1)/2 {
			i = k - nfft
		}
		dst[k] = float64(i) * val
	}
	return dst
}

// Times fills dst (length Frames(n); nil allocates) with the frame centre
// times in seconds for a signal of n samples and returns it, as scipy:
// (SegmentLen/2 + j·hop)/SampleRate, minus (SegmentLen/2)/SampleRate with
// boundary zeros, so with the default boundary frame j is centred on
// sample j·hop.
func (p *STFT) Times(dst []float64, n int) []float64 {
	dst = useDst(dst, p.Frames(n), "STFT.Times")
	fs := p.cfg.SampleRate
	c := float64(p.cfg.SegmentLen) / 2
	for j := range dst {
		t := (c + float64(j*p.hop)) / fs
		if !p.cfg.NoBoundary {
			t -= c / fs
		}
		dst[j] = t
	}
	return dst
}

// Transform fills dst (length Frames(len(x))·Len(), frame-major) with the
// STFT of x, as scipy.signal.stft(x, fs, window, nperseg, noverlap, nfft,
// detrend, return_onesided, boundary, padded, scaling)[2].T, and returns
// it. x may have any length. A nil dst allocates; Transform does not
// allocate otherwise.
func (p *STFT) Transform(dst []complex128, x []float64) []complex128 {
	nf := p.Frames(len(x))
	dst = useDst(dst, nf*p.bins, "STFT.Transform")
	for j := range nf {
		p.load(x, j*p.hop-p.half)
		p.transform(dst[j*p.bins : (j+1)*p.bins])
	}
	return dst
}

// Magnitude fills dst (length Frames(len(x))·Len(), frame-major) with |Z|,
// the STFT magnitude. With NoBoundary and NoPadding it equals
// scipy.signal.spectrogram(x, fs, window, nperseg, noverlap, nfft,
// detrend, return_onesided, scaling, mode='magnitude') transposed, where
// Density selects scaling='density'. A nil dst allocates; dst is returned
// and must not alias x.
func (p *STFT) Magnitude(dst, x []float64) []float64 {
	nf := p.Frames(len(x))
	dst = useDst(dst, nf*p.bins, "STFT.Magnitude")
	for j := range nf {
		p.load(x, j*p.hop-p.half)
		row := dst[j*p.bins : (j+1)*p.bins]
		p.fft.Coefficients(p.coef, p.seg)
		for k := range row {
			row[k] = cmplx.Abs(p.coef[stftFold(k, p.cfg.NFFT)])
		}
	}
	return dst
}

// Power fills dst (length Frames(len(x))·Len(), frame-major) with the
// power spectrogram |Z|², doubled for one-sided bins other than DC and
// (even NFFT) Nyquist. With NoBoundary and NoPadding it equals
// scipy.signal.spectrogram(..., mode='psd') transposed: with Density a
// PSD in unit²/Hz per frame, otherwise a power spectrum in unit². A nil dst
// allocates; dst is returned and must not alias x.
func (p *STFT) Power(dst, x []float64) []float64 {
	nf := p.Frames(len(x))
	dst = useDst(dst, nf*p.bins, "STFT.Power")
	nfft := p.cfg.NFFT
	last := nfft / 2 // Nyquist bin for even NFFT
	if nfft%2 == 1 {
		last = nfft/2 + 1
	}
	for j := range nf {
		p.load(x, j*p.hop-p.half)
		row := dst[j*p.bins : (j+1)*p.bins]
		p.fft.Coefficients(p.coef, p.seg)
		for k := range row {
			c := p.coef[stftFold(k, nfft)]
			v := real(c)*real(c) + imag(c)*imag(c)
			if !p.cfg.TwoSided && k > 0 && k < last {
				v *= 2
			}
			row[k] = v
		}
	}
	return dst
}

// stftFold maps a two-sided bin index to its one-sided mirror (the
// magnitude of a real signal's spectrum is even).
func stftFold(k, nfft int) int {
	if k > nfft/2 {
		return nfft - k
	}
	return k
}

// load fills p.seg with the scaled, windowed, detrended frame starting at
// sample start of x (zeros outside x) and zero-pads it to NFFT.
func (p *STFT) load(x []float64, start int) {
	n := p.cfg.SegmentLen
	seg := p.seg[:n]
	if start >= 0 && start+n <= len(x) && !p.cfg.DetrendSegments {
		src := x[start : start+n]
		for i, w := range p.swin {
			seg[i] = src[i] * w
		}
	} else {
		lo := min(n, max(0, -start))
		hi := max(lo, min(n, len(x)-start))
		clear(seg[:lo])
		if hi > lo {
			copy(seg[lo:hi], x[start+lo:start+hi])
		}
		clear(seg[hi:])
		p.taper(seg)
		return
	}
	clear(p.seg[n:])
}

// taper detrends (if configured) and windows seg in place, zero-padding
// p.seg to NFFT.
func (p *STFT) taper(seg []float64) {
	if p.cfg.DetrendSegments {
		switch p.cfg.Detrend {
		case DetrendConstant:
			winDemean(seg)
		case DetrendLinear:
			detrendLinear(seg)
		}
	}
	for i, w := range p.swin {
		seg[i] *= w
	}
	clear(p.seg[len(seg):])
}

// transform FFTs p.seg into one output frame.
func (p *STFT) transform(row []complex128) {
	if !p.cfg.TwoSided {
		p.fft.Coefficients(row, p.seg)
		return
	}
	p.fft.Coefficients(p.coef, p.seg)
	nfft := p.cfg.NFFT
	copy(row, p.coef)
	for k := len(p.coef); k < nfft; k++ {
		row[k] = cmplx.Conj(p.coef[nfft-k])
	}
}

// STFTStream computes the STFT of a signal that arrives in chunks, frame by
// frame as soon as each frame's last sample has arrived. Write appends the
// completed frames; Flush appends the trailing frames that reach past the
// end of the signal (the boundary='zeros' tail and the padded=True zeros)
// and starts a new signal. The frames of Write followed by Flush equal
// Transform of the concatenated chunks exactly, for any chunking: the
// leading boundary zeros are known in advance, so the first frames come out
// of Write as usual; only the frames that reach past the last sample into
// the trailing boundary and padding zeros wait for Flush (one or two frames
// at 50% overlap, e.g. for SegmentLen 200 and hop 100).
//
// With the default boundary a frame centred on sample c is emitted when
// sample c + SegmentLen − SegmentLen/2 − 1 arrives (a latency of about half
// a frame). STFTStream embeds its own plan (Len, Freqs, Config, …); it is
// not safe for concurrent use.
type STFTStream struct {
	*STFT
	buf  []float64 // the last samples of the extended signal, len ≤ SegmentLen
	fill int
	n    int // signal samples received since the last Flush or Reset
	fed  int // extended samples (boundary zeros included) entered into buf
}

// NewSTFTStream returns a streaming STFT for cfg, at the start of a signal.
func NewSTFTStream(cfg STFTConfig) (*STFTStream, error) {
	p, err := NewSTFT(cfg)
	if err != nil {
		return nil, err
	}
	s := &STFTStream{STFT: p, buf: make([]float64, p.cfg.SegmentLen)}
	s.Reset()
	return s, nil
}

// Reset discards buffered samples and starts a new signal.
func (s *STFTStream) Reset() {
	clear(s.buf)
	s.fill = s.half // leading boundary zeros
	s.fed = s.half
	s.n = 0
}

// Buffered returns how many samples of the extended signal are held for the
// next frame.
func (s *STFTStream) Buffered() int { return s.fill }

// MaxFrames returns how many frames Write can emit for the next n samples,
// so that a dst with capacity len(dst)+MaxFrames(n)·Len() never grows.
func (s *STFTStream) MaxFrames(n int) int {
	total := s.fill + n
	if total < s.cfg.SegmentLen {
		return 0
	}
	return (total-s.cfg.SegmentLen)/s.hop + 1
}

// Write consumes chunk and appends every frame it completes to dst
// (Len() values per frame), returning the extended slice. It allocates only
// when dst lacks capacity. dst must not alias chunk.
func (s *STFTStream) Write(dst []complex128, chunk []float64) []complex128 {
	s.n += len(chunk)
	if len(chunk) == 0 {
		return dst
	}
	return s.push(dst, chunk, 0)
}

// Flush appends the frames that remain once the signal has ended, as
// Transform computes them for the whole signal, and resets the stream.
func (s *STFTStream) Flush(dst []complex128) []complex128 {
	if zeros := s.extendedLen(s.n) - s.fed; zeros > 0 {
		dst = s.push(dst, nil, zeros)
	}
	s.Reset()
	return dst
}

// push feeds chunk into the buffer, or, when chunk is nil, the given
// number of zeros, emitting every completed frame.
func (s *STFTStream) push(dst []complex128, chunk []float64, zeros int) []complex128 {
	nseg := s.cfg.SegmentLen
	left := zeros
	if chunk != nil {
		left = len(chunk)
	}
	off := 0
	for left > 0 {
		take := min(nseg-s.fill, left)
		if chunk == nil {
			clear(s.buf[s.fill : s.fill+take])
		} else {
			copy(s.buf[s.fill:], chunk[off:off+take])
		}
		s.fill += take
		s.fed += take
		off += take
		left -= take
		if s.fill == nseg {
			m := len(dst)
			dst = slices.Grow(dst, s.bins)[:m+s.bins]
			seg := s.seg[:nseg]
			copy(seg, s.buf)
			s.taper(seg)
			s.transform(dst[m:])
			copy(s.buf, s.buf[s.hop:])
			s.fill = nseg - s.hop
		}
	}
	return dst
}
