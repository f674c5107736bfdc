package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/lsl/lsltest"
)

// TestValidateOutputLSL: output.lsl alone is an output; its kinds must be
// known and made by a stage; formats and the config file are checked.
func TestValidateOutputLSL(t *testing.T) {
	const head = "source: {simulate: {sessions: 1}}\nwindow: {length_seconds: 2, hop_seconds: 0.5}\nstages: [{type: ssvep, frequencies: [8, 11]}]\n"
	for _, tc := range []struct {
		out  string
		want []string // nil: valid
	}{
		{`output: {dir: "", lsl: {kinds: [ssvep]}}`, nil},
		{`output: {dir: "", lsl: {kinds: [ssvep], ssvep_format: float, band_power: relative}}`, nil},
		{`output: {dir: ""}`, []string{"output: no output: set output.dir, output.kafka.brokers or output.lsl.kinds"}},
		{`output: {dir: "", lsl: {kinds: [ssvep, psd]}}`, []string{`output.lsl.kinds[1]: want ssvep, seizure or bandpower, got "psd"`}},
		{`output: {dir: "", lsl: {kinds: [seizure, bandpower]}}`, []string{
			"output.lsl.kinds[0]: seizure results come from a seizure stage, and there is none",
			"output.lsl.kinds[1]: bandpower results come from a psd stage, and there is none"}},
		{`output: {dir: "", lsl: {kinds: [ssvep], ssvep_format: json}}`, []string{`output.lsl.ssvep_format: want string or float, got "json"`}},
		{`output: {dir: "", lsl: {kinds: [ssvep], band_power: db}}`, []string{`output.lsl.band_power: want power or relative, got "db"`}},
		{`output: {dir: "", lsl: {kinds: [ssvep], config_file: /nonexistent/lsl_api.cfg}}`, []string{"output.lsl.config_file:"}},
	} {
		err := load(t, head+tc.out+"\n").Validate()
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.out, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: valid, want %q", tc.out, tc.want)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\nwant %q", tc.out, err, w)
			}
		}
	}
}

// TestBuildOutputLSL: Build opens the outlets (on this machine, from the
// tests' lsl_api.cfg) and adds the sink to the pipeline's.
func TestBuildOutputLSL(t *testing.T) {
	cfgFile := lsltest.ConfigFile
	prefix := fmt.Sprintf("ns-test-cfg-%d", time.Now().UnixNano()%1e9)
	c := load(t, fmt.Sprintf(`
source: {simulate: {sessions: 1, duration: 4}}
window: {length_seconds: 2, hop_seconds: 0.5}
stages: [{type: ssvep, frequencies: [8, 11]}, {type: psd}]
output: {dir: "", lsl: {kinds: [ssvep, bandpower], prefix: %s, config_file: %q}}
`, prefix, cfgFile))
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	b, err := c.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.LSL.Close()
	ssvep, seizure := b.LSL.Outlets()
	if ssvep == nil || seizure != nil || ssvep.Info().Name != prefix+"-ssvep" {
		t.Fatalf("outlets %v %v", ssvep, seizure)
	}
	found := false
	for _, s := range b.Options.Sinks {
		found = found || s == b.LSL
	}
	if !found {
		t.Fatal("the LSL sink is not among the pipeline's sinks")
	}
}
