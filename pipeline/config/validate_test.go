package config

import (
	"strings"
	"testing"
	"testing/fstest"
)

// load reads a configuration from YAML text.
func load(t *testing.T, yaml string) *Config {
	t.Helper()
	c, err := Load(fstest.MapFS{"p.yaml": {Data: []byte(yaml)}}, "p.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestValidateBandsAtKnownRate: where the configuration fixes the rate
// (simulated sessions, source.files.sample_rate, after a resample step),
// `config validate` refuses psd bands with fewer than two frequency bins
// or above the Nyquist frequency, naming the stage key, the band, the rate
// and the bin spacing; where only the recordings know it, a session does.
func TestValidateBandsAtKnownRate(t *testing.T) {
	const tail = "output: {dir: out}\n"
	for _, tc := range []struct {
		yaml string
		want []string // nil: valid
	}{
		{`
source: {simulate: {sessions: 1, sample_rate: 1000}}
window: {length_seconds: 2, hop_seconds: 1}
stages: [{type: psd, bands: [{name: delta, low: 1, high: 4}, {name: narrow, low: 8, high: 8.3}]}]
`, []string{"stages[0].bands[1]: narrow [8, 8.3] Hz holds 1 frequency bin(s) at 1000 Hz sampling (bins 0.5 Hz apart: n_fft 2000, n_per_seg 2000)", "(sessions of source.simulate)"}},
		{`
source: {simulate: {sessions: 1, sample_rate: 1000}}
window: {length_seconds: 2, hop_seconds: 1}
stages: [{type: psd}]
`, nil},
		{`
source: {simulate: {sessions: 1}}
window: {length_seconds: 2, hop_seconds: 1}
preprocess: [{type: resample, up: 1, down: 2}]
stages: [{type: psd, bands: [{name: high, low: 60, high: 70}]}]
`, []string{"stages[0].bands[0]: high [60, 70] Hz reaches above the Nyquist frequency 64 Hz of 128 Hz sampling"}},
		{`
source: {files: {paths: [x.csv], sample_rate: 20000}}
window: {length_seconds: 2, hop_seconds: 1}
stages: [{type: psd, n_per_seg: 256}]
`, []string{"stages[0].bands: the default bands delta [1, 4]", "bins 78.12 Hz apart", "(sessions of source.files.sample_rate)"}},
		{`
source: {files: {paths: [x.edf]}}
window: {length_seconds: 2, hop_seconds: 1}
stages: [{type: psd, n_per_seg: 256}]
`, nil},
	} {
		err := load(t, tc.yaml+tail).Validate()
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.yaml, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted", tc.yaml)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nlacks %q", tc.yaml, err, w)
			}
		}
	}
}

// TestSimulateMontageChannels: source.simulate.montage.channels sets the
// simulated sessions' channel count.
func TestSimulateMontageChannels(t *testing.T) {
	c := load(t, `
source: {simulate: {sessions: 1, duration: 1, montage: {channels: 64}}}
window: {length_seconds: 1, hop_seconds: 1}
stages: [{type: psd}]
`)
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	specs, err := c.Recordings()
	if err != nil {
		t.Fatal(err)
	}
	rec, err := specs[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if n := len(rec.Info().Channels); n != 64 {
		t.Errorf("montage.channels 64: %d channels", n)
	}
}
