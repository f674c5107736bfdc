package ssvep

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/neurostream/neurostream/models/modelfile"
)

// Model file identification. A TRCA model file is one JSON object:
//
//	{"format": "neurostream-ssvep-trca", "version": 1,
//	 "method": "trca" | "etrca",
//	 "config": TRCAConfig (sample_rate, freqs, channels, ensemble,
//	           filter_bank {sub_bands, bands [{pass_low, pass_high,
//	           stop_low, stop_high}], weights, causal}, no_control),
//	 "filter_design": {"family": "cheby1", "ripple_db": 0.5,
//	           "pass_loss_db": 3, "stop_atten_db": 40, "orders": [...]},
//	 "samples": n, "num_channels": c, "trials_per_target": [...],
//	 "no_control": {"rule", "threshold"},
//	 "filters": [band][target][channel],
//	 "templates": [band][target][channel][sample]}
//
// Everything a scorer needs is in the file: the filter bank is redesigned
// from its spec on load and must come out with the recorded orders. The
// header, reading and writing are models/modelfile's: JSON numbers
// round-trip float64 exactly, so a loaded model scores bit for bit like the
// saved one. Readers refuse other formats and versions.
const (
	ModelFormat  = "neurostream-ssvep-trca"
	ModelVersion = 1
)

// modelKind is the family as this build reads it.
var modelKind = modelfile.Kind{Format: ModelFormat, Oldest: ModelVersion, Newest: ModelVersion}

type filterDesign struct {
	Family      string  `json:"family"`
	RippleDB    float64 `json:"ripple_db"`
	PassLossDB  float64 `json:"pass_loss_db"`
	StopAttenDB float64 `json:"stop_atten_db"`
	Orders      []int   `json:"orders"`
}

type modelFile struct {
	modelfile.Header
	Method          string          `json:"method"`
	Config          TRCAConfig      `json:"config"`
	FilterDesign    filterDesign    `json:"filter_design"`
	Samples         int             `json:"samples"`
	NumChannels     int             `json:"num_channels"`
	TrialsPerTarget []int           `json:"trials_per_target"`
	NoControl       NoControl       `json:"no_control"`
	Filters         [][][]float64   `json:"filters"`
	Templates       [][][][]float64 `json:"templates"`
}

// Save writes the model to w as a versioned JSON model file.
func (m *TRCA) Save(w io.Writer) error {
	method := "trca"
	if m.cfg.Ensemble {
		method = "etrca"
	}
	f := modelFile{
		Header: modelfile.Header{Format: ModelFormat, Version: ModelVersion}, Method: method,
		Config: m.Config(),
		FilterDesign: filterDesign{Family: "cheby1", RippleDB: FilterRippleDB, PassLossDB: FilterPassLossDB,
			StopAttenDB: FilterStopAttenDB, Orders: slices.Clone(m.fb.orders)},
		Samples: m.samples, NumChannels: m.channels, TrialsPerTarget: m.trials,
		NoControl: m.noControl, Filters: m.filters, Templates: m.templates,
	}
	if err := modelfile.Write(w, &f, ""); err != nil {
		return fmt.Errorf("ssvep: save trca model: %w", err)
	}
	return nil
}

// LoadTRCA reads a model file written by Save. An error names what is
// wrong: another format or version, inconsistent dimensions, a filter bank
// that no longer designs to the recorded orders, non-finite parameters.
func LoadTRCA(r io.Reader) (*TRCA, error) {
	return loadFile(r, modelKind, "trca model", modelFromFile)
}

