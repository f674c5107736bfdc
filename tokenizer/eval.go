package tokenizer

import (
	"math"
	"math/rand/v2"
)

// Perplexity returns exp(H) of the token distribution given by counts,
// H the Shannon entropy in nats: the number of equally used tokens with
// the same entropy (Size when every token is used equally, 1 when one
// token takes everything). It is NaN when counts sum to zero.
func Perplexity(counts []int64) float64 {
	var n float64
	for _, c := range counts {
		n += float64(c)
	}
	if n == 0 {
		return math.NaN()
	}
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log(p)
		}
	}
	return math.Exp(h)
}

// MutualInformation is an estimate of the mutual information between
// tokens and labels, in bits.
type MutualInformation struct {
	// PlugIn is I = H(T) + H(L) − H(T, L) of the empirical distribution;
	// it is biased upwards with many tokens and few samples.
	PlugIn float64
	// MillerMadow corrects each entropy by (m−1)/(2N ln 2), m its number
	// of non-empty cells.
	MillerMadow float64
	// Shuffled is the mean plug-in estimate over permutations of the
	// groups' labels: what the bias alone gives when tokens and labels
	// are independent but tokens of one group (example) share a label.
	Shuffled float64
	// LabelEntropy is H(L), the upper bound of I.
	LabelEntropy float64
	// N is the number of (token, label) pairs.
	N int
}

// Excess returns PlugIn − Shuffled: the information beyond the estimator's
// bias.
func (m MutualInformation) Excess() float64 { return m.PlugIn - m.Shuffled }

// TokenLabelMI estimates the mutual information between tokens[i] (in [0,
// size)) and labels[i] (in [0, classes)). Token i belongs to group
// groups[i] (its example, in [0, len(tokens))), whose tokens all carry the
// same label; the Shuffled baseline permutes the labels of the groups,
// shuffles times, from seed, so the within-example dependence of the
// tokens is kept. groups nil makes every token its own group.
func TokenLabelMI(tokens []int32, labels, groups []int, size, classes, shuffles int, seed uint64) MutualInformation {
	n := len(tokens)
	res := MutualInformation{N: n}
	if n == 0 {
		return res
	}
	pi, mm := mi(tokens, labels, size, classes)
	res.PlugIn, res.MillerMadow = pi, mm
	lc := make([]int64, classes)
	for _, l := range labels {
		lc[l]++
	}
	res.LabelEntropy = math.Log2(Perplexity(lc))
	if shuffles > 0 {
		if groups == nil {
			groups = make([]int, n)
			for i := range groups {
				groups[i] = i
			}
		}
		ng := 0
		for _, g := range groups {
			ng = max(ng, g+1)
		}
		glabel := make([]int, ng)
		for i, g := range groups {
			glabel[g] = labels[i]
		}
		rng := rand.New(rand.NewPCG(seed, 0x6d69))
		perm := make([]int, n)
		sum := 0.0
		for range shuffles {
			rng.Shuffle(ng, func(i, j int) { glabel[i], glabel[j] = glabel[j], glabel[i] })
			for i, g := range groups {
				perm[i] = glabel[g]
			}
			v, _ := mi(tokens, perm, size, classes)
			sum += v
		}
		res.Shuffled = sum / float64(shuffles)
	}
	return res
}

// mi returns the plug-in and Miller–Madow mutual information in bits.
func mi(tokens []int32, labels []int, size, classes int) (plugIn, millerMadow float64) {
	n := float64(len(tokens))
	joint := make([]int64, size*classes)
	tc := make([]int64, size)
	lc := make([]int64, classes)
	for i, t := range tokens {
		l := labels[i]
		joint[int(t)*classes+l]++
		tc[t]++
		lc[l]++
	}
	h := func(c []int64) (float64, int) {
		s, m := 0.0, 0
		for _, v := range c {
			if v > 0 {
				p := float64(v) / n
				s -= p * math.Log2(p)
				m++
			}
		}
		return s, m
	}
	ht, mt := h(tc)
	hl, ml := h(lc)
	hj, mj := h(joint)
	plugIn = ht + hl - hj
	corr := func(m int) float64 { return float64(m-1) / (2 * n * math.Ln2) }
	millerMadow = (ht + corr(mt)) + (hl + corr(ml)) - (hj + corr(mj))
	return plugIn, millerMadow
}

// Reconstruction summarises how well codewords reproduce motifs.
type Reconstruction struct {
	// Relative is the mean ‖m − c‖² over the mean ‖m‖² of motifs m and
	// their codewords c: the share of the motifs' energy the vocabulary
	// does not reproduce (0 perfect). Motifs are unit vectors, so it is
	// the mean squared quantization distance.
	Relative float64
	// Baseline is the same for a one-codeword vocabulary (the mean
	// motif m̄), mean ‖m − m̄‖² / mean ‖m‖²: the motifs' variance share.
	Baseline float64
	// Unexplained is Relative/Baseline, the share of the motifs'
	// variance the codewords do not reproduce.
	Unexplained float64
	// Recall is the share of motifs whose two-level token is also their
	// globally nearest codeword (Vocabulary.Nearest).
	Recall float64
	// N is the number of motifs.
	N int
}

// Reconstruct quantizes motifs (Dim values each) with v and measures the
// reconstruction error. Checking Recall searches every codeword, so it
// is done on at most recallMax motifs (evenly spaced).
func (v *Vocabulary) Reconstruct(motifs []float64, recallMax int) Reconstruction {
	dim := v.dim
	n := len(motifs) / dim
	res := Reconstruction{N: n}
	if n == 0 {
		return res
	}
	mean := make([]float64, dim)
	var err, energy float64
	for i := range n {
		m := motifs[i*dim : (i+1)*dim]
		_, d := v.Quantize(m)
		err += d * d
		energy += dot(m, m)
		for j, x := range m {
			mean[j] += x
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	var base float64
	for i := range n {
		base += sqDist(motifs[i*dim:(i+1)*dim], mean)
	}
	res.Relative = err / energy
	res.Baseline = base / energy
	res.Unexplained = err / base
	step := max(1, n/max(1, recallMax))
	same, total := 0, 0
	for i := 0; i < n; i += step {
		m := motifs[i*dim : (i+1)*dim]
		a, _ := v.Quantize(m)
		b, _ := v.Nearest(m)
		if a == b {
			same++
		}
		total++
	}
	res.Recall = float64(same) / float64(total)
	return res
}
