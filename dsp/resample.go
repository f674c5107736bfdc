package dsp

import (
	"fmt"
	"math"
)

// RateRatio returns up/down = to/from in lowest terms, the factors of a
// Resampler (and of the pipeline's resample step) from rate from to rate
// to in Hz, when both rates are whole numbers of Hz and up and down are
// at most limit (beyond it the filter, 20·max(up, down)+1 taps, grows
// needlessly long; 173.61 Hz has no such ratio to 256 Hz).
func RateRatio(to, from float64, limit int) (up, down int, ok bool) {
	if to != math.Trunc(to) || from != math.Trunc(from) || !(to > 0) || !(from > 0) || math.IsInf(to, 0) || math.IsInf(from, 0) {
		return 0, 0, false
	}
	a, b := int(to), int(from)
	g := rsGCD(a, b)
	up, down = a/g, b/g
	return up, down, up <= limit && down <= limit
}

// Resampler is a streaming polyphase resampler by the rational factor
// up/down, exactly scipy.signal.resample_poly(x, up, down) with its default
// window=('kaiser', 5.0) and padtype='constant' (zeros beyond both ends):
//
//   - up and down are reduced by their gcd; up = down = 1 copies;
//   - the anti-aliasing filter is h = up·firwin(2L+1, 1/max(up, down),
//     window=('kaiser', 5.0)), L = 10·max(up, down), a linear-phase
//     Kaiser-windowed sinc normalised to unit DC gain before the ×up;
//   - output sample m (at time m·down/(up·fs_in) s) is
//     y[m] = Σ_j x[j]·h[L + m·down − j·up], x[j] = 0 outside the signal, so
//     the filter's delay is compensated and y[0] is aligned with x[0];
//   - a signal of n samples gives ⌈n·up/down⌉ samples (ResampledLen).
//
// Streaming: Process emits every output whose filter support lies in the
// samples seen so far (a latency of about L/up input samples), and Flush
// emits the rest as if the stream ended with zeros, as scipy's padding
// assumes. Since the stream starts from zeros too, the outputs of any
// chunking followed by Flush equal one resample_poly call on the whole
// signal bit for bit; no sample differs at either end. Channels are
// independent. A Resampler is not safe for concurrent use and does not
// allocate after NewResampler when dst is given.
type Resampler struct {
	up, down, half int
	taps           []float64   // h, length 2·half+1 (nil when up = down = 1)
	phases         [][]float64 // phases[φ][i] = h[φ + (len−1−i)·up], oldest input first
	hist           int         // input samples kept per channel
	chans          []rsChannel
}

type rsChannel struct {
	seen, emitted int       // input samples consumed, output samples written
	buf           []float64 // the last hist input samples (zeros before the start)
}

// NewResampler returns a resampler by up/down for the given number of
// channels. An error reports up or down < 1; channels < 1 panics.
func NewResampler(up, down, channels int) (*Resampler, error) {
	if up < 1 || down < 1 {
		return nil, fmt.Errorf("dsp: resample: up %d and down %d must be ≥ 1", up, down)
	}
	if channels < 1 {
		panic(fmt.Sprintf("dsp: NewResampler: channels = %d, want ≥ 1", channels))
	}
	g := rsGCD(up, down)
	r := &Resampler{up: up / g, down: down / g, chans: make([]rsChannel, channels)}
	if r.up == 1 && r.down == 1 {
		return r, nil
	}
	maxRate := max(r.up, r.down)
	r.half = 10 * maxRate
	r.taps = rsFirwinKaiser(2*r.half+1, 1/float64(maxRate), 5.0)
	for i := range r.taps {
		r.taps[i] *= float64(r.up)
	}
	r.phases = make([][]float64, r.up)
	for ph := range r.up {
		n := (len(r.taps)-1-ph)/r.up + 1
		p := make([]float64, n)
		for i := range p {
			p[i] = r.taps[ph+(n-1-i)*r.up]
		}
		r.phases[ph] = p
	}
	// Output m needs inputs ⌈(m·down−L)/up⌉ … ⌊(m·down+L)/up⌋; when it is
	// the next one due, at most ⌊2L/up⌋+1 of them precede the stream
	// position, so that many (plus one for rounding) are kept.
	r.hist = 2*r.half/r.up + 2
	for c := range r.chans {
		r.chans[c].buf = make([]float64, r.hist)
	}
	return r, nil
}

// Up returns the upsampling factor after gcd reduction.
func (r *Resampler) Up() int { return r.up }

// Down returns the downsampling factor after gcd reduction.
func (r *Resampler) Down() int { return r.down }

// Taps returns a copy of the anti-aliasing FIR filter h (already scaled by
// Up, as resample_poly applies it); nil when Up = Down = 1.
func (r *Resampler) Taps() []float64 {
	if r.taps == nil {
		return nil
	}
	return append([]float64(nil), r.taps...)
}

// Channels returns the number of channels.
func (r *Resampler) Channels() int { return len(r.chans) }

