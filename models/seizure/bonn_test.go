package seizure

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/models/metrics"
)

const bonnRate = 173.61 // Hz, SOURCES.md §1

// bonnSegment is one Bonn segment: its set (Z, O, N, F, S) and samples in V.
type bonnSegment struct {
	name string
	set  string
	x    []float64
}

func loadBonn(t *testing.T) []bonnSegment {
	t.Helper()
	dir := filepath.Join(testenv.DataDir(t), "bonn-epilepsy")
	var segs []bonnSegment
	for _, set := range []string{"Z", "O", "N", "F", "S"} {
		paths, err := filepath.Glob(filepath.Join(dir, set, "*"))
		if err != nil {
			t.Fatal(err)
		}
		paths = slices.DeleteFunc(paths, func(p string) bool { return !strings.EqualFold(filepath.Ext(p), ".txt") })
		slices.Sort(paths)
		if len(paths) != 80 {
			t.Fatalf("set %s: %d segment files, want 80", set, len(paths))
		}
		for _, p := range paths {
			r, err := text.Open(p, text.Options{SampleRate: bonnRate, Unit: "uV"})
			if err != nil {
				t.Fatal(err)
			}
			n := r.Info().NSamples
			x := make([]float64, n)
			if err := r.ReadSamples([][]float64{x}, 0, n); err != nil {
				t.Fatal(err)
			}
			r.Close()
			segs = append(segs, bonnSegment{name: filepath.Base(p), set: set, x: x})
		}
	}
	return segs
}

type bonnResult struct {
	foldBA, foldAUC []float64
	ba, auc         float64 // pooled out-of-fold, per segment
	winBA, winAUC   float64 // pooled out-of-fold, per window
	windows         int
	errors          map[string]int // misclassified segments per set
}

// bonnCV runs stratified 5-fold cross-validation grouped by segment with
// windowLen-sample windows (non-overlapping, from the segment start); a
// segment's score is the mean probability of its windows.
func bonnCV(t *testing.T, segs []bonnSegment, windowLen int, seed uint64, lambda float64, extended bool, boost *BoostConfig) bonnResult {
	t.Helper()
	spec, X, seg, labels := bonnFeatures(t, segs, windowLen, extended)
	const k = 5
	fold := metrics.StratifiedGroupFoldsPerClass(groupClasses(labels), k, seed)
	segScore := make([]float64, len(segs))
	segCount := make([]int, len(segs))
	winScore := make([]float64, len(X))
	winLabel := make([]bool, len(X))
	res := bonnResult{windows: len(X)}
	for f := range k {
		var trX [][]float64
		var trY []bool
		for i, row := range X {
			if fold[seg[i]] != f {
				trX = append(trX, row)
				trY = append(trY, labels[seg[i]])
			}
		}
		m, err := Train(spec, trX, trY, TrainConfig{Balanced: true, Lambda: lambda, Boost: boost})
		if err != nil {
			t.Fatal(err)
		}
		for i, row := range X {
			if fold[seg[i]] == f {
				p := m.Probability(row)
				winScore[i], winLabel[i] = p, labels[seg[i]]
				segScore[seg[i]] += p
				segCount[seg[i]]++
			}
		}
		var fs []float64
		var fl []bool
		for g := range segs {
			if fold[g] == f {
				fs = append(fs, segScore[g]/float64(segCount[g]))
				fl = append(fl, labels[g])
			}
		}
		res.foldBA = append(res.foldBA, BalancedAccuracy(fs, fl, 0.5))
		res.foldAUC = append(res.foldAUC, AUROC(fs, fl))
	}
	for g := range segs {
		segScore[g] /= float64(segCount[g])
	}
	res.ba, res.auc = BalancedAccuracy(segScore, labels, 0.5), AUROC(segScore, labels)
	res.errors = map[string]int{}
	for g, s := range segs {
		if (segScore[g] >= 0.5) != labels[g] {
			res.errors[s.set]++
		}
	}
	res.winBA, res.winAUC = BalancedAccuracy(winScore, winLabel, 0.5), AUROC(winScore, winLabel)
	return res
}

