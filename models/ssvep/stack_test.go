package ssvep_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/models/ssvep"
)

// TestStacked trains the stacked fbcca+ts-lr on one simulated session
// with rest trials and decides the other: well above chance, rest among
// its decisions; the model file round-trips to the same scores and
// decisions, and a damaged one is refused with the reason.
func TestStacked(t *testing.T) {
	all, err := latencyCalibration(t, 0, 2, 0.3, true).AtOffset(0)
	if err != nil {
		t.Fatal(err)
	}
	tx, ty, folds, ex, ey := splitFirstSession(all.Trials, all.Labels, all.Sessions)
	cfg := ssvep.TrainConfig{SampleRate: all.SampleRate, Freqs: all.Freqs, Channels: all.Channels}
	d, buf := trainStackedSaved(t, cfg, tx, ty, folds)
	saved := buf.String()
	back, err := ssvep.LoadDecoder(buf)
	if err != nil {
		t.Fatal(err)
	}
	correct, rest := 0, 0
	for i, x := range ex {
		s1, l1, err := ssvep.ScoreDecide(d, nil, x)
		if err != nil {
			t.Fatal(err)
		}
		s2, _ := back.Scores(nil, x)
		l2, _ := back.Decide(x)
		if !slices.Equal(s1, s2) || l1 != l2 {
			t.Fatalf("trial %d: reloaded %v, %d; trained %v, %d", i, s2, l2, s1, l1)
		}
		if l1 == ey[i] {
			correct++
		}
		if l1 == ssvep.Rest {
			rest++
		}
	}
	t.Logf("held-out session: %d/%d correct, %d decided rest", correct, len(ex), rest)
	if correct < 24 || rest == 0 || back.Method() != ssvep.MethodStack || !slices.Equal(back.(*ssvep.Stacked).ChannelNames(), all.Channels) {
		t.Errorf("held-out %d/40 correct (want ≥ 24, measured 29; chance 8), %d rest; method %s", correct, rest, back.Method())
	}
	i := strings.LastIndex(saved, `"classes":[-1,0,1,2,3]`) // the stack's, after its parts'
	bad := saved[:i] + `"classes":[-1,0,1,2,7]` + saved[i+len(`"classes":[-1,0,1,2,3]`):]
	if _, err := ssvep.LoadStacked(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "class 7 outside") {
		t.Errorf("bad class: %v", err)
	}
}

// splitFirstSession returns session 0's trials and labels, each trial in
// one of 4 contiguous folds, for training, and the other sessions' for
// testing.
func splitFirstSession(x [][][]float64, y, sessions []int) (tx [][][]float64, ty, folds []int, ex [][][]float64, ey []int) {
	n := 0
	for _, s := range sessions {
		if s == 0 {
			n++
		}
	}
	for i, s := range sessions {
		if s == 0 {
			tx, ty, folds = append(tx, x[i]), append(ty, y[i]), append(folds, len(folds)*4/n)
		} else {
			ex, ey = append(ex, x[i]), append(ey, y[i])
		}
	}
	return tx, ty, folds, ex, ey
}

// trainStackedSaved trains a stack and writes its model file.
func trainStackedSaved(t *testing.T, cfg ssvep.TrainConfig, trials [][][]float64, labels, folds []int) (*ssvep.Stacked, *bytes.Buffer) {
	t.Helper()
	d, err := ssvep.TrainStacked(cfg, trials, labels, folds)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := d.Save(&buf); err != nil {
		t.Fatal(err)
	}
	return d, &buf
}
