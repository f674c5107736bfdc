package tokenizer

import (
	"fmt"
	"math"
)

// Vocabulary is a learned two-level codebook of motif vectors.
//
// The Size codewords (token ids 0 … Size−1) are grouped in Cells coarse
// cells, each with a centroid; cell i holds the contiguous ids
// CellStart(i) … CellStart(i+1)−1, and a cell holds as many codewords as
// its share of the training motifs calls for (see Train). A motif's token
// is found in two exact steps: its nearest centroid, then its nearest
// codeword within that cell (Euclidean distance). That costs Cells plus
// one cell's codewords dot products per motif instead of Size, which is
// what makes tokenizing fast (docs/tokenizer.md); it is the tokenizer's
// definition of a token, and Nearest gives the global nearest codeword
// for comparison.
//
// A vocabulary trained with power levels also quantises each frame's band
// powers (Token.Powers) per channel type: see Level.
//
// A Vocabulary is read-only after Train or Read and safe for concurrent
// use; each goroutine tokenizes with its own Tokenizer.
type Vocabulary struct {
	// Features are the motif parameters the codebook was trained on,
	// defaults filled in: here Context 0 means single-frame motifs.
	Features FeatureConfig
	// Provenance says how the vocabulary was trained.
	Provenance Provenance

	dim       int
	centroids []float64              // Cells×dim
	cHalf     []float64              // ½‖centroid‖²
	cellStart []int                  // Cells+1 offsets into the codewords
	codes     []float64              // Size×dim
	half      []float64              // ½‖codeword‖²
	counts    []int64                // training motifs per codeword
	levels    int                    // power levels per band and channel type, 0 for none
	edges     map[string][][]float64 // power level edges by channel type and band
}

// Provenance records how a vocabulary was trained.
type Provenance struct {
	// Seed of the k-means++ seeding and subsampling.
	Seed uint64 `json:"seed"`
	// Iterations of Lloyd's algorithm per level.
	Iterations int `json:"iterations"`
	// Motifs is the number of training motifs used, Available the number
	// extracted before subsampling.
	Motifs    int `json:"motifs"`
	Available int `json:"available"`
	// Restarts counts dead-code restarts over training.
	Restarts int `json:"restarts"`
	// Sources lists the training recordings.
	Sources []Source `json:"sources,omitempty"`
	// Software names the program that trained the vocabulary.
	Software string `json:"software,omitempty"`
}

// Source is one training recording.
type Source struct {
	Path     string  `json:"path"`
	Bytes    int64   `json:"bytes"`
	SHA256   string  `json:"sha256"`
	Rate     float64 `json:"sample_rate"`
	Channels int     `json:"channels"`
	Motifs   int     `json:"motifs"`
}

// Size returns the number of tokens.
func (v *Vocabulary) Size() int { return len(v.half) }

// Cells returns the number of coarse cells.
func (v *Vocabulary) Cells() int { return len(v.cHalf) }

// Dim returns the motif vector length.
func (v *Vocabulary) Dim() int { return v.dim }

// CellStart returns the first token id of cell i; CellStart(Cells()) is
// Size().
func (v *Vocabulary) CellStart(i int) int { return v.cellStart[i] }

