package dsp

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"slices"
	"strings"
)

// SOS is an IIR filter as a cascade of second-order sections in
// scipy.signal's layout: row s holds b0 b1 b2 a0 a1 a2 of
//
//	H_s(z) = (b0 + b1·z⁻¹ + b2·z⁻²) / (a0 + a1·z⁻¹ + a2·z⁻²),  a0 = 1,
//
// and the filter is H(z) = Π_s H_s(z). The overall gain sits in the first
// section's numerator, as scipy.signal.zpk2sos puts it. First-order
// sections have b2 = a2 = 0.
type SOS [][6]float64

// Validate reports whether s can be run by sosfilt: at least one section,
// a0 = 1 in every section (scipy's rule) and finite coefficients.
func (s SOS) Validate() error {
	if len(s) == 0 {
		return errors.New("dsp: sos: no sections")
	}
	for i, sec := range s {
		if sec[3] != 1 {
			return fmt.Errorf("dsp: sos: section %d has a0 = %v, want 1", i, sec[3])
		}
		for _, c := range sec {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return fmt.Errorf("dsp: sos: section %d has a non-finite coefficient %v", i, c)
			}
		}
	}
	return nil
}

// Response returns the filter's complex frequency response H(e^{jω}) at
// freq Hz for sample rate fs Hz, ω = 2π·freq/fs, as one point of
// scipy.signal.freqz_sos(s, worN=[freq], fs=fs). |H| is the amplitude gain
// (dimensionless) and arg H the phase in radians.
func (s SOS) Response(freq, fs float64) complex128 {
	w := 2 * math.Pi * freq / fs
	z1 := cmplx.Exp(complex(0, -w)) // z⁻¹
	z2 := z1 * z1
	h := complex(1, 0)
	for _, sec := range s {
		num := complex(sec[0], 0) + complex(sec[1], 0)*z1 + complex(sec[2], 0)*z2
		den := complex(sec[3], 0) + complex(sec[4], 0)*z1 + complex(sec[5], 0)*z2
		h *= num / den
	}
	return h
}

// SteadyState returns the initial conditions of a step response in steady
// state, exactly scipy.signal.sosfilt_zi(s): section i's state is
// lfilter_zi(b_i, a_i) scaled by the DC gain of sections 0..i-1. A stream
// that starts at value x0 starts in steady state with state x0·zi (see
// InitSteady). The result has one [2]float64 per section, scipy's
// (n_sections, 2) layout.
func (s SOS) SteadyState() [][2]float64 {
	zi := make([][2]float64, len(s))
	scale := 1.0
	for i, sec := range s {
		z0, z1 := sosLfilterZI(sec)
		zi[i] = [2]float64{scale * z0, scale * z1}
		scale *= (sec[0] + sec[1] + sec[2]) / (sec[3] + sec[4] + sec[5])
	}
	return zi
}

// sosLfilterZI is scipy.signal.lfilter_zi for one section with a0 = 1:
// the solution of (I − Aᵀ_companion)·zi = b[1:] − a[1:]·b0, i.e.
//
//	[1+a1  −1] [zi0]   [b1 − a1·b0]
//	[ a2    1] [zi1] = [b2 − a2·b0],
//
// solved by LU with partial pivoting as LAPACK's gesv does.
func sosLfilterZI(sec [6]float64) (float64, float64) {
	b0, b1, b2, a1, a2 := sec[0], sec[1], sec[2], sec[4], sec[5]
	m := [2][2]float64{{1 + a1, -1}, {a2, 1}}
	r := [2]float64{b1 - a1*b0, b2 - a2*b0}
	p, q := 0, 1
	if math.Abs(m[1][0]) > math.Abs(m[0][0]) {
		p, q = 1, 0
	}
	l := m[q][0] / m[p][0]
	u := m[q][1] - l*m[p][1]
	y := r[q] - l*r[p]
	z1 := y / u
	z0 := (r[p] - m[p][1]*z1) / m[p][0]
	return z0, z1
}

// FilterKind is an IIR band type, scipy's btype.
type FilterKind int

