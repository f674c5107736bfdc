package stages

import (
	"fmt"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
)

// FilterConfig is the "filter" preprocess step: an IIR filter designed as
// scipy.signal.butter or cheby1 (output='sos') and run causally with state
// carried across chunks (scipy.signal.sosfilt from zero initial state).
type FilterConfig struct {
	// Design is "butter" or "cheby1". Default: butter.
	Design string `mapstructure:"design"`
	// Kind is lowpass, highpass, bandpass or bandstop. Required.
	Kind string `mapstructure:"kind"`
	// Order of the prototype. Default: 4.
	Order int `mapstructure:"order"`
	// Edges in Hz: one for low/highpass, two for band filters. Required.
	Edges []float64 `mapstructure:"edges"`
	// RippleDB is cheby1's passband ripple in dB. Default: 0.5.
	RippleDB float64 `mapstructure:"ripple_db"`
}

// NotchConfig is the "notch" step: scipy.signal.iirnotch at Freq and its
// first Harmonics-1 multiples below Nyquist.
type NotchConfig struct {
	// Freq in Hz. Default: 50.
	Freq float64 `mapstructure:"freq"`
	// Q is the quality factor. Default: 30.
	Q float64 `mapstructure:"q"`
	// Harmonics counts the fundamental. Default: 1.
	Harmonics int `mapstructure:"harmonics"`
}

// ReferenceConfig is the "reference" step: common average reference, as
// mne.set_eeg_reference('average') applied to the data.
type ReferenceConfig struct {
	// Types are the channel types averaged and re-referenced.
	// Default: [eeg].
	Types []string `mapstructure:"types"`
	// Exclude lists labels (bad channels) neither averaged nor changed,
	// as MNE treats bad channels.
	Exclude []string `mapstructure:"exclude"`
}

// ResampleConfig is the "resample" step: polyphase resampling by Up/Down
// as scipy.signal.resample_poly (Kaiser-windowed FIR), streamed.
type ResampleConfig struct {
	Up   int `mapstructure:"up"`
	Down int `mapstructure:"down"`
}

type preConstructor func(name string, opts map[string]any) (pipeline.Preprocessor, []error)

var preRegistry = map[string]preConstructor{
	"filter": func(name string, opts map[string]any) (pipeline.Preprocessor, []error) {
		c := FilterConfig{Design: "butter", Order: 4, RippleDB: 0.5}
		if errs := decode(opts, &c); errs != nil {
			return nil, errs
		}
		kind, err := dsp.ParseFilterKind(c.Kind)
		if err != nil {
			return nil, []error{fmt.Errorf("kind: %v", err)}
		}
		var errs []error
		if c.Design != "butter" && c.Design != "cheby1" {
			errs = append(errs, fmt.Errorf("design: want butter or cheby1, got %q", c.Design))
		}
		want := 1
		if kind == dsp.Bandpass || kind == dsp.Bandstop {
			want = 2
		}
		if len(c.Edges) != want {
			errs = append(errs, fmt.Errorf("edges: %s needs %d edge(s) in Hz, got %v", kind, want, c.Edges))
		}
		if c.Order < 1 || c.Order > 20 {
			errs = append(errs, fmt.Errorf("order: want 1 to 20, got %d", c.Order))
		}
		if errs != nil {
			return nil, errs
		}
		return &sosStep{name: name, design: func(fs float64) (dsp.SOS, error) {
			if c.Design == "cheby1" {
				return dsp.Cheby1(c.Order, c.RippleDB, c.Edges, kind, fs)
			}
			return dsp.Butter(c.Order, c.Edges, kind, fs)
		}}, nil
	},
	"notch": func(name string, opts map[string]any) (pipeline.Preprocessor, []error) {
		c := NotchConfig{Freq: 50, Q: 30, Harmonics: 1}
		if errs := decode(opts, &c); errs != nil {
			return nil, errs
		}
		if !(c.Freq > 0) || !(c.Q > 0) || c.Harmonics < 1 {
			return nil, []error{fmt.Errorf("freq, q, harmonics: want positive values, got %g, %g, %d", c.Freq, c.Q, c.Harmonics)}
		}
		return &sosStep{name: name, design: func(fs float64) (dsp.SOS, error) {
			var sos dsp.SOS
			for h := 1; h <= c.Harmonics && float64(h)*c.Freq < fs/2; h++ {
				s, err := dsp.Notch(float64(h)*c.Freq, c.Q, fs)
				if err != nil {
					return nil, err
				}
				sos = append(sos, s...)
			}
			if sos == nil {
				return nil, fmt.Errorf("notch at %g Hz is above Nyquist (%g Hz)", c.Freq, fs/2)
			}
			return sos, nil
		}}, nil
	},
	"reference": func(name string, opts map[string]any) (pipeline.Preprocessor, []error) {
		c := ReferenceConfig{Types: []string{"eeg"}}
		if errs := decode(opts, &c); errs != nil {
			return nil, errs
		}
		for i, t := range c.Types {
			if !formats.ChannelType(t).Valid() {
				return nil, []error{fmt.Errorf("types[%d]: unknown channel type %q", i, t)}
			}
		}
		return &refStep{name: name, cfg: c}, nil
	},
	"resample": func(name string, opts map[string]any) (pipeline.Preprocessor, []error) {
		var c ResampleConfig
		if errs := decode(opts, &c); errs != nil {
			return nil, errs
		}
		if c.Up < 1 || c.Down < 1 {
			return nil, []error{fmt.Errorf("up, down: want positive integers, got %d, %d", c.Up, c.Down)}
		}
		return &resampleStep{name: name, cfg: c}, nil
	},
}

