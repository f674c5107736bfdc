package tokenizer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
)

// MaxSize is the largest vocabulary Train builds.
const MaxSize = 8192

// TrainConfig configures Train. Zero fields take the defaults.
type TrainConfig struct {
	// Features are the motif parameters of the training motifs.
	Features FeatureConfig
	// Size is the number of tokens, 2 … MaxSize. Default: 1024.
	Size int
	// Cells is the number of coarse cells. Default: round(√Size).
	Cells int
	// Iterations bounds Lloyd's iterations per k-means run (a run stops
	// earlier when no assignment changes). Default: 30.
	Iterations int
	// MaxMotifs caps the motifs used: a larger set is subsampled at
	// random (by Seed). Default: 262144.
	MaxMotifs int
	// Seed seeds the subsampling and the k-means++ seeding; the same
	// seed and motifs give a bit-identical vocabulary.
	Seed uint64
	// Powers are the band powers (Token.Powers, NumBands values each) of
	// the training motifs' centre frames by channel type, as
	// Collector.Powers holds them; the vocabulary's level edges are their
	// quantiles per band (see Level), for every type with at least
	// Levels finite values in each band. Default: none, and the
	// vocabulary has no power levels.
	Powers map[string][]float64
	// Levels is the number of power levels per band and channel type, 2
	// … MaxLevels, or NoLevels for none. Default: 16 (about the
	// resolution a 1 s frame's band power allows: docs/tokenizer.md).
	Levels int
	// Progress, when set, is called as training advances: step names
	// the k-means run ("coarse" or "fine"), done of total units.
	Progress func(step string, done, total int)
}

// Train learns a vocabulary from motif vectors (Dim values each, as
// Collector or Tokenizer.Motifs produce them) in two levels:
//
//   - Cells coarse centroids by k-means (k-means++ seeding, then Lloyd's
//     iterations) over all motifs;
//   - each cell gets a number of codewords proportional to the motifs it
//     holds (largest remainders, at least one), so every token covers
//     about the same share of the data — what maximises codebook
//     perplexity — and its codewords are a k-means of the cell's motifs.
//
// With cfg.Powers, the band powers get Levels levels per band and channel
// type at quantiles, so that every level, too, holds about the same share
// of the training frames.
//
// After every Lloyd update a codeword that lost all its motifs (a dead
// code) is restarted at the motif farthest from its own codeword, which
// splits the loosest cluster; Provenance.Restarts counts them.
//
// The result does not depend on GOMAXPROCS: work is split into fixed
// pieces whose results are combined in order.
func Train(motifs []float64, cfg TrainConfig) (*Vocabulary, error) {
	cfg, fc, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	dim := fc.Dim()
	if len(motifs)%dim != 0 {
		return nil, fmt.Errorf("tokenizer: %d motif values are not a multiple of the motif length %d", len(motifs), dim)
	}
	n := len(motifs) / dim
	if n < cfg.Size {
		return nil, fmt.Errorf("tokenizer: %d training motifs for a vocabulary of %d: need at least as many motifs as tokens (%.0f s of one channel)",
			n, cfg.Size, float64(cfg.Size)*Hop/SampleRate)
	}
	prov := Provenance{Seed: cfg.Seed, Iterations: cfg.Iterations, Available: n}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x746f6b656e697a65))
	if n > cfg.MaxMotifs {
		motifs, n = subsample(motifs, dim, cfg.MaxMotifs, rng), cfg.MaxMotifs
	}
	prov.Motifs = n
	progress := cfg.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}

	coarse := kmeans(motifs, dim, cfg.Cells, cfg.Iterations, rng, func(it int, done bool) {
		if done {
			it = cfg.Iterations // converged early
		}
		progress("coarse", it, cfg.Iterations)
	})
	prov.Restarts += coarse.restarts

	// Members of each cell, in motif order.
	members := make([][]int32, cfg.Cells)
	for i, c := range coarse.assign {
		members[c] = append(members[c], int32(i))
	}
	sizes := make([]int, cfg.Cells)
	for c, m := range members {
		sizes[c] = len(m)
	}
	alloc := allocate(sizes, cfg.Size)

	// Fine k-means per cell, in parallel; each cell has its own generator.
	fine := make([]kmResult, cfg.Cells)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	work := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for c := range work {
				x := make([]float64, 0, len(members[c])*dim)
				for _, i := range members[c] {
					x = append(x, motifs[int(i)*dim:(int(i)+1)*dim]...)
				}
				r := rand.New(rand.NewPCG(cfg.Seed, uint64(c)+1))
				fine[c] = kmeans(x, dim, alloc[c], cfg.Iterations, r, nil)
				mu.Lock()
				done++
				progress("fine", done, cfg.Cells)
				mu.Unlock()
			}
		})
	}
	for c := range cfg.Cells {
		work <- c
	}
	close(work)
	wg.Wait()

	cellStart := make([]int, cfg.Cells+1)
	codes := make([]float64, 0, cfg.Size*dim)
	for c := range cfg.Cells {
		cellStart[c+1] = cellStart[c] + alloc[c]
		codes = append(codes, fine[c].centroids...)
		prov.Restarts += fine[c].restarts
	}
	v := newVocabulary(fc, coarse.centroids, cellStart, codes, nil)
	// Usage: the training motifs as Quantize assigns them.
	ids := make([]int32, n)
	parallelRanges(n, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			id, _ := v.Quantize(motifs[i*dim : (i+1)*dim])
			ids[i] = int32(id)
		}
	})
	v.counts = make([]int64, cfg.Size)
	for _, id := range ids {
		v.counts[id]++
	}
	v.Provenance = prov
	if cfg.Levels != NoLevels {
		v.learnLevels(cfg.Powers, cfg.Levels)
	}
	return v, v.check()
}

