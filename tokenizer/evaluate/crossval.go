package evaluate

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/neurostream/neurostream/internal/progress"

	"github.com/neurostream/neurostream/models/linear"
	"github.com/neurostream/neurostream/models/metrics"
	"github.com/neurostream/neurostream/tokenizer"
)

// groupFolds assigns recordings folds: stratified by class when each holds
// one class, otherwise shuffled round-robin. Recordings without examples
// (label −1) get fold −1.
func groupFolds(groupLabel []int, mixed bool, k int, seed uint64) []int {
	var idx []int
	var labels []int
	for g, l := range groupLabel {
		if l >= 0 {
			idx = append(idx, g)
			if mixed {
				l = 0
			}
			labels = append(labels, l)
		}
	}
	f := metrics.StratifiedGroupFolds(labels, k, seed)
	fold := make([]int, len(groupLabel))
	for i := range fold {
		fold[i] = -1
	}
	for i, g := range idx {
		fold[g] = f[i]
	}
	return fold
}

// recordingLabels returns each recording's class (−1 without examples)
// over the examples ex (indices into d.ex, nil for all), whether a
// recording holds several classes, and how many recordings have examples.
func recordingLabels(d *data, ex []int) (groupLabel []int, mixed bool, used int) {
	groupLabel = make([]int, len(d.x))
	for i := range groupLabel {
		groupLabel[i] = -1
	}
	set := func(e example) {
		if groupLabel[e.rec] >= 0 && groupLabel[e.rec] != e.class {
			mixed = true
		}
		groupLabel[e.rec] = e.class
	}
	if ex == nil {
		for _, e := range d.ex {
			set(e)
		}
	} else {
		for _, i := range ex {
			set(d.ex[i])
		}
	}
	for _, g := range groupLabel {
		if g >= 0 {
			used++
		}
	}
	return groupLabel, mixed, used
}

// featureSet is one feature set of the downstream check.
type featureSet struct {
	name string
	// x returns, for outer fold f, the features of every example: one
	// feature set, or, for a product of experts, one per expert.
	x func(f int) ([]features, error)
}

// features are the features of every example.
type features struct {
	X   []linear.Sparse
	dim int
}

// featureSets returns the bags of tokens (with the vocabulary retrained
// per fold when cfg.Refit) and the log and relative band powers. When the
// parts mix shape (tokens, cells, bigrams) and power levels, there are
// three bags: the shape parts, the level parts, and their product of
// experts (see fitFold), which is the bag of all the parts.
func featureSets(cfg *Config, parts bagParts, v *tokenizer.Vocabulary, d *data, toks [][][]tokenizer.Token, fold []int) []featureSet {
	pool := cfg.PoolChannels || d.channels <= 0
	tokX := func(v *tokenizer.Vocabulary, toks [][][]tokenizer.Token, bags []bagParts) []features {
		var fs []features
		for _, p := range bags {
			f := features{X: make([]linear.Sparse, len(d.ex))}
			for i, e := range d.ex {
				f.X[i], f.dim = tokenFeatures(v, toks[i], e.powers, d.kinds[e.rec], pool, p)
			}
			fs = append(fs, f)
		}
		return fs
	}
	// Per-fold vocabularies are trained once, by the first job that
	// needs one, and shared by the bags.
	type tokens struct {
		v    *tokenizer.Vocabulary
		toks [][][]tokenizer.Token
	}
	refits := make([]func() (tokens, error), slices.Max(fold)+1)
	for f := range refits {
		refits[f] = sync.OnceValues(func() (tokens, error) {
			fv, err := refit(v, d, fold, f)
			if err != nil {
				return tokens{}, err
			}
			return tokens{fv, tokenize(fv, d)}, nil
		})
	}
	bagSet := func(name string, bags ...bagParts) featureSet {
		return featureSet{name, func(f int) ([]features, error) {
			if !cfg.Refit {
				return tokX(v, toks, bags), nil
			}
			t, err := refits[f]()
			if err != nil {
				return nil, err
			}
			return tokX(t.v, t.toks, bags), nil
		}}
	}
	var sets []featureSet
	if shape, power := parts.shape(), parts.power(); shape != (bagParts{}) && power != (bagParts{}) {
		sets = append(sets, bagSet("tokens ("+shape.String()+")", shape), bagSet("tokens ("+power.String()+")", power),
			bagSet("tokens ("+shape.String()+") × ("+power.String()+")", shape, power))
	} else {
		sets = append(sets, bagSet("tokens ("+parts.String()+")", parts))
	}
	for _, rel := range []bool{false, true} {
		X := make([]linear.Sparse, len(d.ex))
		dim := 0
		for i, e := range d.ex {
			f := e.logBP
			if rel {
				f = e.relBP
			}
			if pool {
				f = poolBP(f)
			}
			X[i], dim = linear.Dense(f), len(f)
		}
		name := "band power (log10)"
		if rel {
			name = "band power (relative)"
		}
		sets = append(sets, featureSet{name, func(int) ([]features, error) { return []features{{X: X, dim: dim}}, nil }})
	}
	return sets
}