// bonnFeatures returns the feature rows of every windowLen-sample window
// (non-overlapping, from each segment's start), each row's segment, and
// each segment's label (set S).
func bonnFeatures(t *testing.T, segs []bonnSegment, windowLen int, extended bool) (spec FeatureConfig, X [][]float64, seg []int, labels []bool) {
	t.Helper()
	spec = FeatureConfig{SampleRate: bonnRate, WindowLen: windowLen, Channels: 1, Extended: extended}
	ex, err := NewExtractor(spec)
	if err != nil {
		t.Fatal(err)
	}
	labels = make([]bool, len(segs))
	for g, s := range segs {
		labels[g] = s.set == "S"
		for start := 0; start+windowLen <= len(s.x); start += windowLen {
			X = append(X, ex.Features(nil, [][]float64{s.x[start : start+windowLen]}))
			seg = append(seg, g)
		}
	}
	return spec, X, seg, labels
}

// segmentScores trains on the windows of the segments in train and returns
// the mean window probability of every segment in test (by segment).
func segmentScores(t *testing.T, spec FeatureConfig, X [][]float64, seg []int, labels []bool, train, test func(g int) bool, tc TrainConfig) map[int]float64 {
	t.Helper()
	var trX [][]float64
	var trY []bool
	for i, row := range X {
		if train(seg[i]) {
			trX = append(trX, row)
			trY = append(trY, labels[seg[i]])
		}
	}
	m, err := Train(spec, trX, trY, tc)
	if err != nil {
		t.Fatal(err)
	}
	sum, n := map[int]float64{}, map[int]int{}
	for i, row := range X {
		if test(seg[i]) {
			sum[seg[i]] += m.Probability(row)
			n[seg[i]]++
		}
	}
	for g := range sum {
		sum[g] /= float64(n[g])
	}
	return sum
}

// bonnNestedCV is bonnCV's outer 5-fold split with the decision threshold
// chosen inside each training part: a 4-fold cross-validation over the
// training segments gives out-of-fold segment scores, BestThreshold picks
// the threshold, and the model trained on the whole training part decides
// the held-out segments with it. It returns the pooled balanced accuracy
// and the thresholds chosen.
func bonnNestedCV(t *testing.T, segs []bonnSegment, windowLen int, seed uint64, extended bool, tc TrainConfig) (float64, []float64) {
	t.Helper()
	spec, X, seg, labels := bonnFeatures(t, segs, windowLen, extended)
	outer := metrics.StratifiedGroupFoldsPerClass(groupClasses(labels), 5, seed)
	decision := make([]float64, len(segs))
	var thresholds []float64
	for f := range 5 {
		var tr []int
		for g := range segs {
			if outer[g] != f {
				tr = append(tr, g)
			}
		}
		trLabels := make([]bool, len(tr))
		for i, g := range tr {
			trLabels[i] = labels[g]
		}
		inner := metrics.StratifiedGroupFoldsPerClass(groupClasses(trLabels), 4, seed+100)
		innerFold := map[int]int{}
		for i, g := range tr {
			innerFold[g] = inner[i]
		}
		var scores []float64
		var ys []bool
		for h := range 4 {
			sc := segmentScores(t, spec, X, seg, labels,
				func(g int) bool { k, ok := innerFold[g]; return ok && k != h },
				func(g int) bool { k, ok := innerFold[g]; return ok && k == h }, tc)
			for g, v := range sc {
				scores, ys = append(scores, v), append(ys, labels[g])
			}
		}
		th := BestThreshold(scores, ys)
		thresholds = append(thresholds, th)
		sc := segmentScores(t, spec, X, seg, labels,
			func(g int) bool { return outer[g] != f }, func(g int) bool { return outer[g] == f }, tc)
		for g, v := range sc {
			if v >= th {
				decision[g] = 1
			}
		}
	}
	return BalancedAccuracy(decision, labels, 0.5), thresholds
}