const (
	// Lowpass passes frequencies below one edge.
	Lowpass FilterKind = iota
	// Highpass passes frequencies above one edge.
	Highpass
	// Bandpass passes frequencies between two edges.
	Bandpass
	// Bandstop rejects frequencies between two edges.
	Bandstop
)

// String returns scipy's canonical btype name: "lowpass", "highpass",
// "bandpass" or "bandstop".
func (k FilterKind) String() string {
	switch k {
	case Lowpass:
		return "lowpass"
	case Highpass:
		return "highpass"
	case Bandpass:
		return "bandpass"
	case Bandstop:
		return "bandstop"
	}
	return fmt.Sprintf("FilterKind(%d)", int(k))
}

// ParseFilterKind accepts the btype spellings scipy.signal.iirfilter
// accepts ("low", "lowpass", "lp", "l", "high", "highpass", "hp", "h",
// "band", "bandpass", "pass", "bp", "bandstop", "stop", "bands", "bs"),
// case-insensitively.
func ParseFilterKind(s string) (FilterKind, error) {
	switch strings.ToLower(s) {
	case "l", "low", "lowpass", "lp":
		return Lowpass, nil
	case "h", "high", "highpass", "hp":
		return Highpass, nil
	case "band", "bandpass", "pass", "bp":
		return Bandpass, nil
	case "bs", "bandstop", "bands", "stop":
		return Bandstop, nil
	}
	return 0, fmt.Errorf("dsp: unknown filter kind %q (want lowpass, highpass, bandpass or bandstop)", s)
}

// Butter designs a digital Butterworth filter of the given order as second-
// order sections, exactly scipy.signal.butter(order, edges, kind, fs=fs,
// output='sos'): analog prototype, band transform of the edges prewarped by
// 2·fs'·tan(π·Wn/fs') (fs' = 2, Wn = edges/(fs/2)), bilinear transform, and
// scipy's zpk2sos 'nearest' pole-zero pairing and section order (poles
// closest to the unit circle last).
//
// edges are in Hz: one edge for Lowpass and Highpass, two increasing edges
// for Bandpass and Bandstop, each in (0, fs/2). Band-pass and band-stop
// filters have 2·order poles (order sections). An error reports an order
// below 1, a non-positive fs, or edges out of range.
//
// Coefficients agree with scipy to ~1e-12 relative. One exception: when
// two sections' poles are at mathematically equal distance from the unit
// circle — band edges symmetric about fs/4 (f1 + f2 = fs/2) — scipy orders
// them by rounding noise, which differs between CPUs (numpy's SIMD tan,
// sinh and abs); there the same sections may come in another order. The
// filter is the same.
func Butter(order int, edges []float64, kind FilterKind, fs float64) (SOS, error) {
	if order < 1 {
		return nil, fmt.Errorf("dsp: butter: order must be ≥ 1, got %d", order)
	}
	return filtIIR("butter", order, edges, kind, fs, filtButtap(order))
}

// Cheby1 designs a digital Chebyshev type I filter with rippleDB decibels of
// peak-to-peak pass-band ripple, exactly scipy.signal.cheby1(order,
// rippleDB, edges, kind, fs=fs, output='sos'). The edges (Hz) are where the
// gain first drops below −rippleDB; otherwise as Butter.
func Cheby1(order int, rippleDB float64, edges []float64, kind FilterKind, fs float64) (SOS, error) {
	if order < 1 {
		return nil, fmt.Errorf("dsp: cheby1: order must be ≥ 1, got %d", order)
	}
	if !(rippleDB > 0) || math.IsInf(rippleDB, 0) {
		return nil, fmt.Errorf("dsp: cheby1: pass-band ripple must be positive and finite dB, got %v", rippleDB)
	}
	return filtIIR("cheby1", order, edges, kind, fs, filtCheb1ap(order, rippleDB))
}