// withDefaults returns cfg and its features with the defaults filled in,
// or an error naming the bad field.
func (cfg TrainConfig) withDefaults() (TrainConfig, FeatureConfig, error) {
	fc, err := cfg.Features.withDefaults()
	if err != nil {
		return cfg, fc, err
	}
	if cfg.Size == 0 {
		cfg.Size = 1024
	}
	if cfg.Size < 2 || cfg.Size > MaxSize {
		return cfg, fc, fmt.Errorf("tokenizer: vocabulary size %d: want 2 to %d", cfg.Size, MaxSize)
	}
	if cfg.Cells == 0 {
		cfg.Cells = int(math.Round(math.Sqrt(float64(cfg.Size))))
	}
	if cfg.Cells < 1 || cfg.Cells > cfg.Size {
		return cfg, fc, fmt.Errorf("tokenizer: %d cells: want 1 to the vocabulary size %d", cfg.Cells, cfg.Size)
	}
	if cfg.Levels == 0 {
		cfg.Levels = 16
	}
	if cfg.Levels != NoLevels && (cfg.Levels < 2 || cfg.Levels > MaxLevels) {
		return cfg, fc, fmt.Errorf("tokenizer: %d power levels: want 2 to %d (or NoLevels)", cfg.Levels, MaxLevels)
	}
	if cfg.Iterations == 0 {
		cfg.Iterations = 30
	}
	if cfg.MaxMotifs == 0 {
		cfg.MaxMotifs = 1 << 18
	}
	return cfg, fc, nil
}