func modelFromFile(f *modelFile) (*TRCA, error) {
	cfg := f.Config
	if err := validateTargets(cfg.Freqs, cfg.SampleRate); err != nil {
		return nil, err
	}
	if want := map[bool]string{false: "trca", true: "etrca"}[cfg.Ensemble]; f.Method != want {
		return nil, fmt.Errorf("method %q disagrees with ensemble=%v", f.Method, cfg.Ensemble)
	}
	if f.Samples < 2 || f.NumChannels < 1 {
		return nil, fmt.Errorf("window of %d channels × %d samples", f.NumChannels, f.Samples)
	}
	if cfg.Channels != nil && len(cfg.Channels) != f.NumChannels {
		return nil, fmt.Errorf("%d channel names for %d channels", len(cfg.Channels), f.NumChannels)
	}
	d := f.FilterDesign
	if d.Family != "cheby1" || d.RippleDB != FilterRippleDB || d.PassLossDB != FilterPassLossDB || d.StopAttenDB != FilterStopAttenDB {
		return nil, fmt.Errorf("filter design %+v: this build designs cheby1 with %v dB ripple, %v/%v dB", d, FilterRippleDB, FilterPassLossDB, FilterStopAttenDB)
	}
	if !cfg.NoControl.Valid() || f.NoControl.Rule != cfg.NoControl {
		return nil, fmt.Errorf("no-control rule %q with calibrated rule %q", cfg.NoControl, f.NoControl.Rule)
	}
	if math.IsNaN(f.NoControl.Threshold) {
		return nil, errors.New("no-control threshold is NaN")
	}
	fb, err := NewFilterBank(cfg.FilterBank, cfg.SampleRate, f.NumChannels)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(fb.orders, d.Orders) {
		return nil, fmt.Errorf("filter bank designs to orders %v, the file records %v", fb.orders, d.Orders)
	}
	nb, nt := fb.Len(), len(cfg.Freqs)
	if len(f.TrialsPerTarget) != nt {
		return nil, fmt.Errorf("%d trial counts for %d targets", len(f.TrialsPerTarget), nt)
	}
	if len(f.Filters) != nb || len(f.Templates) != nb {
		return nil, fmt.Errorf("%d filter and %d template sub-bands, want %d", len(f.Filters), len(f.Templates), nb)
	}
	for n := range nb {
		if len(f.Filters[n]) != nt || len(f.Templates[n]) != nt {
			return nil, fmt.Errorf("sub-band %d: %d filters and %d templates, want %d", n+1, len(f.Filters[n]), len(f.Templates[n]), nt)
		}
		for k := range nt {
			if err := finiteVector(f.Filters[n][k], f.NumChannels); err != nil {
				return nil, fmt.Errorf("sub-band %d target %d filter: %w", n+1, k, err)
			}
			t := f.Templates[n][k]
			if len(t) != f.NumChannels {
				return nil, fmt.Errorf("sub-band %d target %d template has %d channels, want %d", n+1, k, len(t), f.NumChannels)
			}
			for c, row := range t {
				if err := finiteVector(row, f.Samples); err != nil {
					return nil, fmt.Errorf("sub-band %d target %d template channel %d: %w", n+1, k, c, err)
				}
			}
		}
	}
	cfg.FilterBank = fb.Config()
	m := &TRCA{cfg: cfg, samples: f.Samples, channels: f.NumChannels, fb: fb,
		filters: f.Filters, templates: f.Templates, trials: f.TrialsPerTarget, noControl: f.NoControl}
	m.prepare()
	return m, nil
}

func finiteVector(v []float64, n int) error {
	if len(v) != n {
		return fmt.Errorf("length %d, want %d", len(v), n)
	}
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("value %d is %v", i, x)
		}
	}
	return nil
}

// loadFile reads a model file of kind and builds its model with build;
// either error is prefixed with "ssvep: load " and what.
func loadFile[F any, PF interface {
	*F
	modelfile.File
}, M any](r io.Reader, kind modelfile.Kind, what string, build func(PF) (M, error)) (M, error) {
	var f F
	var none M
	if err := kind.Read(r, PF(&f)); err != nil {
		return none, fmt.Errorf("ssvep: load %s: %w", what, err)
	}
	m, err := build(&f)
	if err != nil {
		return none, fmt.Errorf("ssvep: load %s: %w", what, err)
	}
	return m, nil
}
