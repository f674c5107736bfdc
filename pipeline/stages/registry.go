package stages

import (
	"fmt"
	"slices"
	"strings"

	"github.com/go-viper/mapstructure/v2"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// constructor builds a stage from its YAML options; errors name the option
// key relative to the stage.
type constructor func(name string, opts map[string]any) (pipeline.StageBuilder, []error)

var registry = map[string]constructor{
	"psd": func(name string, opts map[string]any) (pipeline.StageBuilder, []error) {
		var c PSDConfig
		if errs := decode(opts, &c); errs != nil {
			return nil, errs
		}
		if errs := c.Validate(); errs != nil {
			return nil, errs
		}
		return NewPSD(name, c), nil
	},
	"coherence": func(name string, opts map[string]any) (pipeline.StageBuilder, []error) {
		var c CoherenceConfig
		if errs := decode(opts, &c); errs != nil {
			return nil, errs
		}
		if errs := c.Validate(); errs != nil {
			return nil, errs
		}
		return NewCoherence(name, c), nil
	},
	"xcorr": func(name string, opts map[string]any) (pipeline.StageBuilder, []error) {
		var c XCorrConfig
		if errs := decode(opts, &c); errs != nil {
			return nil, errs
		}
		if errs := c.Validate(); errs != nil {
			return nil, errs
		}
		return NewXCorr(name, c), nil
	},
	"ssvep": func(name string, opts map[string]any) (pipeline.StageBuilder, []error) {
		var c SSVEPConfig
		if errs := decode(opts, &c); errs != nil {
			return nil, errs
		}
		if errs := c.Validate(); errs != nil {
			return nil, errs
		}
		s, err := NewSSVEP(name, c)
		if err != nil {
			return nil, []error{err}
		}
		return s, nil
	},
	"seizure": func(name string, opts map[string]any) (pipeline.StageBuilder, []error) {
		var c SeizureConfig
		if errs := decode(opts, &c); errs != nil {
			return nil, errs
		}
		if errs := c.Validate(); errs != nil {
			return nil, errs
		}
		s, err := NewSeizure(name, c)
		if err != nil {
			return nil, []error{err}
		}
		return s, nil
	},
	"tokens": func(name string, opts map[string]any) (pipeline.StageBuilder, []error) {
		var c TokensConfig
		if errs := decode(opts, &c); errs != nil {
			return nil, errs
		}
		if errs := c.Validate(); errs != nil {
			return nil, errs
		}
		t, err := NewTokens(name, c)
		if err != nil {
			return nil, []error{err}
		}
		return t, nil
	},
}

// RateChecker is implemented by stage builders whose options can be
// checked against a sample rate and window length before any session
// starts: `config validate` calls it when the rate is known there
// (simulated sessions, a configured rate). Each error names its key
// relative to the stage, as Build's do.
type RateChecker interface {
	// CheckRate reports what NewSession would refuse in a session at
	// rate Hz with windows of windowLength samples (0: not known).
	CheckRate(rate float64, windowLength int64) []error
}

// Types lists the stage types a configuration may name.
func Types() []string {
	t := make([]string, 0, len(registry))
	for k := range registry {
		t = append(t, k)
	}
	slices.Sort(t)
	return t
}

// Build returns the stage builder for a configured stage of type typ.
// Kinds returns the result kinds a stage type writes (psd: psd and
// bandpower), nil for an unknown type.
func Kinds(typ string) []arrowout.Kind {
	switch typ {
	case "psd":
		return []arrowout.Kind{arrowout.KindPSD, arrowout.KindBandPower}
	case "coherence":
		return []arrowout.Kind{arrowout.KindCoherence}
	case "xcorr":
		return []arrowout.Kind{arrowout.KindXCorr}
	case "ssvep":
		return []arrowout.Kind{arrowout.KindSSVEP}
	case "seizure":
		return []arrowout.Kind{arrowout.KindSeizure}
	case "tokens":
		return []arrowout.Kind{arrowout.KindTokens}
	}
	return nil
}

func Build(typ, name string, opts map[string]any) (pipeline.StageBuilder, []error) {
	c, ok := registry[typ]
	if !ok {
		return nil, []error{fmt.Errorf("type: unknown stage type %q (want one of %s)", typ, strings.Join(Types(), ", "))}
	}
	if name == "" {
		name = typ
	}
	opts, errs := withNewNames(typ, opts)
	if errs != nil {
		return nil, errs
	}
	return c(name, opts)
}

// decode fills dst from YAML options, rejecting unknown keys.
func decode(opts map[string]any, dst any) []error {
	d, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:           dst,
		ErrorUnused:      true,
		WeaklyTypedInput: true,
		DecodeHook:       mapstructure.StringToSliceHookFunc(","),
	})
	if err != nil {
		return []error{err}
	}
	if err := d.Decode(opts); err != nil {
		return []error{err}
	}
	return nil
}
