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
	// Powers holds the band powers (Token.Powers, NumBands values each)
	// of the collected motifs' centre frames by channel type, in the
	// order collected: what TrainConfig.Powers takes.
	Powers map[string][]float64
}

// NewCollector returns a Collector of motifs with features cfg (zero
// fields take the defaults).
func NewCollector(cfg FeatureConfig) (*Collector, error) {
	fc, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Collector{cfg: fc, feat: newFeaturizer(fc), rs: map[float64]*Resampler{}, Powers: map[string][]float64{}}, nil
}

// Features returns the motif parameters, defaults filled in.
func (c *Collector) Features() FeatureConfig { return c.cfg }

// Reset empties the collector, keeping its resamplers.
func (c *Collector) Reset() {
	c.Motifs = c.Motifs[:0]
	clear(c.Powers)
}

// Len returns the number of motifs collected.
func (c *Collector) Len() int { return len(c.Motifs) / c.cfg.Dim() }

// Add resamples x, one channel at rate Hz, to SampleRate and appends the
// motif of every frame Tokenize would tokenize. It returns how many it
// added. It collects no band powers: a vocabulary trained on them alone
// has no power levels (see AddChannel).
func (c *Collector) Add(x []float64, rate float64) (int, error) {
	return c.add(x, rate, "", false)
}

// AddChannel is Add for a channel of type kind ("eeg", "meg_mag",
// "meg_grad": formats.ChannelType), which also appends the band powers of
// the motifs' centre frames to Powers[kind].
func (c *Collector) AddChannel(x []float64, rate float64, kind string) (int, error) {
	return c.add(x, rate, kind, true)
}

func (c *Collector) add(x []float64, rate float64, kind string, powers bool) (int, error) {
	r, ok := c.rs[rate]
	if !ok {
		var err error
		if r, err = NewResampler(rate); err != nil {
			return 0, fmt.Errorf("tokenizer: collect: %w", err)
		}
		c.rs[rate] = r
	}
	before := len(c.Motifs)
	if powers {
		c.Motifs, c.Powers[kind] = appendMotifs(c.feat, c.Motifs, c.Powers[kind], r.Resample(x))
	} else {
		c.Motifs, _ = appendMotifs(c.feat, c.Motifs, nil, r.Resample(x))
	}
	return (len(c.Motifs) - before) / c.cfg.Dim(), nil
}
