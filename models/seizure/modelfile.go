package seizure

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/neurostream/neurostream/models/modelfile"
)

// Model file identification. A seizure model file is one JSON object:
//
//	{"format": "neurostream-seizure-logreg", "version": 1, 2 or 3,
//	 "classifier": "logreg" or "gbt",            (versions 2 and 3)
//	 "features": {"sample_rate": Hz, "window_len": samples,
//	              "channels": n, "segment_len": samples,
//	              "coherence": bool, "extended": bool,
//	              "baseline_seconds": τ,         (version 3 only)
//	              "pool_channels": bool},         (version 3 only)
//	 "feature_names": [...],
//	 "normalization": {"mean": [...], "std": [...]},
//	 "weights": [...], "bias": b, "lambda": λ,   (logreg)
//	 "trees": [[{"feature", "threshold", "left", "right", "value"}, ...], ...]}
//	                                            (gbt; bias is the base log-odds)
//
// Version 1 is a logistic regression on the 17 base features per channel;
// version 2 adds the classifier field, gradient-boosted trees and the
// extended features; version 3 adds baseline-relative features
// (FeatureConfig.BaselineSeconds) and channel pooling (PoolChannels). Save writes the oldest version that
// holds the model, so such files stay readable by older builds; Load
// reads all three. The
// format name is kept for tree models so that one name identifies the file
// family.
//
// The header, reading and writing are models/modelfile's: JSON numbers
// round-trip float64 exactly, so a loaded model scores bit for bit like the
// saved one. Readers refuse other formats and versions, unknown keys, and a
// feature list that differs from what the spec computes today.
const (
	ModelFormat  = "neurostream-seizure-logreg"
	ModelVersion = 3
)

// modelKind is the family as this build reads it.
var modelKind = modelfile.Kind{Format: ModelFormat, Oldest: 1, Newest: ModelVersion, Strict: true}

type normalization struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

type modelFile struct {
	modelfile.Header
	Classifier    string        `json:"classifier,omitempty"`
	Features      FeatureConfig `json:"features"`
	FeatureNames  []string      `json:"feature_names"`
	Normalization normalization `json:"normalization"`
	Weights       []float64     `json:"weights,omitempty"`
	Bias          float64       `json:"bias"`
	Lambda        float64       `json:"lambda"`
	Trees         []Tree        `json:"trees,omitempty"`
}

// Save writes m to w as a versioned JSON model file: version 1 for a
// logistic regression on the base features, version 3 for a model on
// baseline-relative features, else version 2.
func (m *Model) Save(w io.Writer) error {
	f := modelFile{Header: modelfile.Header{Format: ModelFormat, Version: 1}, Features: m.Features,
		FeatureNames: m.Names, Normalization: normalization{Mean: m.Mean, Std: m.Std},
		Weights: m.Weights, Bias: m.Bias, Lambda: m.Lambda, Trees: m.Trees}
	if m.Trees != nil || m.Features.Extended {
		f.Version, f.Classifier = 2, "logreg"
		if m.Trees != nil {
			f.Classifier = "gbt"
		}
	}
	if m.Features.BaselineSeconds > 0 || m.Features.PoolChannels {
		f.Version, f.Classifier = 3, "logreg"
		if m.Trees != nil {
			f.Classifier = "gbt"
		}
	}
	if err := modelfile.Write(w, &f, " "); err != nil {
		return fmt.Errorf("seizure: save model: %w", err)
	}
	return nil
}

// checkKind checks that the version holds the fields given and that the
// classifier's parameters are there.
func (f *modelFile) checkKind() error {
	switch {
	case f.Version == 1 && (f.Classifier != "" || f.Trees != nil || f.Features.Extended):
		return errors.New("version 1 has no classifier, trees or extended features")
	case f.Version < 3 && (f.Features.BaselineSeconds != 0 || f.Features.PoolChannels):
		return fmt.Errorf("version %d has no baseline_seconds or pool_channels (version 3)", f.Version)
	case f.Version >= 2 && f.Classifier != "logreg" && f.Classifier != "gbt":
		return fmt.Errorf("classifier %q, want \"logreg\" or \"gbt\"", f.Classifier)
	case f.Classifier == "gbt" && (len(f.Trees) == 0 || f.Weights != nil):
		return errors.New("a gbt model has trees and no weights")
	case f.Classifier != "gbt" && f.Trees != nil:
		return errors.New("a logreg model has no trees")
	}
	return nil
}

// Load reads a model file written by Save. An error names what is wrong:
// another format or version, an invalid feature spec, feature names or
// vector lengths that do not match the spec, non-finite parameters.
func Load(r io.Reader) (*Model, error) {
	var f modelFile
	if err := modelKind.Read(r, &f); err != nil {
		return nil, fmt.Errorf("seizure: load model: %w", err)
	}
	if err := f.checkKind(); err != nil {
		return nil, fmt.Errorf("seizure: load model: %w", err)
	}
	gbt := f.Classifier == "gbt"
	ex, err := NewExtractor(f.Features)
	if err != nil {
		return nil, fmt.Errorf("seizure: load model: %w", err)
	}
	if ex.Config() != f.Features {
		return nil, errors.New("seizure: load model: feature spec has unset fields (segment_len)")
	}
	if !slices.Equal(ex.InputNames(), f.FeatureNames) {
		return nil, fmt.Errorf("seizure: load model: feature_names differ from the %d features the spec computes", ex.InputLen())
	}
	d := ex.InputLen()
	for _, v := range []struct {
		name string
		x    []float64
	}{{"normalization.mean", f.Normalization.Mean}, {"normalization.std", f.Normalization.Std}, {"weights", f.Weights}} {
		if gbt && v.name == "weights" {
			continue
		}
		if len(v.x) != d {
			return nil, fmt.Errorf("seizure: load model: %s has %d values, want %d", v.name, len(v.x), d)
		}
		for i, x := range v.x {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("seizure: load model: %s[%d] is not finite", v.name, i)
			}
		}
	}
	for i, s := range f.Normalization.Std {
		if !(s > 0) {
			return nil, fmt.Errorf("seizure: load model: normalization.std[%d] = %v, want > 0", i, s)
		}
	}
	if math.IsNaN(f.Bias) || math.IsInf(f.Bias, 0) || !(f.Lambda >= 0) {
		return nil, errors.New("seizure: load model: bias or lambda invalid")
	}
	if err := checkTrees(f.Trees, d); err != nil {
		return nil, fmt.Errorf("seizure: load model: %w", err)
	}
	return &Model{Features: f.Features, Names: f.FeatureNames, Mean: f.Normalization.Mean,
		Std: f.Normalization.Std, Weights: f.Weights, Bias: f.Bias, Lambda: f.Lambda, Trees: f.Trees}, nil
}
