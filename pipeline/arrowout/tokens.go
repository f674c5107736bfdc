package arrowout

import (
	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
)

// TokensSchema is the tokens result: one row per channel and 0.5 s frame,
// the frame's time-frequency motif token (package tokenizer). frame j
// covers samples [100·j, 100·j+200) of the session's 200 Hz clock (the
// token describes frames j−context … j+context); token is the id in the
// vocabulary and distance the Euclidean distance between the unit-norm
// motif and its codeword (0 … 2).
var TokensSchema = schema(KindTokens, channelLabels,
	arrow.Field{Name: "frame", Type: arrow.PrimitiveTypes.Int64},
	arrow.Field{Name: "token", Type: arrow.PrimitiveTypes.Int32},
	arrow.Field{Name: "distance", Type: arrow.PrimitiveTypes.Float64},
)

// TokensRows builds tokens records.
type TokensRows struct {
	rows
	frame    *array.Int64Builder
	token    *array.Int32Builder
	distance *array.Float64Builder
}

// NewTokensRows returns a builder of tokens records; mem nil means the
// default allocator.
func NewTokensRows(mem memory.Allocator) *TokensRows {
	r := &TokensRows{rows: newRows(mem, TokensSchema, len(channelLabels))}
	r.frame = r.field(0).(*array.Int64Builder)
	r.token = r.field(1).(*array.Int32Builder)
	r.distance = r.field(2).(*array.Float64Builder)
	return r
}

// Reserve makes room for n rows with channel labels of at most
// labelBytes bytes.
func (r *TokensRows) Reserve(n, labelBytes int) {
	r.reserve(n, max(16, labelBytes))
}

// Append adds one channel's token of frame for window k.
func (r *TokensRows) Append(k WindowKey, channel string, frame int64, token int32, distance float64) {
	r.key(k, channel)
	r.frame.Append(frame)
	r.token.Append(token)
	r.distance.Append(distance)
}
