package formats_test

import (
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/simulate"
)

func TestStimFromAnnotations(t *testing.T) {
	ann := []formats.Annotation{{Onset: 2.004, Description: "b"}, {Onset: 1, Description: "a"}, {Onset: 3, Description: "ignored"}}
	ev, err := formats.StimFromAnnotations(ann, 250, 1000, map[string]int{"a": 1, "b": 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(ev) != 2 || ev[0] != (formats.StimEvent{Sample: 250, Code: 1}) || ev[1] != (formats.StimEvent{Sample: 501, Code: 7}) {
		t.Errorf("events %v", ev)
	}
	for _, c := range []struct {
		ann   []formats.Annotation
		codes map[string]int
		want  string
	}{
		{[]formats.Annotation{{Onset: 4, Description: "a"}}, map[string]int{"a": 1}, `"a" at 4 s is outside the recording (0–4 s)`},
		{[]formats.Annotation{{Onset: 1, Description: "a"}}, map[string]int{"a": 0}, "codes must be positive"},
	} {
		if _, err := formats.StimFromAnnotations(c.ann, 250, 1000, c.codes); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// TestWithStim: the added channel holds one-sample pulses at the events
// and zeros elsewhere, for any read range; the others are the recording's.
func TestWithStim(t *testing.T) {
	cfg := simulate.DefaultConfig()
	cfg.Duration = 4
	sim, err := simulate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := formats.WithStim(sim, "STI", []formats.StimEvent{{Sample: 700, Code: 3}, {Sample: 10, Code: 2}})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	info := rec.Info()
	n := len(info.Channels)
	if n != len(sim.Info().Channels)+1 || info.Channels[n-1].Type != formats.Stim || info.Channels[n-1].Label != "STI" {
		t.Fatalf("channels %v", info.Channels)
	}
	read := func(start, stop int64) [][]float64 {
		dst := make([][]float64, n)
		for c := range dst {
			dst[c] = make([]float64, stop-start)
			dst[c][0] = 99 // must be overwritten
		}
		if err := rec.ReadSamples(dst, start, stop); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	all := read(0, info.NSamples)
	for i, v := range all[n-1] {
		want := 0.0
		switch i {
		case 10:
			want = 2
		case 700:
			want = 3
		}
		if v != want {
			t.Fatalf("stim[%d] = %g, want %g", i, v, want)
		}
	}
	part := read(650, 710)
	if part[n-1][50] != 3 || part[n-1][0] != 0 || part[0][5] != all[0][655] {
		t.Errorf("partial read: stim %v, C0 %g vs %g", part[n-1], part[0][5], all[0][655])
	}
	if _, err := formats.WithStim(rec, "STI", nil); err == nil || !strings.Contains(err.Error(), `already has a channel "STI"`) {
		t.Errorf("duplicate label: %v", err)
	}
}
