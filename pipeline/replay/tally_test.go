package replay

import (
	"bytes"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
)

// TestTally: the bar's fraction is the mean over all recordings of each
// one's acknowledged share (a finished one counts whole); the status
// counts sessions, chunks, signal and events; a finished recording gets
// one line unless a bar is shown.
func TestTally(t *testing.T) {
	var buf bytes.Buffer
	ta := newTally(&buf, true, 4)
	a := &Session{ID: "a", Name: "a.edf", Info: &formats.Info{SampleRate: 100, NSamples: 200}}
	b := &Session{ID: "b", Name: "b.edf", Info: &formats.Info{SampleRate: 100, NSamples: 400}}
	ta.chunk(a, 100, 10, false)
	ta.chunk(a, 100, 10, true)
	ta.chunk(b, 100, 10, false)
	ta.event(b)
	done, status := ta.poll()
	// (1 + 0.25 + 0 + 0) / 4
	if done != 313 {
		t.Errorf("done %d‰, want 313", done)
	}
	for _, want := range []string{"1/4 sessions", "3 chunks", "3.0 s signal", "1 events"} {
		if !strings.Contains(status, want) {
			t.Errorf("status %q lacks %q", status, want)
		}
	}
	ta.close()
	if got, want := buf.String(), "replayed a.edf as session a: 2 chunks, 2.0 s of signal, 0 events (1/4 files, "; !strings.HasPrefix(got, want) || strings.Count(got, "\n") != 1 {
		t.Errorf("lines: got %q, want one starting %q", got, want)
	}
	var res Result
	ta.fill(&res)
	if res.Sessions != 1 || res.Bytes != 30 || res.Events != 1 || res.SignalSeconds != 3 {
		t.Errorf("result %+v", res)
	}
}