// Notch designs a second-order IIR notch at freq Hz with quality factor
// q = freq/bandwidth (−3 dB bandwidth), exactly scipy.signal.iirnotch(freq,
// q, fs) returned as one section [b0 b1 b2 1 a1 a2]: with ω0 = 2π·freq/fs,
// β = tan(ω0/(2q)) and g = 1/(1+β),
//
//	b = g·[1, −2cos ω0, 1],  a = [1, −2g·cos ω0, 2g − 1].
//
// The gain is exactly 0 at freq and 1 at DC and Nyquist. Typical mains
// notches: 50 or 60 Hz with q = 30 (MNE's notch_filter uses FIR instead).
func Notch(freq, q, fs float64) (SOS, error) {
	if !(fs > 0) || math.IsInf(fs, 0) {
		return nil, fmt.Errorf("dsp: notch: sample rate must be positive and finite, got %v", fs)
	}
	if !(freq > 0 && freq < fs/2) {
		return nil, fmt.Errorf("dsp: notch: frequency %v Hz outside (0, fs/2 = %v)", freq, fs/2)
	}
	if !(q > 0) || math.IsInf(q, 0) {
		return nil, fmt.Errorf("dsp: notch: quality factor must be positive and finite, got %v", q)
	}
	w0 := 2 * freq / fs
	bw := w0 / q
	bw *= math.Pi
	w0 *= math.Pi
	beta := math.Tan(bw / 2.0)
	gain := 1.0 / (1.0 + beta)
	c := math.Cos(w0)
	return SOS{{gain, gain * (-2.0 * c), gain, 1, -2.0 * gain * c, 2.0*gain - 1.0}}, nil
}

// filtZPK is a filter as zeros, poles and gain.
type filtZPK struct {
	z, p []complex128
	k    float64
}

// filtButtap is scipy.signal.buttap: poles −exp(jπm/(2N)), m = −N+1, −N+3, …, N−1.
func filtButtap(n int) filtZPK {
	p := make([]complex128, 0, n)
	for m := -n + 1; m < n; m += 2 {
		// numpy evaluates 1j·π·m/(2N) as a complex division: π·m·(1/(2N)).
		th := math.Pi * float64(m) * (1 / float64(2*n))
		p = append(p, -cmplx.Exp(complex(0, th)))
	}
	return filtZPK{p: p, k: 1}
}

// filtCheb1ap is scipy.signal.cheb1ap: poles −sinh(μ + jθm) with
// ε = √(10^(rp/10) − 1), μ = asinh(1/ε)/N, θm = πm/(2N); gain Π(−p), divided by
// √(1+ε²) for even N.
func filtCheb1ap(n int, rp float64) filtZPK {
	eps := math.Sqrt(math.Pow(10, 0.1*rp) - 1.0)
	mu := 1.0 / float64(n) * math.Asinh(1/eps)
	p := make([]complex128, 0, n)
	prod := complex(1, 0)
	for m := -n + 1; m < n; m += 2 {
		th := math.Pi * float64(m) / float64(2*n)
		pi := -cmplx.Sinh(complex(mu, th))
		p = append(p, pi)
		prod *= -pi
	}
	k := real(prod)
	if n%2 == 0 {
		k /= math.Sqrt(1 + eps*eps)
	}
	return filtZPK{p: p, k: k}
}

// filtIIR is scipy.signal.iirfilter(..., output='sos') for a digital
// filter from the analog low-pass prototype proto.
func filtIIR(name string, order int, edges []float64, kind FilterKind, fs float64, proto filtZPK) (SOS, error) {
	if !(fs > 0) || math.IsInf(fs, 0) {
		return nil, fmt.Errorf("dsp: %s: sample rate must be positive and finite, got %v", name, fs)
	}
	want := 1
	switch kind {
	case Lowpass, Highpass:
	case Bandpass, Bandstop:
		want = 2
	default:
		return nil, fmt.Errorf("dsp: %s: unknown filter kind %d", name, int(kind))
	}
	if len(edges) != want {
		return nil, fmt.Errorf("dsp: %s: %v needs %d edge frequencies, got %d", name, kind, want, len(edges))
	}
	var warped [2]float64
	for i, e := range edges {
		wn := e / (fs / 2)
		if !(wn > 0 && wn < 1) {
			return nil, fmt.Errorf("dsp: %s: edge %v Hz outside (0, fs/2 = %v Hz)", name, e, fs/2)
		}
		// scipy normalises fs to 2 and prewarps: 2·fs·tan(π·Wn/fs).
		warped[i] = 2 * 2.0 * math.Tan(math.Pi*wn/2.0)
	}
	if want == 2 && !(edges[0] < edges[1]) {
		return nil, fmt.Errorf("dsp: %s: edges %v must be increasing", name, edges)
	}
	var f filtZPK
	switch kind {
	case Lowpass:
		f = filtLp2lp(proto, warped[0])
	case Highpass:
		f = filtLp2hp(proto, warped[0])
	case Bandpass:
		f = filtLp2bp(proto, math.Sqrt(warped[0]*warped[1]), warped[1]-warped[0])
	case Bandstop:
		f = filtLp2bs(proto, math.Sqrt(warped[0]*warped[1]), warped[1]-warped[0])
	}
	f = filtBilinear(f, 2.0)
	sos, err := filtZPK2SOS(f.z, f.p, f.k)
	if err != nil {
		return nil, fmt.Errorf("dsp: %s: %w", name, err)
	}
	return sos, nil
}

