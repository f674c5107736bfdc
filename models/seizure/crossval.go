package seizure

import (
	"fmt"
	"io"
	"math"

	"github.com/neurostream/neurostream/models/metrics"
)

// CrossValidation is the outcome of CrossValidate.
type CrossValidation struct {
	// Folds is k.
	Folds int
	// Grouping says what the folds were grouped by.
	Grouping string
	// BalancedAccuracy (threshold 0.5) and AUROC are those of the pooled
	// out-of-fold window probabilities.
	BalancedAccuracy, AUROC float64
	// Skipped, when not empty, says why there is no estimate (too few
	// groups of a class); the other fields are then unset.
	Skipped string
}

// String is the estimate as `train seizure` prints it.
func (cv CrossValidation) String() string {
	if cv.Skipped != "" {
		return "cross-validation skipped: " + cv.Skipped
	}
	return fmt.Sprintf("%d-fold cross-validated (%s): balanced accuracy %.1f%%, AUROC %.4f",
		cv.Folds, cv.Grouping, 100*cv.BalancedAccuracy, cv.AUROC)
}

// CrossValidate estimates how a model trained with tc on d generalises:
// k-fold cross-validation whose folds are dealt by
// metrics.StratifiedGroupFoldsPerClass with seed, each fold's windows
// scored by a model trained on the others. Groups are recordings when d
// has at least k of them, otherwise blocks of consecutive same-class
// windows of one recording (at most 2·ceil(Window/Hop) windows each, so
// that overlapping windows rarely straddle folds). Fewer than two groups
// of a class skip the estimate (CrossValidation.Skipped). k must be at
// least 2.
func CrossValidate(d *Dataset, tc TrainConfig, k int, seed uint64) (CrossValidation, error) {
	if k < 2 {
		return CrossValidation{}, fmt.Errorf("seizure: cross-validation: %d folds, want at least 2", k)
	}
	cv := CrossValidation{Folds: k}
	group, groupLabel := d.groups(k, &cv)
	var pos, neg int
	for _, l := range groupLabel {
		if l {
			pos++
		} else {
			neg++
		}
	}
	if pos < 2 || neg < 2 {
		return CrossValidation{Skipped: fmt.Sprintf("%d seizure and %d background groups (need 2 each)", pos, neg)}, nil
	}
	fold := metrics.StratifiedGroupFoldsPerClass(groupClasses(groupLabel), k, seed)
	scores := make([]float64, len(d.Y))
	for f := range k {
		var trX [][]float64
		var trY []bool
		held := false
		for i, row := range d.X {
			if fold[group[i]] != f {
				trX, trY = append(trX, row), append(trY, d.Y[i])
			} else {
				held = true
			}
		}
		if !held {
			continue
		}
		m, err := Train(d.Features, trX, trY, tc)
		if err != nil {
			return CrossValidation{}, fmt.Errorf("seizure: cross-validation fold %d: %w", f, err)
		}
		for i, row := range d.X {
			if fold[group[i]] == f {
				scores[i] = m.Probability(row)
			}
		}
	}
	cv.BalancedAccuracy = BalancedAccuracy(scores, d.Y, 0.5)
	cv.AUROC = AUROC(scores, d.Y)
	return cv, nil
}

// groups returns each window's group and each group's label (true when it
// holds a seizure window), and names the grouping in cv.
func (d *Dataset) groups(k int, cv *CrossValidation) (group []int, groupLabel []bool) {
	group = make([]int, len(d.Y))
	if d.Recordings >= k {
		groupLabel = make([]bool, d.Recordings)
		for i, r := range d.Recording {
			group[i] = r
			groupLabel[r] = groupLabel[r] || d.Y[i]
		}
		cv.Grouping = "grouped by recording"
		return group, groupLabel
	}
	block := 2 * int(math.Ceil(d.Window/d.Hop))
	g, size := -1, 0
	for i := range d.Y {
		if i == 0 || d.Recording[i] != d.Recording[i-1] || d.Y[i] != d.Y[i-1] ||
			d.Position[i] != d.Position[i-1]+1 || size == block {
			g++
			size = 0
			groupLabel = append(groupLabel, d.Y[i])
		}
		group[i] = g
		size++
	}
	cv.Grouping = fmt.Sprintf("grouped by contiguous blocks of ≤ %d windows, fewer than %d recordings", block, k)
	return group, groupLabel
}

// TrainDatasetConfig configures TrainDataset.
type TrainDatasetConfig struct {
	// Train configures the model. Its Balanced should be true: recordings
	// hold far fewer seizure windows than background ones.
	Train TrainConfig
	// Folds is k of the cross-validated estimate. Default: 5.
	Folds int
	// Seed seeds the fold assignment. Default: 0.
	Seed uint64
	// NoCV skips the estimate. Default: false.
	NoCV bool
	// Log receives what training found as it goes: the dataset summary,
	// then the cross-validated estimate. Default: nil, discarded.
	Log io.Writer
	// Notes receives why the estimate was skipped, when it was. Default:
	// nil, discarded.
	Notes io.Writer
}

// TrainDataset trains a model on every window of d, as `neurostream train
// seizure` does: it writes d's summary to cfg.Log, refuses a dataset
// without windows of both classes, trains on all windows, and unless
// cfg.NoCV writes the CrossValidate estimate (to cfg.Log, or why it was
// skipped to cfg.Notes).
func TrainDataset(d *Dataset, cfg TrainDatasetConfig) (*Model, error) {
	if cfg.Folds == 0 {
		cfg.Folds = 5
	}
	if !cfg.NoCV && cfg.Folds < 2 {
		return nil, fmt.Errorf("seizure: %d folds, want at least 2", cfg.Folds)
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Notes == nil {
		cfg.Notes = io.Discard
	}
	fmt.Fprintln(cfg.Log, d)
	if ictal, back := d.Counts(); ictal == 0 || back == 0 {
		return nil, fmt.Errorf("seizure: need windows of both classes (seizure %d, background %d); check the labels and the events files", ictal, back)
	}
	m, err := Train(d.Features, d.X, d.Y, cfg.Train)
	if err != nil || cfg.NoCV {
		return m, err
	}
	cv, err := CrossValidate(d, cfg.Train, cfg.Folds, cfg.Seed)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w (skip the estimate to train without it)", err)
	case cv.Skipped != "":
		fmt.Fprintf(cfg.Notes, "note: %v\n", cv)
	default:
		fmt.Fprintln(cfg.Log, cv)
	}
	return m, nil
}
