package bciloop

import (
	"path/filepath"
	"testing"

	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

func TestMain(m *testing.M) { kafkatest.Main(m) }

// TestClosedLoopTrials runs the whole loop in trial mode on 20 s of a
// simulated SSVEP session: the trial onsets travel from an LSL marker
// stream through the ingest's stim channel to the pipeline's event
// windows, and a decision arrives over LSL for every trial, with the
// trial's code, naming the right target.
func TestClosedLoopTrials(t *testing.T) {
	broker := kafkatest.Broker(t)
	cfgFile, _ := filepath.Abs(filepath.Join("testdata", "lsl_api.cfg"))
	res, err := Run(t.Context(), Config{Brokers: []string{broker}, Seconds: 20, Trials: true, LSLConfigFile: cfgFile, Push: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", res)
	if res.Expected < 3 || res.Missing != 0 || res.N != res.Expected || res.Duplicates != 0 {
		t.Fatalf("%d trials, %d decisions, %d missing, %d duplicates", res.Expected, res.N, res.Missing, res.Duplicates)
	}
	if raceEnabled {
		return // every trial decided once; placement and accuracy are timed (see raceEnabled)
	}
	for _, d := range res.Decisions {
		if d.EventCode == nil || d.Decision+1 != *d.EventCode {
			t.Errorf("trial at sample %d: decision %d, event code %v", d.StartSample, d.Decision, d.EventCode)
		}
	}
	// A marker may land a sample from its onset (the fitted clock, under
	// load); further, and the decision would score as wrong.
	if res.Correct != res.N || res.OnsetError > onsetTolerance || res.Ingest.Late != 0 || res.Ingest.Markers != int64(res.Expected) {
		t.Errorf("correct %d of %d, onsets within %d samples; ingest %+v", res.Correct, res.N, res.OnsetError, res.Ingest)
	}
}
