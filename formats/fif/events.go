package fif

import (
	"io"
	"os"
	"strconv"

	"github.com/neurostream/neurostream/formats"
)

// Event is one row of an MNE event array.
type Event struct {
	// Sample is the acquisition sample number (it counts from the start
	// of the acquisition, so it includes the raw file's FirstSample).
	Sample int64
	// Prev is the trigger channel's value before the event.
	Prev int64
	// Code is the event id.
	Code int64
}

// ReadEvents reads an MNE event file (-eve.fif): the FIFF_MNE_EVENT_LIST
// of its FIFFB_MNE_EVENTS block, as mne.read_events returns it.
func ReadEvents(path string) ([]Event, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	return ReadEventsFrom(fh, st.Size(), path)
}

// ReadEventsFrom is ReadEvents for an io.ReaderAt holding size bytes; name
// is used in errors.
func ReadEventsFrom(r io.ReaderAt, size int64, name string) ([]Event, error) {
	f := &file{r: r, size: size, name: name}
	root, err := f.open()
	if err != nil {
		return nil, err
	}
	blocks := root.find(blockMNEEvents)
	if len(blocks) == 0 {
		return nil, f.errorf(-1, "FIFFB_MNE_EVENTS", "could not find event data: not an event file")
	}
	for _, t := range blocks[0].entries {
		if t.kind != kindMNEEventList {
			continue
		}
		const field = "FIFF_MNE_EVENT_LIST"
		v, err := f.numbers(t, field)
		if err != nil {
			return nil, err
		}
		if len(v)%3 != 0 {
			return nil, f.errorf(t.pos+8, field, "%d values is not a whole number of (sample, previous, code) rows", len(v))
		}
		if len(v) == 0 {
			return nil, f.errorf(t.pos+8, field, "no events found")
		}
		ev := make([]Event, len(v)/3)
		for i := range ev {
			ev[i] = Event{Sample: int64(v[3*i]), Prev: int64(v[3*i+1]), Code: int64(v[3*i+2])}
		}
		return ev, nil
	}
	return nil, f.errorf(-1, "FIFF_MNE_EVENT_LIST", "could not find any events")
}

// EventsToAnnotations turns events into annotations on a raw recording
// whose sample 0 is acquisition sample firstSample (Reader.FirstSample)
// and whose rate is sfreq Hz: onset (Sample-firstSample)/sfreq seconds,
// duration 0, the code as a decimal string. Events before the recording
// get negative onsets; they are kept, in event order.
func EventsToAnnotations(ev []Event, firstSample int64, sfreq float64) []formats.Annotation {
	out := make([]formats.Annotation, len(ev))
	for i, e := range ev {
		out[i] = formats.Annotation{
			Onset:       float64(e.Sample-firstSample) / sfreq,
			Description: strconv.FormatInt(e.Code, 10),
		}
	}
	return out
}
