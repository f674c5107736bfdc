package ssvep

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// MethodTDCA is task-discriminant component analysis (TDCA).
const MethodTDCA = "tdca"

// DefaultTDCAComponents is TDCAConfig.Components' default: 8, the number
// of components Liu et al. (2021) keep on the 40-target benchmark.
const DefaultTDCAComponents = 8

// TDCAConfig describes a TDCA model to train.
type TDCAConfig struct {
	// SampleRate is the trials' sample rate in Hz.
	SampleRate float64 `json:"sample_rate"`
	// Freqs are the targets' stimulus frequencies in Hz: label k is
	// Freqs[k], whose sine-cosine reference spans the subspace its trials
	// are projected onto.
	Freqs []float64 `json:"freqs"`
	// Channels optionally names the trials' channels.
	Channels []string `json:"channels,omitempty"`
	// Delays is L, the number of delayed copies of the channels added to
	// each window: copy l (1..L) is the window advanced by l samples,
	// zero-padded at its end. Default: 0 (no copies; SelectTDCA chooses
	// it by cross-validation).
	Delays int `json:"delays"`
	// Components is the number of discriminant components kept (at most
	// channels·(Delays+1)). Default: DefaultTDCAComponents, or all
	// components if fewer.
	Components int `json:"components"`
	// Harmonics is the number of harmonics of the references the trials
	// are projected onto. Default: 5, or fewer below the Nyquist
	// frequency.
	Harmonics int `json:"harmonics"`
	// FilterBank selects the sub-bands, weights and filtering mode.
	// Default: Chen's 5 sub-bands, zero-phase, weights k^−1.25 + 0.25.
	FilterBank FilterBankConfig `json:"filter_bank"`
}

// TDCA is a trained task-discriminant component analysis model (Liu,
// Chen et al. 2021, IEEE TNSRE 29:1698). In every sub-band n a window X
// (channels × N samples, centred per channel) is augmented with its L
// delayed copies, X̃ = [X; X⁽¹⁾; …; X⁽ᴸ⁾] (D = channels·(L+1) rows), and,
// for class k, with its projection onto the class's reference subspace:
//
//	X_a,k = [X̃, X̃·P_k]  (D × 2N),  P_k = Q_k·Q_kᵀ,
//
// Q_k an orthonormal basis of target k's sine-cosine reference (Reference,
// Harmonics). The spatial filters W (D × m) are the m leading generalized
// eigenvectors of
//
//	S_b·w = λ·S_w·w,  S_b = Σ_k (X̄_k − X̄)(X̄_k − X̄)ᵀ,
//	                  S_w = Σ_k Σ_{h∈k} (X_h − X̄_k)(X_h − X̄_k)ᵀ,
//
// over the training trials' augmented matrices X_h (each with its own
// class's P), X̄_k the class means and X̄ their mean (the scatters'
// normalisations do not change the eigenvectors). Templates are Wᵀ·X̄_k. A
// window scores
//
//	ρ_k = Σ_n w(n)·r(Wᵀ·X_a,k, Wᵀ·X̄_k)
//
// with r Pearson's correlation of the flattened m × 2N matrices and w(n)
// the filter bank's weights (n^−1.25 + 0.25 by default), correlations
// signed as TRCA's.
//
// Rest (no-control) trials, when trained on, are a class of their own:
// rest has no stimulus frequency, hence no reference subspace, so its
// projection P is zero (the projection onto the empty subspace) and its
// augmented matrices are [X̃, 0]; its trials enter both scatters, and its
// template is the filtered mean of its trials. Decide returns the
// best-scoring class, rest included.
//
// The reference code (Liu et al.; brainda) trains on the samples after
// each trial's window for the delayed copies and zero-pads only at
// decoding; here training and decoding both zero-pad the window's end, so
// a model sees in training what it decodes.
//
// A TDCA is read-only after training but its scratch buffers are not: not
// safe for concurrent use.
type TDCA struct {
	cfg       TDCAConfig
	samples   int
	channels  int
	fb        *FilterBank
	classes   []int           // Rest and/or target indices, ascending
	filters   [][][]float64   // [band][component][D]
	templates [][][][]float64 // [band][class][component][2N]
	basis     [][]float64     // [class]: Q_k, 2h × N row-major; nil for rest
	noControl NoControl       // a threshold rule for rest, or none (rest by its template)
	sel       *TDCASelection

	tstat [][][][2]float64 // [band][class][component]: template row sum, sum of squares
	sub   [][]float64
	z     []float64 // m × N
	proj  []float64 // one projected row, N
	coef  []float64 // 2h
	cls   []float64 // per class
	nest  [][]float64
	dst   []float64 // Decide's target scores
}