// PreprocessTypes lists the preprocess step types a configuration may name.
func PreprocessTypes() []string {
	t := make([]string, 0, len(preRegistry))
	for k := range preRegistry {
		t = append(t, k)
	}
	slices.Sort(t)
	return t
}

// BuildPreprocess returns the preprocessor for a configured step.
func BuildPreprocess(typ, name string, opts map[string]any) (pipeline.Preprocessor, []error) {
	c, ok := preRegistry[typ]
	if !ok {
		return nil, []error{fmt.Errorf("type: unknown preprocess type %q (want one of %s)", typ, strings.Join(PreprocessTypes(), ", "))}
	}
	if name == "" {
		name = typ
	}
	return c(name, opts)
}

// sosStep runs an SOS filter designed for the session's rate.
type sosStep struct {
	name   string
	design func(fs float64) (dsp.SOS, error)
}

func (s *sosStep) Name() string { return s.name }

// NewSession filters every channel but stim channels, whose event codes a
// filter would smear (MNE's raw.filter leaves them alone too).
func (s *sosStep) NewSession(in pipeline.SessionInfo) (pipeline.Preprocess, pipeline.SessionInfo, error) {
	sos, err := s.design(in.SampleRate)
	if err != nil {
		return nil, in, err
	}
	var idx []int
	for i, ch := range in.Channels {
		if ch.Type != formats.Stim {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return sosSession{}, in, nil
	}
	f, err := dsp.NewSOSFilter(sos, len(idx), dsp.InitZero)
	if err != nil {
		return nil, in, err
	}
	return sosSession{f: f, idx: idx, z: make([]float64, 2*len(sos)), sum: sosSum(sos, len(idx))}, in, nil
}

type sosSession struct {
	f   *dsp.SOSFilter
	idx []int // the filtered channels
	// z is State's scratch; sum fingerprints the sections and channel
	// count, so a checkpoint of another filter is refused.
	z   []float64
	sum uint64
}

func (s sosSession) Process(x [][]float64, first int64) ([][]float64, int64, error) {
	for k, c := range s.idx {
		x[c] = s.f.Filter(x[c], x[c], k)
	}
	return x, first, nil
}

func (s sosSession) Reset() {
	if s.f != nil {
		s.f.Reset()
	}
}

// refStep re-references to the average of the selected channels.
type refStep struct {
	name string
	cfg  ReferenceConfig
}

func (r *refStep) Name() string { return r.name }

func (r *refStep) NewSession(in pipeline.SessionInfo) (pipeline.Preprocess, pipeline.SessionInfo, error) {
	// As MNE: channels of other types and bad channels are neither
	// averaged nor changed.
	ref := dsp.AverageReference{Exclude: make([]bool, len(in.Channels)), KeepExcluded: true}
	n := 0
	for i, ch := range in.Channels {
		ref.Exclude[i] = !slices.Contains(r.cfg.Types, string(ch.Type)) || slices.Contains(r.cfg.Exclude, ch.Label)
		if !ref.Exclude[i] {
			n++
		}
	}
	if n == 0 {
		return nil, in, fmt.Errorf("reference: no channel of types %v left to average", r.cfg.Types)
	}
	return refSession{ref}, in, nil
}

type refSession struct{ ref dsp.AverageReference }

func (r refSession) Process(x [][]float64, first int64) ([][]float64, int64, error) {
	out, err := r.ref.Apply(x, x)
	return out, first, err
}

func (refSession) Reset() {}

// resampleStep resamples by Up/Down.
type resampleStep struct {
	name string
	cfg  ResampleConfig
}

func (r *resampleStep) Name() string { return r.name }

func (r *resampleStep) NewSession(in pipeline.SessionInfo) (pipeline.Preprocess, pipeline.SessionInfo, error) {
	rs, err := dsp.NewResampler(r.cfg.Up, r.cfg.Down, len(in.Channels))
	if err != nil {
		return nil, in, err
	}
	out := in
	out.SampleRate = in.SampleRate * float64(rs.Up()) / float64(rs.Down())
	out.Channels = slices.Clone(in.Channels)
	for i := range out.Channels {
		out.Channels[i].SampleRate = out.SampleRate
	}
	return &resampleSession{rs: rs, out: make([][]float64, len(in.Channels)), start: -1}, out, nil
}

// resampleSession streams one session. Output sample j of a run that
// started at input sample s (a multiple of Down/gcd, so input and output
// clocks align) is output-clock sample s·Up/Down + j.
type resampleSession struct {
	rs      *dsp.Resampler
	out     [][]float64
	start   int64 // output-clock index of the run's first output; -1 before
	emitted int64 // outputs of this run so far
}

func (r *resampleSession) Process(x [][]float64, first int64) ([][]float64, int64, error) {
	up, down := int64(r.rs.Up()), int64(r.rs.Down())
	if r.start < 0 {
		// Align the run to an input sample whose output time is whole.
		skip := (down - first%down) % down
		if skip > int64(len(x[0])) {
			skip = int64(len(x[0]))
		}
		for i := range x {
			x[i] = x[i][skip:]
		}
		first += skip
		if len(x[0]) == 0 {
			return x, first * up / down, nil
		}
		r.start = first * up / down
	}
	for i, ch := range x {
		n := r.rs.OutputLen(i, len(ch))
		if cap(r.out[i]) < n {
			r.out[i] = make([]float64, n, 2*n)
		}
		r.out[i] = r.rs.Process(r.out[i][:n], ch, i)
	}
	outFirst := r.start + r.emitted
	r.emitted += int64(len(r.out[0]))
	return r.out, outFirst, nil
}

// Flush implements pipeline.Flusher: the outputs the filter delay held
// back, computed with zeros after the last sample as resample_poly pads,
// so a session of n input samples comes out ⌈n·Up/Down⌉ samples long (from
// its aligned start), as one resample_poly of the whole recording.
func (r *resampleSession) Flush() ([][]float64, int64) {
	if r.start < 0 {
		return nil, 0
	}
	for i := range r.out {
		n := r.rs.FlushLen(i)
		if cap(r.out[i]) < n {
			r.out[i] = make([]float64, n)
		}
		r.out[i] = r.rs.Flush(r.out[i][:n], i)
	}
	outFirst := r.start + r.emitted
	// The resampler starts over after a flush; so does the run.
	r.start, r.emitted = -1, 0
	return r.out, outFirst
}

func (r *resampleSession) Reset() {
	r.rs.Reset()
	r.start = -1
	r.emitted = 0
}