// subsample returns k of the motifs (dim values each) picked at random
// by a partial Fisher–Yates shuffle, kept in their original order.
func subsample(motifs []float64, dim, k int, rng *rand.Rand) []float64 {
	n := len(motifs) / dim
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for i := range k {
		j := i + rng.IntN(n-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	pick := idx[:k]
	slices.Sort(pick)
	sub := make([]float64, 0, k*dim)
	for _, i := range pick {
		sub = append(sub, motifs[i*dim:(i+1)*dim]...)
	}
	return sub
}

// allocate splits total codewords over cells in proportion to sizes
// (largest remainders), at least one per non-empty cell and at most its
// size. sum(sizes) ≥ total and every size ≥ 1.
func allocate(sizes []int, total int) []int {
	n := 0
	for _, s := range sizes {
		n += s
	}
	k := make([]int, len(sizes))
	q := make([]float64, len(sizes))
	sum := 0
	for i, s := range sizes {
		q[i] = float64(total) * float64(s) / float64(n)
		k[i] = min(s, max(1, int(q[i])))
		sum += k[i]
	}
	for sum < total {
		best := -1
		for i := range k {
			if k[i] < sizes[i] && (best < 0 || q[i]-float64(k[i]) > q[best]-float64(k[best])) {
				best = i
			}
		}
		k[best]++
		sum++
	}
	for sum > total {
		best := -1
		for i := range k {
			if k[i] > 1 && (best < 0 || q[i]-float64(k[i]) < q[best]-float64(k[best])) {
				best = i
			}
		}
		k[best]--
		sum--
	}
	return k
}

// kmResult is the outcome of one k-means run.
type kmResult struct {
	centroids []float64 // k×dim
	assign    []int32
	restarts  int
}

// kmeans clusters the n = len(x)/dim rows of x into k ≤ n clusters:
// k-means++ seeding from rng, then at most iters Lloyd iterations, each
// followed by dead-code restarts. iter, when set, is called after every
// iteration, and with done set when the run ends.
func kmeans(x []float64, dim, k, iters int, rng *rand.Rand, iter func(it int, done bool)) kmResult {
	n := len(x) / dim
	cent := seedPlusPlus(x, dim, k, rng)
	assign := make([]int32, n)
	for i := range assign {
		assign[i] = -1
	}
	d2 := make([]float64, n)
	counts := make([]int, k)
	res := kmResult{}
	for it := range iters {
		half := halfNorms(cent, dim)
		changed := assignRows(x, dim, cent, half, assign, d2)
		if it > 0 && changed == 0 {
			break
		}
		// Update: means in row order.
		sums := make([]float64, k*dim)
		clear(counts)
		for i, c := range assign {
			counts[c]++
			s := sums[int(c)*dim : (int(c)+1)*dim]
			for j, v := range x[i*dim : (i+1)*dim] {
				s[j] += v
			}
		}
		for c := range k {
			if counts[c] == 0 {
				continue // keeps its place until restarted below
			}
			inv := 1 / float64(counts[c])
			row := cent[c*dim : (c+1)*dim]
			for j := range row {
				row[j] = sums[c*dim+j] * inv
			}
		}
		res.restarts += restartDead(x, dim, cent, counts, assign, d2)
		if iter != nil && it+1 < iters {
			iter(it+1, false)
		}
	}
	if iter != nil {
		iter(iters, true)
	}
	// Final assignment to the final centroids.
	assignRows(x, dim, cent, halfNorms(cent, dim), assign, d2)
	res.centroids, res.assign = cent, assign
	return res
}

// restartDead moves every empty cluster's centroid onto the row farthest
// from its own centroid (each row used once, ties to the lowest index) and
// reassigns that row. It returns the number of restarts.
func restartDead(x []float64, dim int, cent []float64, counts []int, assign []int32, d2 []float64) int {
	restarts := 0
	for c := range counts {
		if counts[c] != 0 {
			continue
		}
		far := -1
		for i, d := range d2 {
			if counts[assign[i]] > 1 && (far < 0 || d > d2[far]) {
				far = i
			}
		}
		if far < 0 || d2[far] == 0 {
			return restarts // every remaining row sits on its centroid
		}
		copy(cent[c*dim:(c+1)*dim], x[far*dim:(far+1)*dim])
		counts[assign[far]]--
		counts[c] = 1
		assign[far] = int32(c)
		d2[far] = 0
		restarts++
	}
	return restarts
}

// assignRows sets assign[i] to the nearest centroid of row i and d2[i] to
// the squared distance, in parallel over fixed ranges; it returns how many
// assignments changed.
func assignRows(x []float64, dim int, cent, half []float64, assign []int32, d2 []float64) int {
	n := len(assign)
	k := len(half)
	var mu sync.Mutex
	changed := 0
	parallelRanges(n, func(lo, hi int) {
		ch := 0
		for i := lo; i < hi; i++ {
			q := x[i*dim : (i+1)*dim]
			c, s := nearest(q, cent, half, 0, k, dim)
			if int32(c) != assign[i] {
				assign[i] = int32(c)
				ch++
			}
			d2[i] = max(0, dot(q, q)-2*s)
		}
		mu.Lock()
		changed += ch
		mu.Unlock()
	})
	return changed
}

// parallelRanges calls fn on consecutive ranges of [0, n) of a fixed size,
// spread over GOMAXPROCS goroutines. fn must only write per-index results.
func parallelRanges(n int, fn func(lo, hi int)) {
	const chunk = 2048
	if n <= chunk {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for lo := range next {
				fn(lo, min(n, lo+chunk))
			}
		})
	}
	for lo := 0; lo < n; lo += chunk {
		next <- lo
	}
	close(next)
	wg.Wait()
}

// seedPlusPlus picks k initial centroids by k-means++ (Arthur and
// Vassilvitskii 2007): the first uniformly, each next one with probability
// proportional to the squared distance to the nearest centroid so far.
func seedPlusPlus(x []float64, dim, k int, rng *rand.Rand) []float64 {
	n := len(x) / dim
	cent := make([]float64, 0, k*dim)
	first := rng.IntN(n)
	cent = append(cent, x[first*dim:(first+1)*dim]...)
	d2 := make([]float64, n)
	for i := range d2 {
		d2[i] = sqDist(x[i*dim:(i+1)*dim], cent)
	}
	for len(cent) < k*dim {
		total := 0.0
		for _, d := range d2 {
			total += d
		}
		var pick int
		if total > 0 {
			u := rng.Float64() * total
			pick = n - 1
			acc := 0.0
			for i, d := range d2 {
				acc += d
				if acc > u {
					pick = i
					break
				}
			}
		} else {
			pick = rng.IntN(n) // every row coincides with a centroid
		}
		c := x[pick*dim : (pick+1)*dim]
		cent = append(cent, c...)
		parallelRanges(n, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				if d := sqDist(x[i*dim:(i+1)*dim], c); d < d2[i] {
					d2[i] = d
				}
			}
		})
	}
	return cent
}

func sqDist(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		d := v - b[i]
		s += d * d
	}
	return s
}