// resolve fills cfg's defaults for windows of channels × samples and
// checks it.
func (c TDCAConfig) resolve(channels, samples int) (TDCAConfig, error) {
	if err := validateTargets(c.Freqs, c.SampleRate); err != nil {
		return c, err
	}
	if c.Channels != nil && len(c.Channels) != channels {
		return c, fmt.Errorf("ssvep: tdca: %d channel names for %d channels", len(c.Channels), channels)
	}
	if c.Delays < 0 || c.Delays >= samples {
		return c, fmt.Errorf("ssvep: tdca: %d delays for windows of %d samples: want 0 ≤ delays < samples", c.Delays, samples)
	}
	d := channels * (c.Delays + 1)
	switch {
	case c.Components == 0:
		c.Components = min(DefaultTDCAComponents, d)
	case c.Components < 0 || c.Components > d:
		return c, fmt.Errorf("ssvep: tdca: %d components: want 1 to %d (channels × (delays+1))", c.Components, d)
	}
	h, err := resolveHarmonics(c.Harmonics, c.Freqs, c.SampleRate)
	if err != nil {
		return c, err
	}
	if 2*h > samples {
		return c, fmt.Errorf("ssvep: tdca: %d harmonics need windows of ≥ %d samples, got %d", h, 2*h, samples)
	}
	c.Harmonics = h
	c.Freqs, c.Channels = slices.Clone(c.Freqs), slices.Clone(c.Channels)
	return c, nil
}

// TrainTDCA trains a TDCA model on trials[i][channel][sample], all of one
// shape and aligned to stimulus onset as the windows to decode will be,
// labelled by target index or Rest (rest then is a class). Every class
// trained needs ≥ 2 trials and every target must have trials. An error
// reports an invalid configuration or data, including a within-class
// scatter that is not positive definite (flat or linearly dependent
// channels).
func TrainTDCA(cfg TDCAConfig, trials [][][]float64, labels []int) (*TDCA, error) {
	if len(trials) == 0 || len(trials) != len(labels) || len(trials[0]) == 0 {
		return nil, fmt.Errorf("ssvep: tdca: %d trials with %d labels", len(trials), len(labels))
	}
	samples := len(trials[0][0])
	cfg, fb, err := tdcaFilterBank(cfg, trials, "trials")
	if err != nil {
		return nil, err
	}
	classes, err := tdcaClasses(labels, len(cfg.Freqs))
	if err != nil {
		return nil, err
	}
	sub, err := centredSubBands(fb, trials)
	if err != nil {
		return nil, err
	}
	basis := tdcaBases(cfg, classes, samples)
	st := newTDCAStats(sub, labels, make([]int, len(labels)), classes, basis, cfg.Delays)
	m, err := st.fit(cfg, fb, -1, cfg.Components)
	if err != nil {
		return nil, fmt.Errorf("ssvep: tdca: %w", err)
	}
	return m, nil
}

// tdcaClasses returns the sorted distinct labels, checking that every
// target has trials and every class ≥ 2.
func tdcaClasses(labels []int, targets int) ([]int, error) {
	count := map[int]int{}
	for i, l := range labels {
		if l < Rest || l >= targets {
			return nil, fmt.Errorf("ssvep: tdca: trial %d label %d outside [%d, %d)", i, l, Rest, targets)
		}
		count[l]++
	}
	for k := range targets {
		if count[k] < 2 {
			return nil, fmt.Errorf("ssvep: tdca: target %d has %d trials, want ≥ 2", k, count[k])
		}
	}
	if n, ok := count[Rest]; ok && n < 2 {
		return nil, fmt.Errorf("ssvep: tdca: %d rest trial, want ≥ 2 (or none)", n)
	}
	classes := make([]int, 0, len(count))
	for l := range count {
		classes = append(classes, l)
	}
	slices.Sort(classes)
	return classes, nil
}

