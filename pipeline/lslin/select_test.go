package lslin

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/lsl"
	"github.com/neurostream/neurostream/lsl/lsltest"
)

func TestSelectorsApply(t *testing.T) {
	t.Setenv("LSLAPICFG", "")
	for _, tc := range []struct {
		name    string
		sel     Selectors
		query   string
		markers []string
		codes   map[string]int
	}{
		{"default", Selectors{}, "type='EEG'", nil, map[string]int{}},
		{"query", Selectors{Query: "type='MEG' and starts-with(name,'Elekta')"}, "type='MEG' and starts-with(name,'Elekta')", nil, map[string]int{}},
		{"properties", Selectors{Type: "EEG", Name: "Bio Semi", SourceID: "amp-17"}, "type='EEG' and name='Bio Semi' and source_id='amp-17'", nil, map[string]int{}},
		{"markers", Selectors{SourceID: "x", Markers: []string{"PsychoPy", "type='Markers'"}, StimEvents: []string{"left=1", "right=2"}},
			"source_id='x'", []string{"name='PsychoPy' or type='PsychoPy'", "type='Markers'"}, map[string]int{"left": 1, "right": 2}},
	} {
		var cfg Config
		if err := tc.sel.Apply(&cfg); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if cfg.Query != tc.query || !reflect.DeepEqual(cfg.Markers, tc.markers) || !reflect.DeepEqual(cfg.StimCodes, tc.codes) {
			t.Errorf("%s: query %q, markers %q, codes %v; want %q, %q, %v", tc.name, cfg.Query, cfg.Markers, cfg.StimCodes, tc.query, tc.markers, tc.codes)
		}
		if !reflect.DeepEqual(cfg.LSL, lsl.Config{}) {
			t.Errorf("%s: without a configuration file LSL is %+v", tc.name, cfg.LSL)
		}
	}
	for _, tc := range []struct {
		sel  Selectors
		want string
	}{
		{Selectors{Query: "type='EEG'", Type: "EEG"}, "--query: give it alone, or --type, --name and --source-id"},
		{Selectors{Name: "it's \"x\""}, "--name: "},
		{Selectors{SourceID: "a'b\"c"}, "--source-id: "},
		{Selectors{Markers: []string{"a'b\"c"}}, `--markers "a'b\"c": `},
		{Selectors{StimEvents: []string{"left"}}, `--stim-events "left": want MARKER=CODE with a positive integer code`},
		{Selectors{StimEvents: []string{"left=0"}}, `--stim-events "left=0"`},
		{Selectors{StimEvents: []string{"=3"}}, `--stim-events "=3"`},
		{Selectors{LSLConfig: filepath.Join(t.TempDir(), "missing.cfg")}, "missing.cfg"},
	} {
		var cfg Config
		if err := tc.sel.Apply(&cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.sel, err, tc.want)
		}
	}
}

// TestSelectorsLSLConfig: the configuration file comes from LSLConfig,
// else from $LSLAPICFG.
func TestSelectorsLSLConfig(t *testing.T) {
	path := lsltest.ConfigFile
	want, err := lsl.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg Config
	if err := (Selectors{LSLConfig: path}).Apply(&cfg); err != nil || !reflect.DeepEqual(cfg.LSL, want) {
		t.Errorf("LSLConfig: %v, %+v", err, cfg.LSL)
	}
	t.Setenv("LSLAPICFG", path)
	cfg = Config{}
	if err := (Selectors{}).Apply(&cfg); err != nil || !reflect.DeepEqual(cfg.LSL, want) {
		t.Errorf("$LSLAPICFG: %v, %+v", err, cfg.LSL)
	}
}

func TestResultSummary(t *testing.T) {
	res := Result{
		Stats:      Stats{Session: "amp_20240301T120000Z", Samples: 2600, Chunks: 104, Gaps: 1, Missing: 12, Markers: 5, Late: 1, Dropped: 2, Stalls: 3, MaxResidual: 0.00125, Final: true},
		Stream:     lsl.StreamInfo{Name: "BioSemi", NominalRate: 100},
		Reconnects: 2, Ended: "stream lost", Elapsed: 27500 * time.Millisecond,
	}
	cfg := Config{Topic: "raw", EventsTopic: "events", StimChannel: "STI", Markers: []string{"type='Markers'"}}
	var b strings.Builder
	res.Summary(&b, cfg)
	want := `ingested "BioSemi" as session amp_20240301T120000Z: 104 chunks, 2600 samples (26.0 s at 100 Hz) to raw in 27.5 s; ended: stream lost
gaps 1 (12 samples missing), stalls 3, reconnections 2, largest time-stamp residual 1.25 ms, final chunk true
markers 5 (1 late, 2 dropped) to events and stim channel STI
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	cfg.EventsTopic = ""
	res.Summary(&b, cfg)
	if !strings.HasSuffix(b.String(), "markers 5 (1 late, 2 dropped)\n") {
		t.Errorf("without an events topic:\n%s", b.String())
	}
	b.Reset()
	cfg.Markers = nil
	res.Summary(&b, cfg)
	if strings.Contains(b.String(), "markers") {
		t.Errorf("without markers:\n%s", b.String())
	}
	b.Reset()
	Result{}.Summary(&b, cfg)
	if b.Len() != 0 {
		t.Errorf("no session: %q", b.String())
	}
}
