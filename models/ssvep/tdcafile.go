package ssvep

import (
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/neurostream/neurostream/models/modelfile"
)

// TDCA model files. One JSON object:
//
//	{"format": "neurostream-ssvep-tdca", "version": 1, "method": "tdca",
//	 "config": TDCAConfig (sample_rate, freqs, channels, delays,
//	           components, harmonics, filter_bank),
//	 "filter_design": as TRCA's, "samples": n, "num_channels": c,
//	 "classes": [-1 (rest, if trained with it), 0, 1, …],
//	 "filters": [band][component][channels·(delays+1)],
//	 "templates": [band][class][component][2·samples],
//	 "no_control": {"rule", "threshold"} (rule "": rest, if a class,
//	           by its template),
//	 "selection": TDCASelection (omitted without one)}
//
// The filter bank and the reference bases are rebuilt from the
// configuration on load (the bank must design to the recorded orders);
// JSON numbers round-trip float64 exactly, so a loaded model scores bit
// for bit like the saved one.
const (
	TDCAModelFormat  = "neurostream-ssvep-tdca"
	TDCAModelVersion = 1
)

var tdcaKind = modelfile.Kind{Format: TDCAModelFormat, Oldest: TDCAModelVersion, Newest: TDCAModelVersion}

type tdcaFile struct {
	modelfile.Header
	Method       string          `json:"method"`
	Config       TDCAConfig      `json:"config"`
	FilterDesign filterDesign    `json:"filter_design"`
	Samples      int             `json:"samples"`
	NumChannels  int             `json:"num_channels"`
	Classes      []int           `json:"classes"`
	Filters      [][][]float64   `json:"filters"`
	Templates    [][][][]float64 `json:"templates"`
	NoControl    NoControl       `json:"no_control"`
	Selection    *TDCASelection  `json:"selection,omitempty"`
}

// Save writes the model to w as a versioned JSON model file.
func (m *TDCA) Save(w io.Writer) error {
	f := tdcaFile{Header: modelfile.Header{Format: TDCAModelFormat, Version: TDCAModelVersion}, Method: MethodTDCA,
		Config: m.Config(),
		FilterDesign: filterDesign{Family: "cheby1", RippleDB: FilterRippleDB, PassLossDB: FilterPassLossDB,
			StopAttenDB: FilterStopAttenDB, Orders: slices.Clone(m.fb.orders)},
		Samples: m.samples, NumChannels: m.channels, Classes: m.classes, Filters: m.filters, Templates: m.templates,
		NoControl: m.noControl, Selection: m.sel}
	if err := modelfile.Write(w, &f, ""); err != nil {
		return fmt.Errorf("ssvep: save tdca model: %w", err)
	}
	return nil
}

// LoadTDCA reads a model file written by TDCA.Save. An error names what
// is wrong: another format or version, inconsistent dimensions, a filter
// bank that no longer designs to the recorded orders, non-finite
// parameters.
func LoadTDCA(r io.Reader) (*TDCA, error) {
	return loadFile(r, tdcaKind, "tdca model", tdcaFromFile)
}