// centredSubBands filters every trial through fb and centres each
// sub-band channel: sub[i][n] is trial i's sub-band n.
func centredSubBands(fb *FilterBank, trials [][][]float64) ([][][][]float64, error) {
	sub := make([][][][]float64, len(trials))
	for i, tr := range trials {
		sub[i] = make([][][]float64, fb.Len())
		for n := range sub[i] {
			x, err := fb.Filter(nil, tr, n)
			if err != nil {
				return nil, err
			}
			for _, row := range x {
				centreRow(row)
			}
			sub[i][n] = x
		}
	}
	return sub, nil
}

func centreRow(row []float64) {
	mean := 0.0
	for _, v := range row {
		mean += v
	}
	mean /= float64(len(row))
	for i := range row {
		row[i] -= mean
	}
}

// tdcaBases returns every class's reference basis Q_k (2h × samples,
// orthonormal rows, row-major), nil for rest.
func tdcaBases(cfg TDCAConfig, classes []int, samples int) [][]float64 {
	out := make([][]float64, len(classes))
	for j, c := range classes {
		if c == Rest {
			continue
		}
		y := Reference(nil, cfg.Freqs[c], cfg.SampleRate, cfg.Harmonics, samples)
		yt := mat.NewDense(samples, len(y), nil)
		for r, row := range y {
			for i, v := range row {
				yt.Set(i, r, v)
			}
		}
		var qr mat.QR
		qr.Factorize(yt)
		var q mat.Dense
		qr.QTo(&q)
		b := make([]float64, len(y)*samples)
		for r := range y {
			for i := range samples {
				b[r*samples+i] = q.At(i, r)
			}
		}
		out[j] = b
	}
	return out
}

// tdcaStats are the training statistics of centred sub-band trials for
// one number of delays, summed per fold so that a model of every fold
// but one costs no pass over the trials.
type tdcaStats struct {
	classes []int
	basis   [][]float64
	delays  int
	d, n    int             // augmented rows, samples
	gram    [][][]float64   // [band][fold]: Σ X_a·X_aᵀ, D × D
	sums    [][][][]float64 // [band][fold][class]: Σ X̃, D × N
	counts  [][]int         // [fold][class]
}

// newTDCAStats accumulates the statistics of sub[i][band] labelled
// labels[i] in fold folds[i] (folds from 0).
func newTDCAStats(sub [][][][]float64, labels, folds []int, classes []int, basis [][]float64, delays int) *tdcaStats {
	channels, n := len(sub[0][0]), len(sub[0][0][0])
	nb, nf := len(sub[0]), slices.Max(folds)+1
	st := &tdcaStats{classes: classes, basis: basis, delays: delays, d: channels * (delays + 1), n: n}
	st.gram = make([][][]float64, nb)
	st.sums = make([][][][]float64, nb)
	st.counts = make([][]int, nf)
	for f := range st.counts {
		st.counts[f] = make([]int, len(classes))
	}
	for b := range nb {
		st.gram[b] = make([][]float64, nf)
		st.sums[b] = make([][][]float64, nf)
		for f := range nf {
			st.gram[b][f] = make([]float64, st.d*st.d)
			st.sums[b][f] = make([][]float64, len(classes))
			for k := range classes {
				st.sums[b][f][k] = make([]float64, st.d*n)
			}
		}
	}
	a := make([]float64, st.d*n)
	var coef []float64
	for i, l := range labels {
		k, f := slices.Index(classes, l), folds[i]
		st.counts[f][k]++
		for b := range nb {
			augment(a, sub[i][b], delays)
			blas64.Syrk(blas.NoTrans, 1, blas64.General{Rows: st.d, Cols: n, Stride: n, Data: a}, 1,
				blas64.Symmetric{Uplo: blas.Upper, N: st.d, Stride: st.d, Data: st.gram[b][f]})
			if q := basis[k]; q != nil {
				coef = st.addProjectedGram(coef, st.gram[b][f], a, q)
			}
			s := st.sums[b][f][k]
			for j, v := range a {
				s[j] += v
			}
		}
	}
	return st
}

