package arrowout

import "github.com/apache/arrow/go/v17/arrow/memory"

// Seizure row types.
const (
	SeizureRowWindow = "window"
	SeizureRowEvent  = "event"
	SeizureRowEnd    = "end"
)

// Seizure window states.
const (
	SeizureIctal      = "ictal"
	SeizureBackground = "background"
)

// seizureRow is a seizure row after its key columns: a window's
// probabilities and state, or an event (ev) and its channels, or the
// session's end (ev's offset).
type seizureRow struct {
	typ                   string
	probability, smoothed float64
	ictal                 bool
	ev                    SeizureEvent
	channels              []string
}

func isWindow(r seizureRow) bool  { return r.typ == SeizureRowWindow }
func isEvent(r seizureRow) bool   { return r.typ == SeizureRowEvent }
func hasOffset(r seizureRow) bool { return r.typ != SeizureRowWindow }

var seizureTable = newTable(KindSeizure, nil,
	stringCol("row_type", 6, func(r seizureRow) string { return r.typ }),
	float64Col("probability", func(r seizureRow) float64 { return r.probability }).nullUnless(isWindow),
	float64Col("smoothed", func(r seizureRow) float64 { return r.smoothed }).nullUnless(isWindow),
	stringCol("state", 10, func(r seizureRow) string {
		if r.ictal {
			return SeizureIctal
		}
		return SeizureBackground
	}).nullUnless(isWindow),
	float64Col("onset_seconds", func(r seizureRow) float64 { return r.ev.Onset }).nullUnless(isEvent),
	float64Col("offset_seconds", func(r seizureRow) float64 { return r.ev.Offset }).nullUnless(hasOffset),
	float64Col("confidence", func(r seizureRow) float64 { return r.ev.Confidence }).nullUnless(isEvent),
	stringsCol("channels", func(r seizureRow) []string { return r.channels }).nullUnless(isEvent),
	int64Col("onset_sample", func(r seizureRow) int64 { return r.ev.OnsetSample }).nullUnless(isEvent),
	timeCol("onset_time", func(r seizureRow) int64 { return r.ev.OnsetTimeNS }).nullUnless(isEvent),
	int64Col("offset_sample", func(r seizureRow) int64 { return r.ev.OffsetSample }).nullUnless(hasOffset),
	timeCol("offset_time", func(r seizureRow) int64 { return r.ev.OffsetTimeNS }).nullUnless(hasOffset),
)

// SeizureSchema is the seizure result (no label columns). Every window has
// one row_type "window" row: the detector's probability, its moving
// average (smoothed) and the hysteresis state ("ictal" or "background");
// the event columns are null. When an event is final (its end plus the
// merge gap has passed) the window that finalised it also carries a
// row_type "event" row, whose key columns are that window's, not the
// event's: onset_seconds and offset_seconds from the session's sample 0,
// confidence (the mean smoothed probability over the event's ictal
// windows), the analysed channels, and the onset and offset again as
// samples on the session's clock (onset_sample, offset_sample) and wall
// clock (onset_time, offset_time); the window columns are null. When a
// finite input ends, a session's events still open or waiting out their
// merge gap are written, then one row_type "end" row whose offset columns
// give the session's end (offset_seconds is its duration, what an SzCORE
// annotation file calls recordingDuration); its other columns are null.
var SeizureSchema = seizureTable.schema

// SeizureEvent is a seizure event as an event row gives it: [Onset,
// Offset) in seconds from the session's sample 0, the same span in samples
// of the session's clock and in wall-clock time (unix ns), and its
// confidence.
type SeizureEvent struct {
	Onset, Offset             float64
	OnsetSample, OffsetSample int64
	OnsetTimeNS, OffsetTimeNS int64
	Confidence                float64
}

// SeizureRows builds seizure records.
type SeizureRows struct{ rows[seizureRow] }

// NewSeizureRows returns a builder of seizure records; mem nil means the
// default allocator.
func NewSeizureRows(mem memory.Allocator) *SeizureRows { return &SeizureRows{seizureTable.rows(mem)} }

// Reserve makes room for n rows, of which events carry channel lists of
// channels labels of at most labelBytes bytes in all.
func (r *SeizureRows) Reserve(n, events, channels, labelBytes int) {
	r.reserve(n, 16, events*channels, events*labelBytes)
}

// AppendWindow adds window k's row: probability, smoothed probability and
// whether the state is ictal.
func (r *SeizureRows) AppendWindow(k WindowKey, probability, smoothed float64, ictal bool) {
	r.add(k, seizureRow{typ: SeizureRowWindow, probability: probability, smoothed: smoothed, ictal: ictal})
}

// AppendEnd adds the session's end row at key k: the session ends at
// sample endSample, endTimeNS (unix ns), duration seconds after sample 0.
func (r *SeizureRows) AppendEnd(k WindowKey, duration float64, endSample, endTimeNS int64) {
	r.add(k, seizureRow{typ: SeizureRowEnd, ev: SeizureEvent{Offset: duration, OffsetSample: endSample, OffsetTimeNS: endTimeNS}})
}

// AppendEvent adds event ev, finalised at window k, and the analysed
// channels.
func (r *SeizureRows) AppendEvent(k WindowKey, ev SeizureEvent, channels []string) {
	r.add(k, seizureRow{typ: SeizureRowEvent, ev: ev, channels: channels})
}