// filtDiv is complex division as numpy computes it (Smith's algorithm with
// a reciprocal scale), so designs round like scipy's.
func filtDiv(a, b complex128) complex128 {
	ar, ai, br, bi := real(a), imag(a), real(b), imag(b)
	if math.Abs(br) >= math.Abs(bi) {
		if br == 0 && bi == 0 {
			return a / b
		}
		rat := bi / br
		scl := 1.0 / (br + bi*rat)
		return complex((ar+ai*rat)*scl, (ai-ar*rat)*scl)
	}
	rat := br / bi
	scl := 1.0 / (bi + br*rat)
	return complex((ar*rat+ai)*scl, (ai*rat-ar)*scl)
}

// filtProdNeg returns Π(−v), sequentially as numpy.prod.
func filtProdNeg(v []complex128) complex128 {
	p := complex(1, 0)
	for _, x := range v {
		p *= -x
	}
	return p
}

// filtLp2lp is scipy.signal.lp2lp_zpk.
func filtLp2lp(f filtZPK, wo float64) filtZPK {
	degree := len(f.p) - len(f.z)
	w := complex(wo, 0)
	z := make([]complex128, len(f.z))
	p := make([]complex128, len(f.p))
	for i, v := range f.z {
		z[i] = w * v
	}
	for i, v := range f.p {
		p[i] = w * v
	}
	return filtZPK{z: z, p: p, k: f.k * math.Pow(wo, float64(degree))}
}

// filtLp2hp is scipy.signal.lp2hp_zpk.
func filtLp2hp(f filtZPK, wo float64) filtZPK {
	degree := len(f.p) - len(f.z)
	w := complex(wo, 0)
	z := make([]complex128, 0, len(f.z)+degree)
	p := make([]complex128, len(f.p))
	for _, v := range f.z {
		z = append(z, filtDiv(w, v))
	}
	for i, v := range f.p {
		p[i] = filtDiv(w, v)
	}
	for range degree {
		z = append(z, 0)
	}
	k := f.k * real(filtDiv(filtProdNeg(f.z), filtProdNeg(f.p)))
	return filtZPK{z: z, p: p, k: k}
}

// filtShift returns v ± √(v² − wo²) for every v: the band transforms'
// duplication of each root to +wo and −wo.
func filtShift(v []complex128, wo float64) []complex128 {
	out := make([]complex128, 2*len(v), 2*len(v)+2*(len(v)+1))
	w2 := complex(wo*wo, 0)
	for i, x := range v {
		r := cmplx.Sqrt(x*x - w2)
		out[i] = x + r
		out[len(v)+i] = x - r
	}
	return out
}

// filtLp2bp is scipy.signal.lp2bp_zpk.
func filtLp2bp(f filtZPK, wo, bw float64) filtZPK {
	degree := len(f.p) - len(f.z)
	scale := func(v []complex128) []complex128 {
		out := make([]complex128, len(v))
		for i, x := range v {
			out[i] = complex(real(x)*bw/2, imag(x)*bw/2)
		}
		return out
	}
	z := filtShift(scale(f.z), wo)
	p := filtShift(scale(f.p), wo)
	for range degree {
		z = append(z, 0)
	}
	return filtZPK{z: z, p: p, k: f.k * math.Pow(bw, float64(degree))}
}

