package evaluate

import (
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/neurostream/neurostream/models/linear"
	"github.com/neurostream/neurostream/models/metrics"
	"github.com/neurostream/neurostream/tokenizer"
	"github.com/neurostream/neurostream/tokenizer/corpus"
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
	// x returns the features of every example for outer fold f.
	x func(f int) ([]linear.Sparse, int, error)
}

// featureSets returns the bag of tokens (with the vocabulary retrained
// per fold when cfg.Refit) and the log and relative band powers.
func featureSets(cfg *Config, parts bagParts, v *tokenizer.Vocabulary, d *data, toks [][][]int32, fold []int) []featureSet {
	pool := cfg.PoolChannels || d.channels <= 0
	tokX := func(v *tokenizer.Vocabulary, toks [][][]int32) ([]linear.Sparse, int) {
		X := make([]linear.Sparse, len(d.ex))
		dim := 0
		for i := range d.ex {
			X[i], dim = tokenFeatures(v, toks[i], pool, parts)
		}
		return X, dim
	}
	tx, tdim := tokX(v, toks)
	sets := []featureSet{{"tokens (" + parts.String() + ")", func(f int) ([]linear.Sparse, int, error) {
		if !cfg.Refit {
			return tx, tdim, nil
		}
		// Retrain the vocabulary on the fold's training recordings.
		var motifs []float64
		for r, m := range d.motifs {
			if fold[r] != f && fold[r] >= 0 {
				motifs = append(motifs, m...)
			}
		}
		fv, err := tokenizer.Train(motifs, tokenizer.TrainConfig{
			Features: refitFeatures(v.Features), Size: v.Size(), Cells: v.Cells(),
			Iterations: v.Provenance.Iterations, Seed: v.Provenance.Seed,
		})
		if err != nil {
			return nil, 0, fmt.Errorf("fold %d: retraining the vocabulary: %w", f, err)
		}
		x, dim := tokX(fv, tokenize(fv, d))
		return x, dim, nil
	}}}
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
		sets = append(sets, featureSet{name, func(int) ([]linear.Sparse, int, error) { return X, dim, nil }})
	}
	return sets
}

// crossValidate runs the outer cross-validation of every feature set,
// with the same folds (fold[recording], k of them).
func crossValidate(cfg *Config, sets []featureSet, d *data, fold []int, k, classes int, log io.Writer) ([]Result, error) {
	y := make([]int, len(d.ex))
	exFold := make([]int, len(d.ex))
	for i, e := range d.ex {
		y[i] = e.class
		exFold[i] = fold[e.rec]
	}
	type job struct{ s, f int }
	pred := make([][]int, len(sets))
	lams := make([][]float64, len(sets))
	for s := range sets {
		pred[s] = make([]int, len(d.ex))
		lams[s] = make([]float64, k)
	}
	errs := make([]error, len(sets)*k)
	var wg sync.WaitGroup
	jobs := make(chan job)
	var mu sync.Mutex
	done := 0
	progress := corpus.Progress(log)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for j := range jobs {
				X, dim, err := sets[j.s].x(j.f)
				if err == nil {
					var lam float64
					lam, err = fitFold(cfg, X, y, exFold, j.f, d, dim, classes, pred[j.s])
					lams[j.s][j.f] = lam
				}
				errs[j.s*k+j.f] = err
				mu.Lock()
				done++
				progress("cross-validation", done, len(sets)*k)
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
	var out []Result
	for s, st := range sets {
		out = append(out, Result{
			Features:         st.name,
			Kappa:            metrics.CohenKappa(pred[s], y, classes),
			BalancedAccuracy: metrics.BalancedAccuracyMulti(pred[s], y, classes),
			Lambdas:          lams[s],
		})
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

// fitFold chooses the penalty by inner cross-validation on the training
// examples of outer fold f, trains on all of them and writes the
// predictions of fold f's examples into pred. It returns the penalty.
func fitFold(cfg *Config, X []linear.Sparse, y, exFold []int, f int, d *data, dim, classes int, pred []int) (float64, error) {
	var train []int
	for i, ef := range exFold {
		if ef != f {
			train = append(train, i)
		}
	}
	lambda := cfg.Lambdas[0]
	// Inner folds over the training recordings.
	if groupLabel, mixed, used := recordingLabels(d, train); len(cfg.Lambdas) > 1 && used >= 2 {
		ki := min(cfg.InnerFolds, used)
		inner := groupFolds(groupLabel, mixed, ki, cfg.Seed+uint64(f)+1)
		var err error
		if lambda, err = choosePenalty(cfg.Lambdas, X, y, train, inner, ki, d, dim, classes); err != nil {
			return 0, err
		}
	}
	var tx []linear.Sparse
	var ty []int
	for _, i := range train {
		tx, ty = append(tx, X[i]), append(ty, y[i])
	}
	m, err := linear.Train(tx, ty, classes, dim, linear.Config{Lambda: lambda, Balanced: true})
	if err != nil {
		return 0, fmt.Errorf("fold %d: %w", f, err)
	}
	for i, ef := range exFold {
		if ef == f {
			pred[i] = m.Predict(X[i])
		}
	}
	return lambda, nil
}

// choosePenalty returns the penalty of lambdas whose pooled inner
// out-of-fold predictions (ki folds inner[recording] over the examples
// train) have the highest kappa; ties go to the later penalty (the
// larger, for ascending lambdas).
func choosePenalty(lambdas []float64, X []linear.Sparse, y, train, inner []int, ki int, d *data, dim, classes int) (float64, error) {
	best, lambda := math.Inf(-1), lambdas[0]
	for _, lam := range lambdas {
		var ip, it []int
		for g := range ki {
			var tx []linear.Sparse
			var ty []int
			var hold []int
			for _, i := range train {
				if inner[d.ex[i].rec] == g {
					hold = append(hold, i)
				} else {
					tx, ty = append(tx, X[i]), append(ty, y[i])
				}
			}
			if len(hold) == 0 || len(tx) == 0 {
				continue
			}
			m, err := linear.Train(tx, ty, classes, dim, linear.Config{Lambda: lam, Balanced: true})
			if err != nil {
				return 0, err
			}
			for _, i := range hold {
				ip, it = append(ip, m.Predict(X[i])), append(it, y[i])
			}
		}
		score := metrics.CohenKappa(ip, it, classes)
		if math.IsNaN(score) {
			score = -1
		}
		if score >= best { // ties go to the larger penalty
			best, lambda = score, lam
		}
	}
	return lambda, nil
}
