package seizure

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/szcore"
)

// Dataset is every labelled window cut from a set of recordings, as
// feature vectors, with where each window came from (for grouped
// cross-validation). pipeline/train fills it from recordings streamed
// through the pipeline, so the features are those the seizure stage
// computes.
type Dataset struct {
	// Window and Hop are the window length and hop in s.
	Window, Hop float64
	// Features is the feature spec of the windows (the first recording's
	// rate, the picked channels), defaults filled in.
	Features FeatureConfig
	// Channels are the picked channels' labels, of the first recording.
	Channels []string
	// Recordings counts the recordings that gave windows.
	Recordings int
	// X and Y are the windows' features and labels (true = seizure).
	X [][]float64
	Y []bool
	// Recording is the index (among Recordings) of each window's
	// recording; Position its index among that recording's windows,
	// skipped windows included.
	Recording, Position []int
}

// Counts returns the number of seizure and background windows.
func (d *Dataset) Counts() (seizure, background int) {
	for _, l := range d.Y {
		if l {
			seizure++
		}
	}
	return seizure, len(d.Y) - seizure
}

// String summarises d: recordings, windows per class, rate and channels.
func (d *Dataset) String() string {
	ictal, back := d.Counts()
	return fmt.Sprintf("%d recordings, %d windows of %v s every %v s at %v Hz, %d channels (%s)\n  seizure: %d windows\n  background: %d windows",
		d.Recordings, len(d.Y), d.Window, d.Hop, d.Features.SampleRate, d.Features.Channels, strings.Join(d.Channels, ","), ictal, back)
}

// Span is a labelled seizure, in seconds from the recording start.
type Span struct{ Onset, Offset float64 }

// SeizureSpans returns the merged seizure spans of a recording: its
// annotations whose description is one of labels (compared
// case-insensitively, surrounding spaces ignored) and the seizure rows
// (eventType sz*) of its SzCORE events. Overlapping and touching spans
// are merged; the result is sorted.
func SeizureSpans(annotations []formats.Annotation, labels []string, events []szcore.Event) []Span {
	var spans []Span
	for _, a := range annotations {
		for _, l := range labels {
			if strings.EqualFold(strings.TrimSpace(a.Description), strings.TrimSpace(l)) {
				spans = append(spans, Span{a.Onset, a.Onset + a.Duration})
				break
			}
		}
	}
	for _, e := range events {
		if szcore.IsSeizure(e.EventType) {
			spans = append(spans, Span{e.Onset, e.Offset()})
		}
	}
	return mergeSpans(spans)
}

// mergeSpans sorts spans and merges the overlapping and touching ones.
func mergeSpans(spans []Span) []Span {
	slices.SortFunc(spans, func(a, b Span) int { return cmp.Compare(a.Onset, b.Onset) })
	var out []Span
	for _, s := range spans {
		if n := len(out); n > 0 && s.Onset <= out[n-1].Offset {
			out[n-1].Offset = max(out[n-1].Offset, s.Offset)
			continue
		}
		out = append(out, s)
	}
	return out
}

// WindowClass returns 1 for a window [t0, t1) s fully inside a span (a
// seizure window), 0 for one touching no span (background) and -1 for one
// partly overlapping a span, which training skips. spans are merged
// (SeizureSpans).
func WindowClass(t0, t1 float64, spans []Span) int {
	for _, s := range spans {
		if t0 >= s.Onset && t1 <= s.Offset {
			return 1
		}
		if t0 < s.Offset && t1 > s.Onset {
			return -1
		}
	}
	return 0
}

// EventsFile returns the SzCORE events file of the recording at path:
// <name>_events.tsv, the recording's name without extension (and without
// a trailing _eeg, the BIDS suffix), in dir when given, else next to the
// recording; "" when there is none.
func EventsFile(path, dir string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if dir == "" {
		dir = filepath.Dir(path)
	}
	names := []string{base + "_events.tsv"}
	if b, ok := strings.CutSuffix(base, "_eeg"); ok {
		names = append(names, b+"_events.tsv")
	}
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}