// HistoryLen returns how many past input samples each channel keeps: the
// length of State's history.
func (r *Resampler) HistoryLen() int { return r.hist }

// State returns channel ch's stream state, so that a stream can be resumed
// elsewhere (SetState): the input samples consumed and output samples
// emitted since the start, and the last HistoryLen input samples (zeros
// before the start), written into hist (length HistoryLen; nil allocates).
func (r *Resampler) State(hist []float64, ch int) (seen, emitted int, h []float64) {
	c := r.channel("Resampler.State", ch)
	hist = useOut(hist, r.hist, "Resampler.State", "hist")
	copy(hist, c.buf)
	return c.seen, c.emitted, hist
}

// SetState resumes channel ch from a state State returned, by a resampler
// of the same up, down and channel count: the outputs that follow are bit
// for bit those the original stream would have produced. An error reports
// a state this resampler cannot have reached (a history of another
// length, counts out of range); the channel is then unchanged.
func (r *Resampler) SetState(ch, seen, emitted int, hist []float64) error {
	c := r.channel("Resampler.SetState", ch)
	switch {
	case len(hist) != r.hist:
		return fmt.Errorf("dsp: resample: state history of %d samples, want %d", len(hist), r.hist)
	case seen < 0 || emitted != r.ready(seen):
		return fmt.Errorf("dsp: resample: state of %d samples seen and %d emitted: a stream by %d/%d emits %d outputs after %d samples", seen, emitted, r.up, r.down, r.ready(max(seen, 0)), seen)
	}
	c.seen, c.emitted = seen, emitted
	copy(c.buf, hist)
	return nil
}

// Reset starts every channel over at the beginning of a new stream.
func (r *Resampler) Reset() {
	for c := range r.chans {
		r.resetChannel(c)
	}
}

func (r *Resampler) resetChannel(c int) {
	ch := &r.chans[c]
	ch.seen, ch.emitted = 0, 0
	clear(ch.buf)
}

func (r *Resampler) channel(op string, c int) *rsChannel {
	checkChannel(op, c, len(r.chans))
	return &r.chans[c]
}

// ready returns how many outputs can be computed once n input samples have
// been seen: those m with ⌊(m·down + L)/up⌋ ≤ n−1.
func (r *Resampler) ready(n int) int {
	if r.taps == nil {
		return n
	}
	num := n*r.up - 1 - r.half
	if num < 0 {
		return 0
	}
	return num/r.down + 1
}

// OutputLen returns how many samples Process emits for the next chunk of n
// samples of channel ch.
func (r *Resampler) OutputLen(ch, n int) int {
	c := r.channel("Resampler.OutputLen", ch)
	return r.ready(c.seen+n) - c.emitted
}

// FlushLen returns how many samples Flush emits for channel ch now.
func (r *Resampler) FlushLen(ch int) int {
	c := r.channel("Resampler.FlushLen", ch)
	return ResampledLen(c.seen, r.up, r.down) - c.emitted
}

// Process consumes the next chunk x of channel ch and writes the outputs
// it completes into dst, which has length OutputLen(ch, len(x)) (nil
// allocates); dst must not overlap x. It returns dst.
func (r *Resampler) Process(dst, x []float64, ch int) []float64 {
	const op = "Resampler.Process"
	c := r.channel(op, ch)
	dst = useDst(dst, r.ready(c.seen+len(x))-c.emitted, op)
	if r.taps == nil {
		copy(dst, x)
		c.seen += len(x)
		c.emitted += len(x)
		return dst
	}
	r.emit(c, dst, x)
	r.push(c, x)
	return dst
}

// Flush ends channel ch's stream: it writes the outputs still due, computed
// with zeros after the last sample as resample_poly does, into dst (length
// FlushLen(ch); nil allocates), resets the channel for a new stream and
// returns dst.
func (r *Resampler) Flush(dst []float64, ch int) []float64 {
	const op = "Resampler.Flush"
	c := r.channel(op, ch)
	dst = useDst(dst, ResampledLen(c.seen, r.up, r.down)-c.emitted, op)
	if r.taps != nil {
		r.emit(c, dst, nil)
	}
	r.resetChannel(ch)
	return dst
}

// emit computes len(dst) outputs from channel state c followed by the new
// samples x (zeros after them).
func (r *Resampler) emit(c *rsChannel, dst, x []float64) {
	s0 := c.seen - r.hist // stream index of c.buf[0]
	nx := c.seen + len(x) // stream index one past x's end
	for i := range dst {
		m := c.emitted + i
		t := m*r.down + r.half
		hi := rsFloorDiv(t, r.up) // newest input touched
		g := r.phases[t-hi*r.up]
		lo := hi - len(g) + 1 // oldest input touched
		var acc float64
		k := 0
		// History part, oldest first (indices < 0 hold zeros).
		if lo < c.seen {
			end := min(hi+1, c.seen)
			h := c.buf[lo-s0 : end-s0]
			for j, v := range h {
				acc += v * g[j]
			}
			k = len(h)
		}
		// New samples; anything past them is zero padding and skipped.
		if hi >= c.seen {
			start := max(lo, c.seen)
			end := min(hi+1, nx)
			if start < end {
				gs := g[k : k+end-start]
				for j, v := range x[start-c.seen : end-c.seen] {
					acc += v * gs[j]
				}
			}
		}
		dst[i] = acc
	}
	c.emitted += len(dst)
}

