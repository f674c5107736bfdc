package seizure

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
)

// Model file identification. A seizure model file is one JSON object:
//
//	{"format": "neurostream-seizure-logreg", "version": 1,
//	 "features": {"sample_rate": Hz, "window_len": samples,
//	              "channels": n, "segment_len": samples,
//	              "coherence": bool},
//	 "feature_names": [...],
//	 "normalization": {"mean": [...], "std": [...]},
//	 "weights": [...], "bias": b, "lambda": λ}
//
// JSON numbers round-trip float64 exactly (encoding/json writes the
// shortest representation that parses back to the same value), so a loaded
// model scores bit for bit like the saved one. Readers refuse other formats
// and versions, and a feature list that differs from what the spec
// computes today.
const (
	ModelFormat  = "neurostream-seizure-logreg"
	ModelVersion = 1
)

type normalization struct {
	Mean []float64 `json:"mean"`
	Std  []float64 `json:"std"`
}

type modelFile struct {
	Format        string        `json:"format"`
	Version       int           `json:"version"`
	Features      FeatureConfig `json:"features"`
	FeatureNames  []string      `json:"feature_names"`
	Normalization normalization `json:"normalization"`
	Weights       []float64     `json:"weights"`
	Bias          float64       `json:"bias"`
	Lambda        float64       `json:"lambda"`
}

// Save writes m to w as a versioned JSON model file.
func (m *Model) Save(w io.Writer) error {
	f := modelFile{Format: ModelFormat, Version: ModelVersion, Features: m.Features,
		FeatureNames: m.Names, Normalization: normalization{Mean: m.Mean, Std: m.Std},
		Weights: m.Weights, Bias: m.Bias, Lambda: m.Lambda}
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(&f); err != nil {
		return fmt.Errorf("seizure: save model: %w", err)
	}
	return nil
}

// Load reads a model file written by Save. An error names what is wrong:
// another format or version, an invalid feature spec, feature names or
// vector lengths that do not match the spec, non-finite parameters.
func Load(r io.Reader) (*Model, error) {
	var f modelFile
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("seizure: load model: %w", err)
	}
	if f.Format != ModelFormat {
		return nil, fmt.Errorf("seizure: load model: format %q, want %q", f.Format, ModelFormat)
	}
	if f.Version != ModelVersion {
		return nil, fmt.Errorf("seizure: load model: version %d, want %d", f.Version, ModelVersion)
	}
	ex, err := NewExtractor(f.Features)
	if err != nil {
		return nil, fmt.Errorf("seizure: load model: %w", err)
	}
	if ex.Config() != f.Features {
		return nil, errors.New("seizure: load model: feature spec has unset fields (segment_len)")
	}
	if !slices.Equal(ex.Names(), f.FeatureNames) {
		return nil, fmt.Errorf("seizure: load model: feature_names differ from the %d features the spec computes", ex.Len())
	}
	d := ex.Len()
	for _, v := range []struct {
		name string
		x    []float64
	}{{"normalization.mean", f.Normalization.Mean}, {"normalization.std", f.Normalization.Std}, {"weights", f.Weights}} {
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
	return &Model{Features: f.Features, Names: f.FeatureNames, Mean: f.Normalization.Mean,
		Std: f.Normalization.Std, Weights: f.Weights, Bias: f.Bias, Lambda: f.Lambda}, nil
}