// addProjectedGram adds (A·P)(A·P)ᵀ = (A·Qᵀ)(A·Qᵀ)ᵀ to the upper triangle
// of g (D × D) for A (D × N) and Q (2h × N); coef is scratch.
func (st *tdcaStats) addProjectedGram(coef, g, a, q []float64) []float64 {
	h2 := len(q) / st.n
	if len(coef) < st.d*h2 {
		coef = make([]float64, st.d*h2)
	}
	c := coef[:st.d*h2]
	blas64.Gemm(blas.NoTrans, blas.Trans, 1, blas64.General{Rows: st.d, Cols: st.n, Stride: st.n, Data: a},
		blas64.General{Rows: h2, Cols: st.n, Stride: st.n, Data: q}, 0, blas64.General{Rows: st.d, Cols: h2, Stride: h2, Data: c})
	blas64.Syrk(blas.NoTrans, 1, blas64.General{Rows: st.d, Cols: h2, Stride: h2, Data: c}, 1,
		blas64.Symmetric{Uplo: blas.Upper, N: st.d, Stride: st.d, Data: g})
	return coef
}

// augment writes the delayed copies of x (channels × N) into dst (D × N
// row-major, row l·channels + c is channel c advanced by l samples,
// zero-padded at the end).
func augment(dst []float64, x [][]float64, delays int) {
	n, ch := len(x[0]), len(x)
	for l := 0; l <= delays; l++ {
		for c, row := range x {
			r := dst[(l*ch+c)*n : (l*ch+c+1)*n]
			copy(r, row[l:])
			clear(r[n-l:])
		}
	}
}

// project writes (r·Qᵀ)·Q, row r's projection onto Q's row space, into
// dst; coef (2h) is scratch.
func projectRow(dst, coef, r, q []float64) {
	n := len(r)
	for j := range coef {
		coef[j] = blas64.Dot(blas64.Vector{N: n, Inc: 1, Data: r}, blas64.Vector{N: n, Inc: 1, Data: q[j*n : (j+1)*n]})
	}
	clear(dst)
	for j, c := range coef {
		blas64.Axpy(c, blas64.Vector{N: n, Inc: 1, Data: q[j*n : (j+1)*n]}, blas64.Vector{N: n, Inc: 1, Data: dst})
	}
}