// Cell returns the coarse cell of token id.
func (v *Vocabulary) Cell(id int) int {
	lo, hi := 0, v.Cells()
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if v.cellStart[m] <= id {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// Codeword returns token id's codeword (Dim values, read-only).
func (v *Vocabulary) Codeword(id int) []float64 { return v.codes[id*v.dim : (id+1)*v.dim] }

// Counts returns the number of training motifs assigned to each token
// (read-only).
func (v *Vocabulary) Counts() []int64 { return v.counts }

// newVocabulary assembles a vocabulary and its cached norms.
func newVocabulary(fc FeatureConfig, centroids []float64, cellStart []int, codes []float64, counts []int64) *Vocabulary {
	dim := fc.Dim()
	v := &Vocabulary{Features: fc, dim: dim, centroids: centroids, cellStart: cellStart, codes: codes, counts: counts}
	v.cHalf = halfNorms(centroids, dim)
	v.half = halfNorms(codes, dim)
	return v
}

func halfNorms(x []float64, dim int) []float64 {
	h := make([]float64, len(x)/dim)
	for i := range h {
		r := x[i*dim : (i+1)*dim]
		h[i] = dot(r, r) / 2
	}
	return h
}

func (v *Vocabulary) check() error {
	if v.dim != v.Features.Dim() {
		return fmt.Errorf("tokenizer: codeword length %d, features want %d", v.dim, v.Features.Dim())
	}
	if len(v.cellStart) != v.Cells()+1 || v.cellStart[0] != 0 || v.cellStart[v.Cells()] != v.Size() {
		return fmt.Errorf("tokenizer: cell offsets %v do not cover %d codewords", v.cellStart, v.Size())
	}
	for i := range v.Cells() {
		if v.cellStart[i+1] <= v.cellStart[i] {
			return fmt.Errorf("tokenizer: cell %d is empty", i)
		}
	}
	for _, x := range [][]float64{v.centroids, v.codes} {
		for i, e := range x {
			if math.IsNaN(e) || math.IsInf(e, 0) {
				return fmt.Errorf("tokenizer: non-finite codebook value at %d", i)
			}
		}
	}
	return nil
}

// nearest returns the index in [lo, hi) of the row of x (dim values per
// row) maximising q·row − half[row], that is the nearest row to q in
// Euclidean distance, and that score. Ties go to the lowest index.
func nearest(q, x, half []float64, lo, hi, dim int) (int, float64) {
	best, bs := lo, math.Inf(-1)
	for i := lo; i < hi; i++ {
		s := dot(q, x[i*dim:(i+1)*dim]) - half[i]
		if s > bs {
			best, bs = i, s
		}
	}
	return best, bs
}

// dot returns Σ a[i]·b[i] over len(a) values, with four accumulators so
// the additions pipeline.
func dot(a, b []float64) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// Quantize returns the token of motif vector q (Dim values) and the
// Euclidean distance from q to its codeword: the nearest codeword within
// the cell of the nearest centroid.
func (v *Vocabulary) Quantize(q []float64) (id int, dist float64) {
	c, _ := nearest(q, v.centroids, v.cHalf, 0, v.Cells(), v.dim)
	id, s := nearest(q, v.codes, v.half, v.cellStart[c], v.cellStart[c+1], v.dim)
	return id, distance(q, s)
}

// Nearest returns the globally nearest codeword of q and its distance, by
// exhaustive search (slow; for evaluating Quantize).
func (v *Vocabulary) Nearest(q []float64) (id int, dist float64) {
	id, s := nearest(q, v.codes, v.half, 0, v.Size(), v.dim)
	return id, distance(q, s)
}

// distance turns the score s = q·c − ½‖c‖² into ‖q − c‖.
func distance(q []float64, s float64) float64 {
	return math.Sqrt(max(0, dot(q, q)-2*s))
}

// Token is one frame's token.
type Token struct {
	// Frame is the frame index: the token's centre frame covers samples
	// [Frame·Hop, Frame·Hop+NFFT) at SampleRate of the tokenized signal.
	Frame int64
	// ID is the token id in [0, Size).
	ID int32
	// Distance is the Euclidean distance between the unit-norm motif and
	// its codeword (0 … 2): the quantization error.
	Distance float64
	// Powers are the centre frame's band powers, which the motif's
	// normalisation removes: ln of its power in each of Bands, in
	// ln(unit²) of the signal; −Inf for a band without power.
	// Vocabulary.Level quantises them.
	Powers [NumBands]float64
}

// Tokenizer tokenizes signals with a vocabulary. It holds scratch buffers
// and is not safe for concurrent use; tokenizing does not allocate when dst
// has room.
type Tokenizer struct {
	v      *Vocabulary
	feat   *featurizer
	frames []float64 // frame vectors, Patches each
	powers []float64 // the frames' band powers, NumBands each
	motif  []float64
}

// NewTokenizer returns a Tokenizer using v.
func (v *Vocabulary) NewTokenizer() *Tokenizer {
	return &Tokenizer{v: v, feat: newFeaturizer(v.Features), motif: make([]float64, v.dim)}
}

// Vocabulary returns the tokenizer's vocabulary.
func (t *Tokenizer) Vocabulary() *Vocabulary { return t.v }

// Tokenize appends the tokens of x, a signal at SampleRate, to dst: one per
// frame j with Context ≤ j < NumFrames(len(x))−Context, in frame order,
// Frame counted from x[0].
func (t *Tokenizer) Tokenize(dst []Token, x []float64) []Token {
	c := int64(t.v.Features.Context)
	return t.AppendFrames(dst, x, 0, c, int64(NumFrames(len(x)))-c)
}

// AppendFrames appends the tokens of frames from … to−1 (frame j covers
// samples [j·Hop, j·Hop+NFFT) on the clock where x[0] is sample x0) to
// dst. Every sample those tokens depend on, [(from−Context)·Hop,
// (to−1+Context)·Hop+NFFT), must lie in x; AppendFrames panics otherwise.
// The tokens depend only on those samples, so any window of a stream that
// holds them gives the same tokens.
func (t *Tokenizer) AppendFrames(dst []Token, x []float64, x0, from, to int64) []Token {
	if to <= from {
		return dst
	}
	fc := t.v.Features
	ctx := int64(fc.Context)
	p := fc.Patches()
	lo := (from-ctx)*Hop - x0
	hi := (to-1+ctx)*Hop + NFFT - x0
	if lo < 0 || hi > int64(len(x)) {
		panic(fmt.Sprintf("tokenizer: frames %d…%d need samples [%d, %d) of a signal holding [%d, %d)",
			from, to-1, lo+x0, hi+x0, x0, x0+int64(len(x))))
	}
	nf := int(to - from + 2*ctx)
	if cap(t.frames) < nf*p {
		t.frames = make([]float64, nf*p)
		t.powers = make([]float64, nf*NumBands)
	}
	frames, powers := t.frames[:nf*p], t.powers[:nf*NumBands]
	for k := range nf {
		s := lo + int64(k)*Hop
		t.feat.frame(frames[k*p:(k+1)*p], powers[k*NumBands:(k+1)*NumBands], x[s:s+NFFT])
	}
	dim := t.v.dim
	for j := from; j < to; j++ {
		k := int(j - from)
		motif(t.motif, frames[k*p:k*p+dim])
		id, d := t.v.Quantize(t.motif)
		tok := Token{Frame: j, ID: int32(id), Distance: d}
		c := k + int(ctx)
		copy(tok.Powers[:], powers[c*NumBands:(c+1)*NumBands])
		dst = append(dst, tok)
	}
	return dst
}

// AppendPowers appends the band powers (Token.Powers: NumBands values per
// frame, frame order) of frames from … to−1 to dst, frame j covering
// samples [j·Hop, j·Hop+NFFT) on the clock where x[0] is sample x0. A
// frame's band powers depend on its own samples only, so they exist for
// frames too close to the signal's ends for a token; every sample of the
// frames must lie in x, and AppendPowers panics otherwise.
func (t *Tokenizer) AppendPowers(dst []float64, x []float64, x0, from, to int64) []float64 {
	if to <= from {
		return dst
	}
	lo, hi := from*Hop-x0, (to-1)*Hop+NFFT-x0
	if lo < 0 || hi > int64(len(x)) {
		panic(fmt.Sprintf("tokenizer: frames %d…%d need samples [%d, %d) of a signal holding [%d, %d)",
			from, to-1, lo+x0, hi+x0, x0, x0+int64(len(x))))
	}
	var bands [NumBands]float64
	for j := from; j < to; j++ {
		s := j*Hop - x0
		t.feat.bandPowers(bands[:], x[s:s+NFFT])
		dst = append(dst, bands[:]...)
	}
	return dst
}

// Motifs appends the motif vectors of the frames Tokenize would tokenize
// in x (Dim values each, frame order) to dst.
func (t *Tokenizer) Motifs(dst []float64, x []float64) []float64 {
	dst, _ = appendMotifs(t.feat, dst, nil, x)
	return dst
}

// appendMotifs appends the motifs of every full-context frame of x to dst,
// and their centre frames' band powers (NumBands each) to powers.
func appendMotifs(f *featurizer, dst, powers []float64, x []float64) ([]float64, []float64) {
	fc := f.cfg
	nf := NumFrames(len(x))
	if nf < fc.Frames() {
		return dst, powers
	}
	p := fc.Patches()
	dim := fc.Dim()
	frames := make([]float64, nf*p)
	pw := make([]float64, nf*NumBands)
	for k := range nf {
		f.frame(frames[k*p:(k+1)*p], pw[k*NumBands:(k+1)*NumBands], x[k*Hop:k*Hop+NFFT])
	}
	m := make([]float64, dim)
	for k := 0; k+fc.Frames() <= nf; k++ {
		motif(m, frames[k*p:k*p+dim])
		dst = append(dst, m...)
		c := k + fc.Context
		powers = append(powers, pw[c*NumBands:(c+1)*NumBands]...)
	}
	return dst, powers
}