// push appends x to the channel's history.
func (r *Resampler) push(c *rsChannel, x []float64) {
	c.seen += len(x)
	if len(x) >= r.hist {
		copy(c.buf, x[len(x)-r.hist:])
		return
	}
	copy(c.buf, c.buf[len(x):])
	copy(c.buf[r.hist-len(x):], x)
}

// ResampledLen returns ⌈n·up/down⌉ with up/down reduced by their gcd: the
// length of resample_poly's output for n input samples. up or down < 1
// panics.
func ResampledLen(n, up, down int) int {
	if up < 1 || down < 1 {
		panic(fmt.Sprintf("dsp: ResampledLen: up = %d, down = %d, want ≥ 1", up, down))
	}
	g := rsGCD(up, down)
	up, down = up/g, down/g
	return (n*up + down - 1) / down
}

// ResamplePoly resamples x by up/down into dst (length ResampledLen(len(x),
// up, down); nil allocates; must not overlap x), exactly
// scipy.signal.resample_poly(x, up, down) with its defaults; see Resampler.
// The output sample rate is fs·up/down. dst is returned. An error reports
// up or down < 1.
func ResamplePoly(dst, x []float64, up, down int) ([]float64, error) {
	return resamplePoly("ResamplePoly", dst, x, up, down)
}

// resamplePoly is ResamplePoly with op naming the caller in panics.
func resamplePoly(op string, dst, x []float64, up, down int) ([]float64, error) {
	r, err := NewResampler(up, down, 1)
	if err != nil {
		return nil, err
	}
	dst = useDst(dst, ResampledLen(len(x), up, down), op)
	k := r.OutputLen(0, len(x))
	r.Process(dst[:k:k], x, 0)
	r.Flush(dst[k:], 0)
	return dst, nil
}

// Decimate downsamples x by the integer factor q with the Kaiser-windowed
// anti-aliasing FIR of ResamplePoly: it is scipy.signal.resample_poly(x, 1,
// q), zero-phase and aligned with x[0]. (scipy.signal.decimate's default
// is an order-8 Chebyshev I IIR with filtfilt instead; its ftype='fir'
// path uses a Hamming FIR.) dst has ⌈len(x)/q⌉ samples (nil allocates) and
// is returned. An error reports q < 1.
func Decimate(dst, x []float64, q int) ([]float64, error) {
	return resamplePoly("Decimate", dst, x, 1, q)
}

func rsGCD(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// rsFloorDiv returns ⌊a/b⌋ for b > 0.
func rsFloorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// rsFirwinKaiser is scipy.signal.firwin(numtaps, cutoff,
// window=('kaiser', beta)) for a low-pass with cutoff relative to Nyquist:
// h[i] = c·sinc(c·(i − α))·w[i], α = (numtaps−1)/2, w the symmetric Kaiser
// window, then scaled to unit gain at DC (Σh = 1).
func rsFirwinKaiser(numtaps int, cutoff, beta float64) []float64 {
	h := make([]float64, numtaps)
	alpha := 0.5 * float64(numtaps-1)
	w := rsKaiser(numtaps, beta)
	var s float64
	for i := range h {
		m := float64(i) - alpha
		h[i] = cutoff * rsSinc(cutoff*m) * w[i]
		s += h[i]
	}
	for i := range h {
		h[i] /= s
	}
	return h
}

// rsSinc is the normalised sinc sin(πx)/(πx).
func rsSinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	y := math.Pi * x
	return math.Sin(y) / y
}

// rsKaiser is scipy.signal.windows.kaiser(n, beta, sym=True):
// w[i] = I0(β·√(1 − ((i−α)/α)²)) / I0(β), α = (n−1)/2.
func rsKaiser(n int, beta float64) []float64 {
	w := make([]float64, n)
	if n == 1 {
		w[0] = 1
		return w
	}
	alpha := float64(n-1) / 2.0
	d := rsI0(beta)
	for i := range w {
		r := (float64(i) - alpha) / alpha
		w[i] = rsI0(beta*math.Sqrt(1-r*r)) / d
	}
	return w
}

// rsI0 is the modified Bessel function of the first kind of order 0 by its
// power series Σ ((x/2)^k / k!)², whose terms are all positive, so it is
// accurate to a few ulps for the window's arguments (|x| ≤ β).
func rsI0(x float64) float64 {
	q := x * x / 4
	sum, term := 1.0, 1.0
	for k := 1; k < 500; k++ {
		term *= q / float64(k*k)
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}