// fit solves TDCA on the statistics of every fold but exclude (−1: all)
// and returns a model keeping comps components.
func (st *tdcaStats) fit(cfg TDCAConfig, fb *FilterBank, exclude, comps int) (*TDCA, error) {
	d, n := st.d, st.n
	counts := make([]int, len(st.classes))
	for f, row := range st.counts {
		if f != exclude {
			for k, c := range row {
				counts[k] += c
			}
		}
	}
	// A class without training trials (a fold holding all of a class's
	// trials, e.g. a session's rest block) is left out of this model: it
	// gets no template, its target score stays 0.
	var present []int // indices into st.classes
	for k, c := range counts {
		if c > 0 {
			present = append(present, k)
		}
	}
	if len(present) < 2 {
		return nil, fmt.Errorf("%d classes with training trials, want ≥ 2", len(present))
	}
	nc := len(present)
	m := &TDCA{cfg: cfg, samples: n, channels: d / (st.delays + 1), fb: fb}
	m.cfg.Delays, m.cfg.Components = st.delays, comps
	for _, k := range present {
		m.classes, m.basis = append(m.classes, st.classes[k]), append(m.basis, st.basis[k])
	}
	m.filters = make([][][]float64, len(st.gram))
	m.templates = make([][][][]float64, len(st.gram))
	coef := make([]float64, d*2*cfg.Harmonics)
	for b := range st.gram {
		means := make([][]float64, nc) // X̄_k, D × 2N
		sw := mat.NewSymDense(d, nil)
		for f, g := range st.gram[b] {
			if f != exclude {
				sw.AddSym(sw, mat.NewSymDense(d, g)) // g's upper triangle
			}
		}
		for ki, k := range present {
			mk := make([]float64, d*2*n)
			for f := range st.sums[b] {
				if f != exclude {
					s := st.sums[b][f][k]
					for r := range d {
						row := mk[r*2*n : r*2*n+n]
						for i, v := range s[r*n : (r+1)*n] {
							row[i] += v
						}
					}
				}
			}
			inv := 1 / float64(counts[k])
			for r := range d {
				row := mk[r*2*n : (r+1)*2*n]
				for i := range n {
					row[i] *= inv
				}
				if q := st.basis[k]; q != nil {
					projectRow(row[n:], coef[:len(q)/n], row[:n], q)
				}
			}
			means[ki] = mk
			// S_w = Σ X_a·X_aᵀ − Σ_k n_k·X̄_k·X̄_kᵀ.
			blas64.Syrk(blas.NoTrans, -float64(counts[k]), blas64.General{Rows: d, Cols: 2 * n, Stride: 2 * n, Data: mk}, 1, sw.RawSymmetric())
		}
		grand := make([]float64, d*2*n)
		for _, mk := range means {
			for i, v := range mk {
				grand[i] += v / float64(nc)
			}
		}
		sb := mat.NewSymDense(d, nil)
		diff := make([]float64, d*2*n)
		for _, mk := range means {
			for i, v := range mk {
				diff[i] = v - grand[i]
			}
			blas64.Syrk(blas.NoTrans, 1, blas64.General{Rows: d, Cols: 2 * n, Stride: 2 * n, Data: diff}, 1, sb.RawSymmetric())
		}
		w, err := discriminantFilters(sb, sw, comps)
		if err != nil {
			return nil, fmt.Errorf("sub-band %d: %w", b+1, err)
		}
		m.filters[b] = w
		m.templates[b] = make([][][]float64, nc)
		for k, mk := range means {
			m.templates[b][k] = make([][]float64, comps)
			for j, wj := range w {
				t := make([]float64, 2*n)
				for r, wr := range wj {
					blas64.Axpy(wr, blas64.Vector{N: 2 * n, Inc: 1, Data: mk[r*2*n : (r+1)*2*n]}, blas64.Vector{N: 2 * n, Inc: 1, Data: t})
				}
				m.templates[b][k][j] = t
			}
		}
	}
	m.prepare()
	return m, nil
}

