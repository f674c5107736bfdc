package config

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

// TestDeprecated: the stage options under scipy's names are listed with
// their new names, in the order of the file; Build logs each once, naming
// the file, for a loaded configuration, and nothing for one made in code.
func TestDeprecated(t *testing.T) {
	c := load(t, simOK+windowOK+outOK+`stages: [{type: psd, n_per_seg: 128}, {type: coherence, nfft: 512, noverlap: 0}, {type: xcorr, reference: Cz, max_lag_seconds: 0.1}]`)
	want := []Deprecation{
		{Key: "stages[1].noverlap", New: "stages[1].n_overlap", Stage: "coherence"},
		{Key: "stages[1].nfft", New: "stages[1].n_fft", Stage: "coherence"},
	}
	if got := c.Deprecated(); !reflect.DeepEqual(got, want) {
		t.Errorf("Deprecated() = %v, want %v", got, want)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Output.Dir = ""
	var log bytes.Buffer
	if _, err := c.Build(slog.New(slog.NewTextHandler(&log, nil))); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(log.String(), `msg="deprecated configuration key" file=p.yaml key=stages[1].`); n != 2 ||
		!strings.Contains(log.String(), "key=stages[1].nfft use=stages[1].n_fft") {
		t.Errorf("Build logged:\n%s", log.String())
	}

	inCode := Default()
	inCode.Stages = []Stage{{Type: "psd", Options: map[string]any{"nperseg": 64}}}
	inCode.Source.Simulate.Sessions = 1
	inCode.Window.Length, inCode.Window.Hop = 128, 64
	inCode.Output.Dir = ""
	if d := inCode.Deprecated(); len(d) != 1 || d[0].Key != "stages[0].nperseg" {
		t.Errorf("made in code: Deprecated() = %v", d)
	}
	log.Reset()
	if _, err := inCode.Build(slog.New(slog.NewTextHandler(&log, nil))); err != nil || log.Len() != 0 {
		t.Errorf("made in code: Build logged %q, %v", log.String(), err)
	}
}
