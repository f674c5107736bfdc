package tokenizer

import "fmt"

// Collector gathers training motifs from channels at any sample rate. It
// is not safe for concurrent use.
type Collector struct {
	cfg  FeatureConfig
	feat *featurizer
	rs   map[float64]*Resampler
	// Motifs holds the motif vectors collected so far, Dim values each.
	Motifs []float64
}

// NewCollector returns a Collector of motifs with features cfg (zero
// fields take the defaults).
func NewCollector(cfg FeatureConfig) (*Collector, error) {
	fc, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Collector{cfg: fc, feat: newFeaturizer(fc), rs: map[float64]*Resampler{}}, nil
}

// Features returns the motif parameters, defaults filled in.
func (c *Collector) Features() FeatureConfig { return c.cfg }

// Len returns the number of motifs collected.
func (c *Collector) Len() int { return len(c.Motifs) / c.cfg.Dim() }

// Add resamples x, one channel at rate Hz, to SampleRate and appends the
// motif of every frame Tokenize would tokenize. It returns how many it
// added.
func (c *Collector) Add(x []float64, rate float64) (int, error) {
	r, ok := c.rs[rate]
	if !ok {
		var err error
		if r, err = NewResampler(rate); err != nil {
			return 0, fmt.Errorf("tokenizer: collect: %w", err)
		}
		c.rs[rate] = r
	}
	before := len(c.Motifs)
	c.Motifs = appendMotifs(c.feat, c.Motifs, r.Resample(x))
	return (len(c.Motifs) - before) / c.cfg.Dim(), nil
}