// refit retrains v's vocabulary, power levels included, with the same
// parameters and seed on the motifs of the training recordings of outer
// fold f.
func refit(v *tokenizer.Vocabulary, d *data, fold []int, f int) (*tokenizer.Vocabulary, error) {
	var motifs []float64
	powers := map[string][]float64{}
	for r, m := range d.motifs {
		if fold[r] != f && fold[r] >= 0 {
			motifs = append(motifs, m...)
			for k, p := range d.powers[r] {
				powers[k] = append(powers[k], p...)
			}
		}
	}
	levels := v.Levels()
	if levels == 0 {
		levels = tokenizer.NoLevels
	}
	fv, err := tokenizer.Train(motifs, tokenizer.TrainConfig{
		Features: refitFeatures(v.Features), Size: v.Size(), Cells: v.Cells(),
		Iterations: v.Provenance.Iterations, Seed: v.Provenance.Seed,
		Powers: powers, Levels: levels,
	})
	if err != nil {
		return nil, fmt.Errorf("fold %d: retraining the vocabulary: %w", f, err)
	}
	return fv, nil
}

// crossValidate runs the outer cross-validation of every feature set,
// with the same folds (fold[recording], k of them), and scores the
// predictions of the examples in folds 0 … k−1.
func crossValidate(cfg *Config, sets []featureSet, d *data, fold []int, k, classes int, log io.Writer) ([]Result, error) {
	y := make([]int, len(d.ex))
	exFold := make([]int, len(d.ex))
	for i, e := range d.ex {
		y[i] = e.class
		exFold[i] = fold[e.rec]
	}
	type job struct{ s, f int }
	pred := make([][]int, len(sets))
	lams := make([][][]float64, len(sets)) // [set][fold][expert]
	wts := make([][][]float64, len(sets))
	for s := range sets {
		pred[s] = make([]int, len(d.ex))
		lams[s] = make([][]float64, k)
		wts[s] = make([][]float64, k)
	}
	errs := make([]error, len(sets)*k)
	var wg sync.WaitGroup
	jobs := make(chan job)
	var mu sync.Mutex
	done := 0
	show := progress.Steps(log)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range jobs {
				fs, err := sets[j.s].x(j.f)
				if err == nil {
					lams[j.s][j.f], wts[j.s][j.f], err = fitFold(cfg, fs, y, exFold, j.f, d, classes, pred[j.s])
				}
				errs[j.s*k+j.f] = err
				mu.Lock()
				done++
				show("cross-validation", done, len(sets)*k)
				mu.Unlock()
			}
		})
	}
	for f := range k {
		for s := range sets {
			jobs <- job{s, f}
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var scored []int
	for i, f := range exFold {
		if f >= 0 && f < k {
			scored = append(scored, i)
		}
	}
	var out []Result
	for s, st := range sets {
		var p, t []int
		for _, i := range scored {
			p, t = append(p, pred[s][i]), append(t, y[i])
		}
		res := Result{
			Features:         st.name,
			Kappa:            metrics.CohenKappa(p, t, classes),
			BalancedAccuracy: metrics.BalancedAccuracyMulti(p, t, classes),
		}
		for f, l := range lams[s] {
			res.Lambdas = append(res.Lambdas, l[0])
			if len(l) > 1 {
				res.LevelLambdas = append(res.LevelLambdas, l[1])
				res.Weights = append(res.Weights, wts[s][f])
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// refitFeatures turns a vocabulary's (defaulted) features back into a
// FeatureConfig Train reads the same way.
func refitFeatures(fc tokenizer.FeatureConfig) tokenizer.FeatureConfig {
	if fc.Context == 0 {
		fc.Context = tokenizer.NoContext
	}
	return fc
}

// fitFold trains on the training examples of outer fold f and writes the
// predictions of fold f's examples into pred. The penalty of each feature
// set is chosen by inner cross-validation on the training examples. With
// several feature sets (experts: the shape and the power-level bag) each
// gets its own classifier, and an example's class is the one with the
// largest weighted sum of the experts' log-probabilities, the weights
// fitted to the inner cross-validation's out-of-fold probabilities
// (stackWeights): an expert that does not help predict held-out
// recordings by more than one standard error of the log-likelihood gets
// weight zero, and neither expert's dimension
// (2080 shape features per channel against 75 level features) crowds out
// the other, as in one classifier over the concatenated bags. It returns
// the penalty of each feature set and, with several, their weights.
func fitFold(cfg *Config, fs []features, y, exFold []int, f int, d *data, classes int, pred []int) (lambdas, weights []float64, err error) {
	var train, test []int
	for i, ef := range exFold {
		if ef != f {
			train = append(train, i)
		} else {
			test = append(test, i)
		}
	}
	lambdas = make([]float64, len(fs))
	weights = make([]float64, len(fs))
	oof := make([][]float64, len(fs)) // inner out-of-fold log-probabilities
	models := make([]*linear.Softmax, len(fs))
	for e, ft := range fs {
		lambdas[e], weights[e] = cfg.Lambdas[0], 1
		// Inner folds over the training recordings.
		if groupLabel, mixed, used := recordingLabels(d, train); (len(cfg.Lambdas) > 1 || len(fs) > 1) && used >= 2 {
			ki := min(cfg.InnerFolds, used)
			inner := groupFolds(groupLabel, mixed, ki, cfg.Seed+uint64(f)+1)
			if lambdas[e], oof[e], err = choosePenalty(cfg.Lambdas, ft.X, y, train, inner, ki, d, ft.dim, classes); err != nil {
				return nil, nil, err
			}
		}
		var tx []linear.Sparse
		var ty []int
		for _, i := range train {
			tx, ty = append(tx, ft.X[i]), append(ty, y[i])
		}
		if models[e], err = linear.Train(tx, ty, classes, ft.dim, linear.Config{Lambda: lambdas[e], Balanced: true}); err != nil {
			return nil, nil, fmt.Errorf("fold %d: %w", f, err)
		}
	}
	if len(fs) == 1 {
		for _, i := range test {
			pred[i] = models[0].Predict(fs[0].X[i])
		}
		return lambdas, nil, nil
	}
	if oof[0] != nil {
		var ty []int
		for _, i := range train {
			ty = append(ty, y[i])
		}
		dims := make([]int, len(fs))
		for e, ft := range fs {
			dims[e] = ft.dim
		}
		weights = stackWeights(oof, dims, ty, classes)
	}
	prob := make([]float64, classes)
	score := make([]float64, classes)
	for _, i := range test {
		clear(score)
		for e, m := range models {
			m.Probabilities(prob, fs[e].X[i])
			for c, p := range prob {
				score[c] += weights[e] * math.Log(max(p, 1e-300))
			}
		}
		pred[i] = slices.Index(score, slices.Max(score)) // ties to the lower class
	}
	return lambdas, weights, nil
}

// choosePenalty returns the penalty of lambdas whose pooled inner
// out-of-fold predictions (ki folds inner[recording] over the examples
// train) have the highest kappa, ties going to the later penalty (the
// larger, for ascending lambdas), and the out-of-fold log-probabilities
// with it (classes per example of train, in train's order; an example
// whose inner fold could not be trained has zeros).
func choosePenalty(lambdas []float64, X []linear.Sparse, y, train, inner []int, ki int, d *data, dim, classes int) (float64, []float64, error) {
	best, lambda := math.Inf(-1), lambdas[0]
	var bestLogp []float64
	for _, lam := range lambdas {
		var ip, it []int
		logp := make([]float64, len(train)*classes)
		for g := range ki {
			var tx []linear.Sparse
			var ty []int
			var hold []int // positions in train
			for k, i := range train {
				if inner[d.ex[i].rec] == g {
					hold = append(hold, k)
				} else {
					tx, ty = append(tx, X[i]), append(ty, y[i])
				}
			}
			if len(hold) == 0 || len(tx) == 0 {
				continue
			}
			m, err := linear.Train(tx, ty, classes, dim, linear.Config{Lambda: lam, Balanced: true})
			if err != nil {
				return 0, nil, err
			}
			for _, k := range hold {
				i := train[k]
				row := logp[k*classes : (k+1)*classes]
				m.Probabilities(row, X[i])
				for c, p := range row {
					row[c] = math.Log(max(p, 1e-300))
				}
				ip, it = append(ip, m.Predict(X[i])), append(it, y[i])
			}
		}
		score := metrics.CohenKappa(ip, it, classes)
		if math.IsNaN(score) {
			score = -1
		}
		if score >= best { // ties go to the larger penalty
			best, lambda, bestLogp = score, lam, logp
		}
	}
	return lambda, bestLogp, nil
}