// filtLp2bs is scipy.signal.lp2bs_zpk.
func filtLp2bs(f filtZPK, wo, bw float64) filtZPK {
	degree := len(f.p) - len(f.z)
	inv := func(v []complex128) []complex128 {
		out := make([]complex128, len(v))
		for i, x := range v {
			out[i] = filtDiv(complex(bw/2, 0), x)
		}
		return out
	}
	z := filtShift(inv(f.z), wo)
	p := filtShift(inv(f.p), wo)
	for range degree {
		z = append(z, complex(0, wo))
	}
	for range degree {
		z = append(z, complex(0, -wo))
	}
	k := f.k * real(filtDiv(filtProdNeg(f.z), filtProdNeg(f.p)))
	return filtZPK{z: z, p: p, k: k}
}

// filtBilinear is scipy.signal.bilinear_zpk: s = 2fs·(z−1)/(z+1); zeros at
// infinity move to z = −1.
func filtBilinear(f filtZPK, fs float64) filtZPK {
	degree := len(f.p) - len(f.z)
	fs2 := complex(2.0*fs, 0)
	z := make([]complex128, 0, len(f.z)+degree)
	p := make([]complex128, len(f.p))
	num, den := complex(1, 0), complex(1, 0)
	for _, v := range f.z {
		z = append(z, filtDiv(fs2+v, fs2-v))
		num *= fs2 - v
	}
	for i, v := range f.p {
		p[i] = filtDiv(fs2+v, fs2-v)
		den *= fs2 - v
	}
	for range degree {
		z = append(z, -1)
	}
	return filtZPK{z: z, p: p, k: f.k * real(filtDiv(num, den))}
}

// filtCplxRealTol is scipy's _cplxreal default tolerance, 100·eps.
const filtCplxRealTol = 100 * 2.220446049250313e-16

// filtCplxReal is scipy.signal._filter_design._cplxreal followed by
// concatenation: the complex roots, one per conjugate pair (positive
// imaginary part, pair averaged), sorted by real part and then |imag|,
// followed by the real roots in increasing order (imaginary part exactly 0).
func filtCplxReal(z []complex128) ([]complex128, error) {
	if len(z) == 0 {
		return nil, nil
	}
	s := slices.Clone(z)
	slices.SortStableFunc(s, func(a, b complex128) int {
		if c := filtCmpFloat(real(a), real(b)); c != 0 {
			return c
		}
		return filtCmpFloat(math.Abs(imag(a)), math.Abs(imag(b)))
	})
	var zr []float64
	var zp, zn []complex128
	for _, v := range s {
		switch {
		case math.Abs(imag(v)) <= filtCplxRealTol*cmplx.Abs(v):
			zr = append(zr, real(v))
		case imag(v) > 0:
			zp = append(zp, v)
		default:
			zn = append(zn, v)
		}
	}
	if len(zp) != len(zn) {
		return nil, errors.New("internal: complex root without its conjugate")
	}
	// Runs of (approximately) equal real parts are sorted by |imag|.
	byImag := func(a, b complex128) int { return filtCmpFloat(math.Abs(imag(a)), math.Abs(imag(b))) }
	for i := 0; i < len(zp); {
		j := i
		for j+1 < len(zp) && real(zp[j+1])-real(zp[j]) <= filtCplxRealTol*cmplx.Abs(zp[j]) {
			j++
		}
		if j > i {
			slices.SortStableFunc(zp[i:j+1], byImag)
			slices.SortStableFunc(zn[i:j+1], byImag)
		}
		i = j + 1
	}
	out := make([]complex128, 0, len(zp)+len(zr))
	for i := range zp {
		if cmplx.Abs(zp[i]-cmplx.Conj(zn[i])) > filtCplxRealTol*cmplx.Abs(zn[i]) {
			return nil, errors.New("internal: complex root without its conjugate")
		}
		c := zp[i] + cmplx.Conj(zn[i])
		out = append(out, complex(real(c)/2, imag(c)/2))
	}
	for _, v := range zr {
		out = append(out, complex(v, 0))
	}
	return out, nil
}

func filtCmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func filtIsReal(v complex128) bool { return imag(v) == 0 }