func tdcaFromFile(f *tdcaFile) (*TDCA, error) {
	if f.Method != MethodTDCA {
		return nil, fmt.Errorf("method %q, want %s", f.Method, MethodTDCA)
	}
	if f.Samples < 2 || f.NumChannels < 1 {
		return nil, fmt.Errorf("window of %d channels × %d samples", f.NumChannels, f.Samples)
	}
	cfg, err := f.Config.resolve(f.NumChannels, f.Samples)
	if err != nil {
		return nil, err
	}
	if cfg.Harmonics != f.Config.Harmonics || cfg.Components != f.Config.Components {
		return nil, fmt.Errorf("config has %d harmonics and %d components: want them set", f.Config.Harmonics, f.Config.Components)
	}
	d := f.FilterDesign
	if d.Family != "cheby1" || d.RippleDB != FilterRippleDB || d.PassLossDB != FilterPassLossDB || d.StopAttenDB != FilterStopAttenDB {
		return nil, fmt.Errorf("filter design %+v: this build designs cheby1 with %v dB ripple, %v/%v dB", d, FilterRippleDB, FilterPassLossDB, FilterStopAttenDB)
	}
	fb, err := NewFilterBank(cfg.FilterBank, cfg.SampleRate, f.NumChannels)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(fb.orders, d.Orders) {
		return nil, fmt.Errorf("filter bank designs to orders %v, the file records %v", fb.orders, d.Orders)
	}
	if len(f.Classes) < 2 || !slices.IsSorted(f.Classes) || len(slices.Compact(slices.Clone(f.Classes))) != len(f.Classes) {
		return nil, fmt.Errorf("classes %v: want ≥ 2, ascending, distinct", f.Classes)
	}
	for k := range cfg.Freqs {
		if !slices.Contains(f.Classes, k) {
			return nil, fmt.Errorf("classes %v lack target %d", f.Classes, k)
		}
	}
	if f.Classes[0] < Rest || f.Classes[len(f.Classes)-1] >= len(cfg.Freqs) {
		return nil, fmt.Errorf("classes %v outside [%d, %d)", f.Classes, Rest, len(cfg.Freqs))
	}
	if err := f.checkParameters(fb.Len(), cfg); err != nil {
		return nil, err
	}
	if s := f.Selection; s != nil && (s.Delays != cfg.Delays || s.Components != cfg.Components || !(s.OffsetSeconds >= 0)) {
		return nil, fmt.Errorf("selection %+v disagrees with the config (%d delays, %d components) or has a negative offset", *s, cfg.Delays, cfg.Components)
	}
	nc := f.NoControl
	if !nc.Rule.Valid() || math.IsNaN(nc.Threshold) {
		return nil, fmt.Errorf("no-control rule %q threshold %v: want none, top or margin and a number", nc.Rule, nc.Threshold)
	}
	cfg.FilterBank = fb.Config()
	m := &TDCA{noControl: nc, cfg: cfg, samples: f.Samples, channels: f.NumChannels, fb: fb, classes: f.Classes,
		filters: f.Filters, templates: f.Templates, basis: tdcaBases(cfg, f.Classes, f.Samples), sel: f.Selection}
	m.prepare()
	return m, nil
}

// checkParameters checks the filters' and templates' dimensions (nb
// sub-bands of cfg) and that every entry is finite.
func (f *tdcaFile) checkParameters(nb int, cfg TDCAConfig) error {
	dims := f.NumChannels * (cfg.Delays + 1)
	if len(f.Filters) != nb || len(f.Templates) != nb {
		return fmt.Errorf("%d filter and %d template sub-bands, want %d", len(f.Filters), len(f.Templates), nb)
	}
	for b := range nb {
		if len(f.Filters[b]) != cfg.Components || len(f.Templates[b]) != len(f.Classes) {
			return fmt.Errorf("sub-band %d: %d filters and %d class templates, want %d and %d", b+1, len(f.Filters[b]), len(f.Templates[b]), cfg.Components, len(f.Classes))
		}
		for j, w := range f.Filters[b] {
			if err := finiteVector(w, dims); err != nil {
				return fmt.Errorf("sub-band %d filter %d: %w", b+1, j, err)
			}
		}
		for k, t := range f.Templates[b] {
			if len(t) != cfg.Components {
				return fmt.Errorf("sub-band %d class %d template has %d rows, want %d", b+1, f.Classes[k], len(t), cfg.Components)
			}
			for j, row := range t {
				if err := finiteVector(row, 2*f.Samples); err != nil {
					return fmt.Errorf("sub-band %d class %d template row %d: %w", b+1, f.Classes[k], j, err)
				}
			}
		}
	}
	return nil
}
