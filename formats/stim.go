package formats

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// StimEvent is one event written into a synthesized stim channel.
type StimEvent struct {
	Sample int64
	Code   int
}

// StimFromAnnotations returns the events that codes selects among the
// annotations, as mne.events_from_annotations(raw, event_id=codes) does:
// an annotation whose Description is a key of codes gives an event at its
// onset sample (Onset·rate rounded to the nearest sample) with code
// codes[Description]; others are ignored. Events are in sample order; one
// outside [0, nSamples) is an error naming it. Codes must be positive
// (0 is "no event" in a stim channel).
func StimFromAnnotations(ann []Annotation, rate float64, nSamples int64, codes map[string]int) ([]StimEvent, error) {
	var ev []StimEvent
	for _, a := range ann {
		code, ok := codes[a.Description]
		if !ok {
			continue
		}
		if code <= 0 {
			return nil, fmt.Errorf("stim: code %d for %q: codes must be positive", code, a.Description)
		}
		s := int64(math.Round(a.Onset * rate))
		if s < 0 || s >= nSamples {
			return nil, fmt.Errorf("stim: annotation %q at %g s is outside the recording (0–%g s)", a.Description, a.Onset, float64(nSamples)/rate)
		}
		ev = append(ev, StimEvent{Sample: s, Code: code})
	}
	slices.SortStableFunc(ev, func(a, b StimEvent) int { return int(a.Sample - b.Sample) })
	return ev, nil
}

// WithStim returns rec with one more channel, a stim channel labelled
// label (unit "NA", as MNE's stim channels) holding each event's code at
// its sample and 0 elsewhere, as mne's raw.add_events writes them
// (one-sample pulses; of events on the same sample the last one wins).
// Closing the result closes rec. It fails if rec already has a channel
// labelled label.
func WithStim(rec Recording, label string, events []StimEvent) (Recording, error) {
	in := rec.Info()
	for _, ch := range in.Channels {
		if ch.Label == label {
			return nil, fmt.Errorf("stim: the recording already has a channel %q", label)
		}
	}
	info := *in
	info.Channels = append(slices.Clone(in.Channels), Channel{Label: label, Type: Stim, Unit: "NA", SampleRate: in.SampleRate})
	events = slices.Clone(events)
	slices.SortStableFunc(events, func(a, b StimEvent) int { return int(a.Sample - b.Sample) })
	return &stimRecording{Recording: rec, info: &info, events: events}, nil
}

type stimRecording struct {
	Recording
	info   *Info
	events []StimEvent
}

func (r *stimRecording) Info() *Info { return r.info }

func (r *stimRecording) ReadSamples(dst [][]float64, start, stop int64) error {
	n := len(r.info.Channels)
	if len(dst) != n {
		panic(fmt.Sprintf("formats: ReadSamples: %d channels in dst, the recording has %d", len(dst), n))
	}
	if err := r.Recording.ReadSamples(dst[:n-1], start, stop); err != nil {
		return err
	}
	stim := dst[n-1]
	clear(stim)
	i := sort.Search(len(r.events), func(i int) bool { return r.events[i].Sample >= start })
	for ; i < len(r.events) && r.events[i].Sample < stop; i++ {
		stim[r.events[i].Sample-start] = float64(r.events[i].Code)
	}
	return nil
}