// discriminantFilters returns the comps leading generalized eigenvectors
// of sb·w = λ·sw·w (largest λ first), each scaled to wᵀ·sw·w = 1 with its
// largest-magnitude entry positive: [component][D].
func discriminantFilters(sb, sw *mat.SymDense, comps int) ([][]float64, error) {
	d := sw.SymmetricDim()
	var chol mat.Cholesky
	if !chol.Factorize(sw) {
		return nil, errors.New("the within-class scatter is not positive definite: a flat or linearly dependent channel, or too few samples")
	}
	var l mat.TriDense
	chol.LTo(&l)
	lr := l.RawTriangular()
	a := mat.DenseCopyOf(sb)
	blas64.Trsm(blas.Left, blas.NoTrans, 1, lr, a.RawMatrix())
	var at mat.Dense
	at.CloneFrom(a.T())
	blas64.Trsm(blas.Left, blas.NoTrans, 1, lr, at.RawMatrix())
	cs := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			cs.SetSym(i, j, (at.At(i, j)+at.At(j, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cs, true) {
		return nil, errors.New("eigendecomposition did not converge")
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	out := make([][]float64, comps)
	for j := range comps {
		v := mat.Col(nil, d-1-j, &vecs) // eigenvalues ascend
		blas64.Trsv(blas.Trans, lr, blas64.Vector{N: d, Inc: 1, Data: v})
		big := 0
		for i, x := range v {
			if math.Abs(x) > math.Abs(v[big]) {
				big = i
			}
		}
		if v[big] < 0 {
			for i := range v {
				v[i] = -v[i]
			}
		}
		out[j] = v
	}
	return out, nil
}

// prepare computes the templates' row statistics and the scratch buffers.
func (m *TDCA) prepare() {
	comps := len(m.filters[0])
	m.tstat = make([][][][2]float64, len(m.templates))
	for b, tb := range m.templates {
		m.tstat[b] = make([][][2]float64, len(tb))
		for k, tk := range tb {
			m.tstat[b][k] = make([][2]float64, comps)
			for j, row := range tk {
				s, ss := 0.0, 0.0
				for _, v := range row {
					s, ss = s+v, ss+v*v
				}
				m.tstat[b][k][j] = [2]float64{s, ss}
			}
		}
	}
	m.sub = useMatrix(nil, m.channels, m.samples)
	m.z = make([]float64, comps*m.samples)
	m.proj = make([]float64, m.samples)
	m.coef = make([]float64, 2*m.cfg.Harmonics)
	m.cls = make([]float64, len(m.classes))
	m.nest = [][]float64{m.cls}
	m.dst = make([]float64, len(m.cfg.Freqs))
}

// addBand adds w·r for every class, and every count of components in
// comps (ascending, ≤ the model's), to out[c][class], for the centred
// sub-band window x of band b.
func (m *TDCA) addBand(out [][]float64, comps []int, x [][]float64, b int, w float64) {
	n, ch := m.samples, m.channels
	maxc := comps[len(comps)-1]
	z := m.z[:maxc*n]
	clear(z)
	// Z = Wᵀ·X̃ without forming X̃: row l·ch + c of X̃ is x[c] advanced by l.
	for j := range maxc {
		zj, wj := z[j*n:(j+1)*n], m.filters[b][j]
		for l := 0; l <= m.cfg.Delays; l++ {
			for c, row := range x {
				if wc := wj[l*ch+c]; wc != 0 {
					blas64.Axpy(wc, blas64.Vector{N: n - l, Inc: 1, Data: row[l:]}, blas64.Vector{N: n - l, Inc: 1, Data: zj})
				}
			}
		}
	}
	for k := range m.classes {
		var sa, sb, sab, saa, sbb float64
		ci := 0
		for j := range maxc {
			zj, t := z[j*n:(j+1)*n], m.templates[b][k][j]
			vz := blas64.Vector{N: n, Inc: 1, Data: zj}
			for _, v := range zj {
				sa += v
			}
			saa += blas64.Dot(vz, vz)
			sab += blas64.Dot(vz, blas64.Vector{N: n, Inc: 1, Data: t[:n]})
			if q := m.basis[k]; q != nil {
				projectRow(m.proj, m.coef, zj, q)
				vp := blas64.Vector{N: n, Inc: 1, Data: m.proj}
				for _, v := range m.proj {
					sa += v
				}
				saa += blas64.Dot(vp, vp)
				sab += blas64.Dot(vp, blas64.Vector{N: n, Inc: 1, Data: t[n:]})
			}
			st := m.tstat[b][k][j]
			sb, sbb = sb+st[0], sbb+st[1]
			for ci < len(comps) && comps[ci] == j+1 {
				cnt := float64((j + 1) * 2 * n)
				den := math.Sqrt((saa - sa*sa/cnt) * (sbb - sb*sb/cnt))
				if den > 0 {
					out[ci][k] += w * (sab - sa*sb/cnt) / den
				}
				ci++
			}
		}
	}
}

// classScores writes ρ of every class (m.classes' order) into out[c] for
// every component count comps[c], for the window x (filtered here).
func (m *TDCA) classScores(out [][]float64, comps []int, x [][]float64) error {
	if err := checkWindow(x, m.channels, m.samples); err != nil {
		return fmt.Errorf("ssvep: window: %w", err)
	}
	for _, o := range out {
		clear(o)
	}
	for b := range m.fb.Len() {
		if _, err := m.fb.Filter(m.sub, x, b); err != nil {
			return err
		}
		for _, row := range m.sub {
			centreRow(row)
		}
		m.addBand(out, comps, m.sub, b, m.fb.weights[b])
	}
	return nil
}

// subBandClassScores is classScores for a window already filtered and
// centred, sub[band][channel][sample].
func (m *TDCA) subBandClassScores(out [][]float64, comps []int, sub [][][]float64) {
	for _, o := range out {
		clear(o)
	}
	for b := range sub {
		m.addBand(out, comps, sub[b], b, m.fb.weights[b])
	}
}

// targetScores copies the targets' class scores into dst (length
// len(Freqs)).
func (m *TDCA) targetScores(dst, cls []float64) {
	clear(dst)
	for k, c := range m.classes {
		if c != Rest {
			dst[c] = cls[k]
		}
	}
}

func (m *TDCA) scoreDecide(dst []float64, x [][]float64) ([]float64, int, error) {
	dst = useVector(dst, len(m.cfg.Freqs))
	if err := m.classScores(m.nest, []int{m.cfg.Components}, x); err != nil {
		return dst, Rest, err
	}
	m.targetScores(dst, m.cls)
	if m.noControl.Rule != NoControlNone {
		return dst, m.noControl.Decide(dst), nil
	}
	return dst, m.classes[Argmax(m.cls)], nil
}

// Scores writes ρ_k of the window x[channel][sample] for every target
// into dst (length len(Freqs); nil allocates) and returns it; each lies in
// [−Σw(n), Σw(n)].
func (m *TDCA) Scores(dst []float64, x [][]float64) ([]float64, error) {
	dst, _, err := m.scoreDecide(dst, x)
	return dst, err
}

// Decide returns the best-scoring class: a target index, or Rest when
// the model was trained with rest trials and rest's template matches
// best; with a no-control rule (NoControl, set by SelectTDCA), the rule's
// decision on the target scores instead.
func (m *TDCA) Decide(x [][]float64) (int, error) {
	_, l, err := m.scoreDecide(m.dst, x)
	return l, err
}

// Method returns MethodTDCA.
func (m *TDCA) Method() string { return MethodTDCA }

// Freqs returns the targets' frequencies in Hz.
func (m *TDCA) Freqs() []float64 { return slices.Clone(m.cfg.Freqs) }

// SampleRate returns the windows' sample rate in Hz.
func (m *TDCA) SampleRate() float64 { return m.cfg.SampleRate }

// Channels returns the number of channels per window.
func (m *TDCA) Channels() int { return m.channels }

// Samples returns the window length in samples.
func (m *TDCA) Samples() int { return m.samples }

// ChannelNames returns the labels of the channels decoded, or nil.
func (m *TDCA) ChannelNames() []string { return slices.Clone(m.cfg.Channels) }

// NoControl returns the threshold rule that decides rest (Rule
// NoControlNone when rest, if trained, is decided by its template).
func (m *TDCA) NoControl() NoControl { return m.noControl }

// Classes returns the classes the model decides: Rest (if trained with
// rest trials) and the target indices, ascending.
func (m *TDCA) Classes() []int { return slices.Clone(m.classes) }

// Config returns the configuration with its defaults filled in.
func (m *TDCA) Config() TDCAConfig {
	c := m.cfg
	c.Freqs, c.Channels, c.FilterBank = slices.Clone(c.Freqs), slices.Clone(c.Channels), m.fb.Config()
	return c
}

// Offset returns the decision window's start after a trial's onset in s
// that SelectTDCA chose (0 without a selection).
func (m *TDCA) Offset() float64 {
	if m.sel == nil {
		return 0
	}
	return m.sel.OffsetSeconds
}

// Selection returns what SelectTDCA chose, or nil.
func (m *TDCA) Selection() *TDCASelection {
	if m.sel == nil {
		return nil
	}
	s := *m.sel
	return &s
}

// tdcaFilterBank resolves cfg for trials (what names them in errors),
// designs its filter bank and checks every trial's shape and values.
func tdcaFilterBank(cfg TDCAConfig, trials [][][]float64, what string) (TDCAConfig, *FilterBank, error) {
	channels, samples := len(trials[0]), len(trials[0][0])
	cfg, err := cfg.resolve(channels, samples)
	if err != nil {
		return cfg, nil, err
	}
	fb, err := NewFilterBank(cfg.FilterBank, cfg.SampleRate, channels)
	if err != nil {
		return cfg, nil, err
	}
	if n := fb.MinSamples(); samples < n {
		return cfg, nil, fmt.Errorf("ssvep: tdca: %s of %d samples are too short for zero-phase filtering: want ≥ %d", what, samples, n)
	}
	cfg.FilterBank = fb.Config()
	for i, tr := range trials {
		if err := checkTRCATrial(tr, i, channels, samples); err != nil {
			return cfg, nil, err
		}
	}
	return cfg, fb, nil
}
