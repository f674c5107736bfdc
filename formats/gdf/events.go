package gdf

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/internal/mneannot"
)

// EventTable is the table after the data records.
type EventTable struct {
	// Mode is 1 (position and type) or 3 (also channel and duration).
	Mode uint8
	// SampleRate is the event table's own rate in Hz. MNE ignores it and
	// reads positions and durations at the signal rate; so does Reader.
	SampleRate float64
	Events     []Event
}

// Event is one event table entry.
type Event struct {
	// Position is the 1-based sample position as written.
	Position uint32
	// Type is the event code, e.g. 0x8100 (33024).
	Type uint16
	// Channel is 0 for all channels (always 0 in mode 1).
	Channel uint16
	// Duration in samples (1 in mode 1).
	Duration uint32
}

// eventTableSize returns the bytes the event table whose first bytes are
// b occupies, or 0 when MNE reads no events from it.
func eventTableSize(b []byte, version float64) int64 {
	if len(b) == 0 || (version < 1.9 && b[0] != 1 && b[0] != 3) {
		return 0
	}
	if len(b) < 8 {
		return 8
	}
	n := eventCount(b, version)
	per := int64(6)
	if b[0] == 3 {
		per = 12
	}
	return 8 + int64(n)*per
}

func eventCount(b []byte, version float64) uint32 {
	if version < 1.94 {
		return binary.LittleEndian.Uint32(b[4:])
	}
	return uint32(b[1]) | uint32(b[2])<<8 | uint32(b[3])<<16
}

// ParseEvents parses an event table, b starting at its first byte (right
// after the last data record), for a file of the given version number. It
// returns nil without error when there is no table: b is empty, or a GDF 1
// mode other than 1 and 3. As MNE, a GDF 2 table of any other mode is read
// as mode 1. Errors are *formats.Error with offsets relative to b.
func ParseEvents(b []byte, version float64) (*EventTable, error) {
	return parseEvents("events", b, version, 0)
}

func parseEvents(name string, b []byte, version float64, base int64) (*EventTable, error) {
	size := eventTableSize(b, version)
	if size == 0 {
		return nil, nil
	}
	if int64(len(b)) < size {
		field := "event table"
		if len(b) < 8 {
			field = "event table header"
		}
		return nil, &formats.Error{File: name, Offset: base + int64(len(b)), Field: field,
			Msg: fmt.Sprintf("needs %d bytes, file has %d", size, len(b))}
	}
	le := binary.LittleEndian
	t := &EventTable{Mode: b[0]}
	n := int(eventCount(b, version))
	if version < 1.94 {
		t.SampleRate = float64(uint32(b[1]) | uint32(b[2])<<8 | uint32(b[3])<<16)
	} else {
		t.SampleRate = float64(math.Float32frombits(le.Uint32(b[4:])))
	}
	t.Events = make([]Event, n)
	for i := range t.Events {
		e := &t.Events[i]
		e.Position = le.Uint32(b[8+4*i:])
		e.Type = le.Uint16(b[8+4*n+2*i:])
		e.Duration = 1
		if t.Mode == 3 {
			e.Channel = le.Uint16(b[8+6*n+2*i:])
			e.Duration = max(le.Uint32(b[8+8*n+4*i:]), 1)
		}
	}
	return t, nil
}

// Annotations converts the events to annotations as MNE does: the event
// code as a decimal string, at (Position-1)/sfreq seconds (a position of 0
// wraps around as MNE's uint32 arithmetic does, so it is dropped), lasting
// max(Duration, 1)/sfreq, sorted and cropped to nSamples samples as
// Raw.set_annotations does.
func (t *EventTable) Annotations(sfreq float64, nSamples int64) []formats.Annotation {
	if t == nil {
		return nil
	}
	onset := make([]float64, len(t.Events))
	dur := make([]float64, len(t.Events))
	desc := make([]string, len(t.Events))
	for i, e := range t.Events {
		onset[i] = float64(e.Position-1) / sfreq
		dur[i] = float64(max(e.Duration, 1)) / sfreq
		desc[i] = strconv.Itoa(int(e.Type))
	}
	return mneannot.FromEvents(onset, dur, desc, sfreq, nSamples)
}
