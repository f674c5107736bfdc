package arrowout

import "github.com/apache/arrow/go/v17/arrow/memory"

// tokensRow is a tokens row after its key columns.
type tokensRow struct {
	frame    int64
	token    int32
	distance float64
	levels   []int32 // power levels per band, nil for none (null)
}

var tokensTable = newTable(KindTokens, channelLabels,
	int64Col("frame", func(r tokensRow) int64 { return r.frame }),
	int32Col("token", func(r tokensRow) int32 { return r.token }),
	float64Col("distance", func(r tokensRow) float64 { return r.distance }),
	int32sCol("power_levels", func(r tokensRow) []int32 { return r.levels }).nullUnless(func(r tokensRow) bool { return r.levels != nil }),
)

// tokensBands is the number of power levels per row, the tokenizer's
// bands (delta, theta, alpha, beta, gamma), for Reserve.
const tokensBands = 5

// TokensSchema is the tokens result: one row per channel and 0.5 s frame,
// the frame's time-frequency motif token (package tokenizer). frame j
// covers samples [100·j, 100·j+200) of the session's 200 Hz clock (the
// token describes frames j−context … j+context); token is the id in the
// vocabulary and distance the Euclidean distance between the unit-norm
// motif and its codeword (0 … 2); power_levels are the centre frame's
// power levels in the tokenizer's bands, delta to gamma, each in [0,
// levels) (tokenizer.Vocabulary.Level), null when the vocabulary has no
// levels for the channel's type.
var TokensSchema = tokensTable.schema

// TokensRows builds tokens records.
type TokensRows struct{ rows[tokensRow] }

// NewTokensRows returns a builder of tokens records; mem nil means the
// default allocator.
func NewTokensRows(mem memory.Allocator) *TokensRows { return &TokensRows{tokensTable.rows(mem)} }

// Reserve makes room for n rows with channel labels of at most
// labelBytes bytes, and their power levels.
func (r *TokensRows) Reserve(n, labelBytes int) { r.reserve(n, max(16, labelBytes), n*tokensBands, 0) }

// Append adds one channel's token of frame for window k, without power
// levels (null).
func (r *TokensRows) Append(k WindowKey, channel string, frame int64, token int32, distance float64) {
	r.AppendLevels(k, channel, frame, token, distance, nil)
}

// AppendLevels adds one channel's token of frame for window k with the
// frame's power levels, one per band; nil levels are written as null.
func (r *TokensRows) AppendLevels(k WindowKey, channel string, frame int64, token int32, distance float64, levels []int32) {
	r.add(k, tokensRow{frame: frame, token: token, distance: distance, levels: levels}, channel)
}