func fmtList(x []float64) string {
	s := make([]string, len(x))
	for i, v := range x {
		s[i] = fmt.Sprintf("%.3f", v)
	}
	return strings.Join(s, " ")
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// TestBonn evaluates the detector on the Bonn set: S (ictal) against
// Z, O, N and F, 80 segments each, 5-fold cross-validation stratified by
// class and grouped by segment, L2 logistic regression (λ = 0.01,
// class-balanced) on the single-channel features. Run with
//
//	go test -v -run TestBonn ./models/seizure/
func TestBonn(t *testing.T) {
	segs := loadBonn(t)
	var b strings.Builder
	fmt.Fprintf(&b, "\n| windows | seed | windows total | BA per fold | AUROC per fold | BA (segments) | AUROC (segments) | BA (windows) | AUROC (windows) |\n")
	fmt.Fprintf(&b, "| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	type cfg struct {
		name string
		len  int
	}
	for _, c := range []cfg{{"1 × 4097 (23.6 s)", 4097}, {"4 × 1024 (5.9 s)", 1024}} {
		for _, seed := range []uint64{1, 2, 3} {
			r := bonnCV(t, segs, c.len, seed, 0.01, false, nil)
			fmt.Fprintf(&b, "| %s | %d | %d | %s | %s | %.4f | %.4f | %.4f | %.4f |\n",
				c.name, seed, r.windows, fmtList(r.foldBA), fmtList(r.foldAUC), r.ba, r.auc, r.winBA, r.winAUC)
			// Loose bounds, well below what is measured (see docs/seizure.md).
			const minBA, minAUC = 0.90, 0.95
			if r.ba < minBA || r.auc < minAUC || mean(r.foldBA) < minBA {
				t.Errorf("%s seed %d: balanced accuracy %.4f, AUROC %.4f: below the bounds %.2f, %.2f", c.name, seed, r.ba, r.auc, minBA, minAUC)
			}
		}
	}
	// Sensitivity to the penalty (not used to pick it: λ = 0.01 was fixed
	// beforehand; picking it here would need nested cross-validation).
	fmt.Fprintf(&b, "\n| λ | windows | BA (segments) | AUROC (segments) | misclassified segments per set (seed 1) |\n| --- | --- | --- | --- | --- |\n")
	for _, lambda := range []float64{0.001, 0.01, 0.1, 1} {
		for _, n := range []int{4097, 1024} {
			r := bonnCV(t, segs, n, 1, lambda, false, nil)
			fmt.Fprintf(&b, "| %g | %d | %.4f | %.4f | Z %d, O %d, N %d, F %d, S %d |\n", lambda, n, r.ba, r.auc,
				r.errors["Z"], r.errors["O"], r.errors["N"], r.errors["F"], r.errors["S"])
		}
	}
	// Classifiers and feature sets, each fixed before it was measured:
	// the extended features (FeatureConfig.Extended) and boosted trees
	// with BoostConfig's defaults (200 trees of depth 3, rate 0.1).
	fmt.Fprintf(&b, "\n| classifier | features | windows | seed | BA (segments) | AUROC (segments) | BA (windows) | AUROC (windows) | misclassified per set |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, c := range []struct {
		name     string
		extended bool
		boost    *BoostConfig
	}{{"logreg", true, nil}, {"gbt", false, &BoostConfig{}}, {"gbt", true, &BoostConfig{}}} {
		feat := "17 base"
		if c.extended {
			feat = "37 extended"
		}
		for _, n := range []int{4097, 1024} {
			for _, seed := range []uint64{1, 2, 3} {
				r := bonnCV(t, segs, n, seed, 0.01, c.extended, c.boost)
				fmt.Fprintf(&b, "| %s | %s | %d | %d | %.4f | %.4f | %.4f | %.4f | Z %d, O %d, N %d, F %d, S %d |\n", c.name, feat, n, seed,
					r.ba, r.auc, r.winBA, r.winAUC, r.errors["Z"], r.errors["O"], r.errors["N"], r.errors["F"], r.errors["S"])
				const minBA, minAUC = 0.90, 0.95
				if r.ba < minBA || r.auc < minAUC || mean(r.foldBA) < minBA {
					t.Errorf("%s %s %d seed %d: balanced accuracy %.4f, AUROC %.4f: below the bounds %.2f, %.2f", c.name, feat, n, seed, r.ba, r.auc, minBA, minAUC)
				}
			}
		}
	}
	// The threshold chosen by nested cross-validation instead of 0.5.
	fmt.Fprintf(&b, "\n| classifier | features | windows | seed | BA, nested threshold | thresholds per fold |\n| --- | --- | --- | --- | --- | --- |\n")
	for _, c := range []struct {
		name     string
		extended bool
		tc       TrainConfig
	}{{"logreg", false, TrainConfig{Balanced: true, Lambda: 0.01}}, {"gbt", true, TrainConfig{Balanced: true, Boost: &BoostConfig{}}}} {
		feat := "17 base"
		if c.extended {
			feat = "37 extended"
		}
		for _, seed := range []uint64{1, 2, 3} {
			ba, th := bonnNestedCV(t, segs, 4097, seed, c.extended, c.tc)
			fmt.Fprintf(&b, "| %s | %s | 4097 | %d | %.4f | %s |\n", c.name, feat, seed, ba, fmtList(th))
			if ba < 0.90 {
				t.Errorf("%s nested seed %d: balanced accuracy %.4f below 0.90", c.name, seed, ba)
			}
		}
	}
	t.Log(b.String())
}
