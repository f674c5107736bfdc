package stages

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
)

var mixedChannels = []formats.Channel{
	{Label: "Fp1", Type: formats.EEG, Unit: "V"},
	{Label: "O1", Type: formats.EEG, Unit: "V"},
	{Label: "EOG", Type: formats.EOG, Unit: "V"},
	{Label: "STI", Type: formats.Stim, Unit: ""},
	{Label: "MEG0111", Type: formats.MEGMag, Unit: "T"},
	{Label: "MEG0112", Type: formats.MEGGrad, Unit: "T/m"},
	{Label: "ECG", Type: formats.ECG, Unit: "V"},
}

// TestChannelPicks: types (ours and MNE's words), labels and exclude, in
// the session's order; data by default; unknown picks and excludes and an
// empty selection are errors naming them.
func TestChannelPicks(t *testing.T) {
	for _, tc := range []struct {
		picks, exclude []string
		want           []int
		err            string
	}{
		{nil, nil, []int{0, 1, 4, 5}, ""},
		{[]string{"eeg"}, nil, []int{0, 1}, ""},
		{[]string{"mag"}, nil, []int{4}, ""},
		{[]string{"meg"}, nil, []int{4, 5}, ""},
		{[]string{"meg_grad", "Fp1"}, nil, []int{0, 5}, ""},
		{[]string{"O1", "eog"}, nil, []int{1, 2}, ""},
		{[]string{"all"}, []string{"STI"}, []int{0, 1, 2, 4, 5, 6}, ""},
		{nil, []string{"Fp1"}, []int{1, 4, 5}, ""},
		{[]string{"Oz"}, nil, nil, `picks[0]: "Oz" is neither a channel type`},
		{nil, []string{"Cz"}, nil, `exclude[0]: channel "Cz" is not in this session`},
		{[]string{"emg"}, nil, nil, "picks: picks [emg] select no channel of this session (it has 1 ecg, 2 eeg, 1 eog, 1 meg_grad, 1 meg_mag, 1 stim;"},
	} {
		p := ChannelPicks{Picks: tc.picks, Exclude: tc.exclude}
		got, err := p.indices(mixedChannels)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("picks %v exclude %v: error %v, want %q", tc.picks, tc.exclude, err, tc.err)
		case tc.err == "" && (err != nil || !slices.Equal(got, tc.want)):
			t.Errorf("picks %v exclude %v: %v (%v), want %v", tc.picks, tc.exclude, got, err, tc.want)
		}
	}
}

// mixedWindow is window's two EEG channels plus a stim channel of event
// codes, an EOG channel and a magnetometer.
func mixedWindow(n int, fs float64) *pipeline.Window {
	w := window(n, fs)
	sti, eog, mag := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		if i%100 < 3 {
			sti[i] = 32
		}
		eog[i] = 1e-4 * math.Sin(2*math.Pi*0.5*float64(i)/fs)
		mag[i] = 1e-13 * math.Sin(2*math.Pi*10*float64(i)/fs+1)
	}
	w.Channels = append(w.Channels,
		formats.Channel{Label: "STI", Type: formats.Stim, Unit: ""},
		formats.Channel{Label: "EOG", Type: formats.EOG, Unit: "V"},
		formats.Channel{Label: "MEG0111", Type: formats.MEGMag, Unit: "T"})
	w.Data = append(w.Data, sti, eog, mag)
	return w
}

// stageChannels runs a stage on w and returns the distinct labels in the
// named column of its first result, in order.
func stageChannels(t *testing.T, typ string, opts map[string]any, w *pipeline.Window, column string) []string {
	t.Helper()
	res, err := newStage(t, typ, opts, w).Process(w)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, r := range res {
			r.Record.Release()
		}
	}()
	rec := res[0].Record
	col := rec.Column(rec.Schema().FieldIndices(column)[0]).(*array.String)
	var out []string
	for i := range col.Len() {
		if !slices.Contains(out, col.Value(i)) {
			out = append(out, col.Value(i))
		}
	}
	return out
}

// TestStagePicks: psd, coherence and xcorr analyse the data channels by
// default, not the stim and EOG channels of the session, and follow picks
// and exclude; xcorr's reference may be an unpicked channel.
func TestStagePicks(t *testing.T) {
	w := mixedWindow(512, 256)
	for _, tc := range []struct {
		typ    string
		opts   map[string]any
		column string
		want   []string
	}{
		{"psd", nil, "channel", []string{"O1", "O2", "MEG0111"}},
		{"psd", map[string]any{"picks": []any{"eeg", "eog"}}, "channel", []string{"O1", "O2", "EOG"}},
		{"psd", map[string]any{"picks": "eeg,STI"}, "channel", []string{"O1", "O2", "STI"}},
		{"psd", map[string]any{"exclude": []any{"O2"}}, "channel", []string{"O1", "MEG0111"}},
		{"coherence", nil, "seed", []string{"O2", "MEG0111"}},
		{"coherence", map[string]any{"picks": []any{"eeg"}}, "seed", []string{"O2"}},
		{"xcorr", map[string]any{"reference": "EOG", "max_lag_seconds": 0.1}, "channel", []string{"O1", "O2", "MEG0111"}},
	} {
		if got := stageChannels(t, tc.typ, tc.opts, w, tc.column); !slices.Equal(got, tc.want) {
			t.Errorf("%s %v: %s %v, want %v", tc.typ, tc.opts, tc.column, got, tc.want)
		}
	}
	// The psd rows of the picked channels are those of the channels alone.
	alone := window(512, 256)
	got, _ := bandPowers(t, map[string]any{"picks": []any{"eeg"}}, w)
	want, _ := bandPowers(t, nil, alone)
	if !slices.Equal(got[0], want[0]) || !slices.Equal(got[1], want[1]) {
		t.Errorf("picked channels' band powers %v, alone %v", got[:2], want)
	}
}

// TestPicksConfigErrors: empty and repeated entries, and picks with a
// channel list that already names the channels.
func TestPicksConfigErrors(t *testing.T) {
	model := syntheticSeizureModel(t, 256, 2, 128)
	wantBuildError(t, "psd", map[string]any{"picks": []any{"eeg", ""}}, "picks[1]: empty")
	wantBuildError(t, "psd", map[string]any{"exclude": []any{"O1", "O1"}}, `exclude[1]: "O1" repeats exclude[0]`)
	wantBuildError(t, "coherence", map[string]any{"picks": []any{"eeg"}, "pairs": []any{[]any{"O1", "O2"}}}, "picks/exclude: not used with pairs")
	wantBuildError(t, "seizure", map[string]any{"model": model, "picks": []any{"eeg"}, "channels": []any{"E0", "E1"}}, "picks/exclude: not used with channels")
	wantBuildError(t, "ssvep", map[string]any{"frequencies": []any{8}, "exclude": []any{"Fp1"}, "channels": []any{"O1"}}, "picks/exclude: not used with channels")
}

// TestSeizurePicks: picks choose the model's channels among more EEG
// channels, where the default (every data channel) does not fit.
func TestSeizurePicks(t *testing.T) {
	model := syntheticSeizureModel(t, 256, 2, 128)
	w := seizureWindow(256, 4, 128, false, 1)
	b, errs := Build("seizure", "", map[string]any{"model": model, "picks": []any{"E1", "E3"}})
	if errs != nil {
		t.Fatal(errs)
	}
	st, err := b.NewSession(session(w))
	if err != nil {
		t.Fatal(err)
	}
	if idx := st.(*seizureSession).idx; !slices.Equal(idx, []int{1, 3}) {
		t.Errorf("picks [E1, E3]: channels %v", idx)
	}
}