// filtWorst is zpk2sos's idx_worst for digital filters: the index of the
// root closest to the unit circle, argmin |1 − |p||, first on ties, among
// the roots v with ok(v) (nil: all); -1 if there is none.
func filtWorst(p []complex128, ok func(complex128) bool) int {
	best, bi := math.Inf(1), -1
	for i, v := range p {
		if ok != nil && !ok(v) {
			continue
		}
		if d := math.Abs(1 - cmplx.Abs(v)); d < best || bi < 0 {
			best, bi = d, i
		}
	}
	return bi
}

// filtNearest is scipy's _nearest_real_complex_idx: the index of the root
// in z closest to p among the real ones (realOnly) or all; -1 if there is
// none.
func filtNearest(z []complex128, p complex128, realOnly bool) int {
	best, bi := math.Inf(1), -1
	for i, v := range z {
		if realOnly && !filtIsReal(v) {
			continue
		}
		if d := cmplx.Abs(v - p); d < best || bi < 0 {
			best, bi = d, i
		}
	}
	return bi
}

// filtSection is scipy's _single_zpksos for two zeros and two poles:
// b = [1, −(z1+z2), z1·z2], a = [1, −(p1+p2), p1·p2], with the products
// and sums formed in complex arithmetic as numpy.poly does and the
// (zero) imaginary parts dropped.
func filtSection(z1, z2, p1, p2 complex128) [6]float64 {
	return [6]float64{
		1, real(-z1 + -z2), real(-z1 * -z2),
		1, real(-p1 + -p2), real(-p1 * -p2),
	}
}

// filtZPK2SOS is scipy.signal.zpk2sos(z, p, k) with pairing='nearest' for
// a digital filter: pad to equal (even) numbers of poles and zeros with
// roots at the origin, then repeatedly take the pole closest to the unit
// circle (with its conjugate, or the next real pole closest to the circle),
// pair it with its nearest zero (with its conjugate, or the real zero
// nearest the pole), and fill sections from the last to the first. The
// gain goes into the first section's numerator.
func filtZPK2SOS(z, p []complex128, k float64) (SOS, error) {
	if len(z) == 0 && len(p) == 0 {
		return SOS{{k, 0, 0, 1, 0, 0}}, nil
	}
	z, p = slices.Clone(z), slices.Clone(p)
	for len(p) < len(z) {
		p = append(p, 0)
	}
	for len(z) < len(p) {
		z = append(z, 0)
	}
	nsec := (len(p) + 1) / 2
	if len(p)%2 == 1 {
		p = append(p, 0)
		z = append(z, 0)
	}
	var err error
	if z, err = filtCplxReal(z); err != nil {
		return nil, err
	}
	if p, err = filtCplxReal(p); err != nil {
		return nil, err
	}
	take := func(v []complex128, i int) (complex128, []complex128) {
		x := v[i]
		return x, slices.Delete(v, i, i+1)
	}
	// With 'nearest' pairing poles and zeros are equally many and real
	// roots come in pairs, so scipy's special cases for a lone real pole
	// (keep_odd/minimal pairings) never arise and every section takes two
	// poles and two zeros.
	sos := make(SOS, nsec)
	for si := nsec - 1; si >= 0; si-- {
		var p1, p2, z1, z2 complex128
		p1, p = take(p, filtWorst(p, nil))
		if filtIsReal(p1) {
			i := filtWorst(p, filtIsReal)
			if i < 0 {
				return nil, errors.New("internal: zpk2sos found a lone real pole")
			}
			p2, p = take(p, i)
		} else {
			p2 = cmplx.Conj(p1)
		}
		if len(z) == 0 {
			return nil, errors.New("internal: zpk2sos ran out of zeros")
		}
		z1, z = take(z, filtNearest(z, p1, false))
		if filtIsReal(z1) {
			i := filtNearest(z, p1, true)
			if i < 0 {
				return nil, errors.New("internal: zpk2sos found a lone real zero")
			}
			z2, z = take(z, i)
		} else {
			z2 = cmplx.Conj(z1)
		}
		sos[si] = filtSection(z1, z2, p1, p2)
	}
	if len(p) != 0 || len(z) != 0 {
		return nil, errors.New("internal: zpk2sos left unpaired roots")
	}
	for i := range 3 {
		sos[0][i] *= k
	}
	return sos, nil
}
