// Package arrowout defines the Arrow schemas of neurostream's results, the
// Result and Kind types that carry them, and a row builder per kind; each
// kind's schema and builder come from one column table (columns.go).
// PSDWindows and BandPowerWindows (fixed.go) build the psd stage's records,
// whose rows are the same in every window, sharing the columns that do not
// change between windows. The sinks that write results (files, SzCORE annotations, the run summary)
// are in package pipeline/sinks.
//
// Every result row starts with the same key columns: session, window (index
// on the session's window clock), start_sample (first sample of the window
// on the session's sample clock) and start_time (UTC), then the labels of
// what the row describes: channel, or seed and target for channel pairs
// (coherence), or none for rows about a whole window (ssvep, seizure).
// docs/schemas.md documents each kind; SchemaVersion changes when a schema
// does.
package arrowout

import (
	"fmt"

	"github.com/apache/arrow/go/v17/arrow"
)

// SchemaVersion is written as neurostream.schema_version in every schema.
const SchemaVersion = "2"

// Kind names a result kind; it is the file stem and, in Kafka, the topic
// suffix.
type Kind string

// Result kinds.
const (
	KindPSD       Kind = "psd"
	KindBandPower Kind = "bandpower"
	KindCoherence Kind = "coherence"
	KindXCorr     Kind = "xcorr"
	KindSSVEP     Kind = "ssvep"
	KindSeizure   Kind = "seizure"
	KindTokens    Kind = "tokens"
)

// WindowKey identifies one analysis window of one session.
type WindowKey struct {
	Session string
	// Window is the window index: window k starts at sample k·hop.
	Window int64
	// StartSample is the first sample of the window on the session clock.
	StartSample int64
	// StartTimeNS is the wall-clock time of StartSample in unix ns.
	StartTimeNS int64
}

// Result is the rows one stage produced for one window of one session.
type Result struct {
	Kind   Kind
	Key    WindowKey
	Record arrow.Record
}

// IdempotencyKey is "session/kind/window": the same window processed twice
// (after a crash or rebalance) carries the same key.
func (r Result) IdempotencyKey() string {
	return fmt.Sprintf("%s/%s/%d", r.Key.Session, r.Kind, r.Key.Window)
}

// Kinds lists every result kind.
func Kinds() []Kind {
	return []Kind{KindPSD, KindBandPower, KindCoherence, KindXCorr, KindSSVEP, KindSeizure, KindTokens, KindSessionEnd}
}

// Schema returns the schema of a result kind, or nil for an unknown kind.
func Schema(k Kind) *arrow.Schema {
	switch k {
	case KindPSD:
		return PSDSchema
	case KindBandPower:
		return BandPowerSchema
	case KindCoherence:
		return CoherenceSchema
	case KindXCorr:
		return XCorrSchema
	case KindSSVEP:
		return SSVEPSchema
	case KindSeizure:
		return SeizureSchema
	case KindTokens:
		return TokensSchema
	case KindSessionEnd:
		return SessionEndSchema
	}
	return nil
}
