package wire

import (
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// sameChunk compares chunks, values by bit pattern (so NaN equals itself).
func sameChunk(a, b *Chunk) bool {
	if a.Session != b.Session || math.Float64bits(a.SampleRate) != math.Float64bits(b.SampleRate) ||
		a.FirstSample != b.FirstSample || a.StartTimeNS != b.StartTimeNS || a.Seq != b.Seq ||
		len(a.Channels) != len(b.Channels) || len(a.Data) != len(b.Data) {
		return false
	}
	for i := range a.Channels {
		x, y := a.Channels[i], b.Channels[i]
		if x.Label != y.Label || x.Type != y.Type || x.Unit != y.Unit || x.SampleRate != y.SampleRate ||
			(x.Pos == nil) != (y.Pos == nil) || x.Pos != nil && *x.Pos != *y.Pos {
			return false
		}
	}
	for i := range a.Data {
		if len(a.Data[i]) != len(b.Data[i]) {
			return false
		}
		for j := range a.Data[i] {
			if math.Float32bits(a.Data[i][j]) != math.Float32bits(b.Data[i][j]) {
				return false
			}
		}
	}
	return true
}

// FuzzDecode: arbitrary bytes never panic and yield either a *DecodeError
// or a well-formed chunk within the default Limits, whose first_sample +
// rows does not overflow, that re-encodes to an equal chunk; a decoder that
// has cached another channel set decodes exactly like a fresh one; tighter
// Limits refuse exactly the chunks beyond them, with ReasonLimit; and
// decoding allocates at most allocBound(len(b)) bytes.
func FuzzDecode(f *testing.F) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, shape := range [][2]int{{1, 1}, {2, 3}, {5, 8}, {3, 40}} {
		c := randChunk(rng, shape[0], shape[1])
		f.Add(mustEncode(f, c))
		f.Add(arrowChunk(f, c))
	}
	f.Add([]byte{})
	f.Add([]byte("ARROW1\x00\x00"))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	warm := mustEncode(f, randChunk(rng, 4, 16))
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, warm, b) })
}

// TestDecodeMutations is FuzzDecode's property applied systematically:
// every single-byte change (four ways) and every truncation of valid
// messages from both producers.
func TestDecodeMutations(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	warm := mustEncode(t, randChunk(rng, 4, 16))
	c := randChunk(rng, 3, 2)
	for _, msg := range [][]byte{mustEncode(t, c), arrowChunk(t, c)} {
		for i := range msg {
			orig := msg[i]
			for _, v := range []byte{0, 0xff, orig ^ 0x80, orig + 1} {
				msg[i] = v
				checkDecode(t, warm, msg)
			}
			msg[i] = orig
			checkDecode(t, warm, msg[:i])
		}
	}
}

// checkDecode decodes b with a decoder that first decoded warm and with a
// fresh one, and checks the FuzzDecode property.
func checkDecode(t *testing.T, warm, b []byte) {
	t.Helper()
	dec := NewDecoder(nil)
	var warmed Chunk
	if err := dec.Decode(&warmed, warm); err != nil {
		t.Fatal(err)
	}
	c := warmed // shares storage with warmed: Decode must cope with reuse
	err := dec.Decode(&c, b)
	var fresh Chunk
	freshErr := NewDecoder(nil).Decode(&fresh, b)
	if (err == nil) != (freshErr == nil) || err != nil && err.Error() != freshErr.Error() {
		t.Fatalf("warm decoder: %v; fresh decoder: %v", err, freshErr)
	}
	if !raceEnabled {
		if a := minDecodeAlloc(b); a > allocBound(len(b)) {
			t.Fatalf("%d-byte message allocated %d bytes, bound %d (error %v)", len(b), a, allocBound(len(b)), err)
		}
	}
	checkTightLimits(t, b, &c, err)
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) || de.Reason != ReasonDecode && de.Reason != ReasonLimit {
			t.Fatalf("error %v is not a *DecodeError with reason decode or limit", err)
		}
		if (de.Reason == ReasonLimit) != (de.Limit != "") {
			t.Fatalf("reason %q with Limit %q", de.Reason, de.Limit)
		}
		if strings.Contains(err.Error(), "internal error") {
			t.Fatalf("decoder panicked: %v", err)
		}
		return
	}
	if !sameChunk(&c, &fresh) {
		t.Fatal("warm and fresh decoders disagree")
	}
	if len(c.Channels) == 0 || len(c.Data) != len(c.Channels) || c.Len() == 0 {
		t.Fatalf("decoded malformed chunk: %d channels, %d columns, %d rows", len(c.Channels), len(c.Data), c.Len())
	}
	for _, col := range c.Data {
		if len(col) != c.Len() {
			t.Fatal("ragged columns")
		}
	}
	if c.FirstSample < 0 || c.FirstSample > math.MaxInt64-int64(c.Len()) || c.LastSample() != c.FirstSample+int64(c.Len()) {
		t.Fatalf("first_sample %d + %d rows overflows", c.FirstSample, c.Len())
	}
	if len(b) > DefaultMaxMessageBytes || len(c.Channels) > DefaultMaxChannels || c.Len() > DefaultMaxRows ||
		!(c.SampleRate >= DefaultMinSampleRate && c.SampleRate <= DefaultMaxSampleRate) {
		t.Fatalf("chunk beyond the default limits accepted: %d bytes, %d channels, %d rows, %v Hz", len(b), len(c.Channels), c.Len(), c.SampleRate)
	}
	again, err := NewEncoder(nil).Encode(nil, &c)
	if err != nil {
		t.Fatalf("decoded chunk does not re-encode: %v", err)
	}
	var back Chunk
	if err := NewDecoder(nil).Decode(&back, again); err != nil || !sameChunk(&back, &c) {
		t.Fatalf("re-encoded chunk does not round-trip (err %v)", err)
	}
}

// tight are Limits small enough for fuzzed messages to cross.
var tight = Limits{MaxMessageBytes: 2048, MaxChannels: 3, MaxRows: 8, MinSampleRate: 1, MaxSampleRate: 1000}

// checkTightLimits decodes b under tight Limits, given c and err from the
// default ones: a message the defaults refuse is refused, and one they
// accept is refused, with ReasonLimit, exactly when it is beyond tight.
func checkTightLimits(t *testing.T, b []byte, c *Chunk, err error) {
	t.Helper()
	dec := NewDecoder(nil)
	dec.Limits = tight
	var got Chunk
	terr := dec.Decode(&got, b)
	if err != nil {
		if terr == nil {
			t.Fatalf("tight limits accept what the defaults refuse (%v)", err)
		}
		return
	}
	beyond := len(b) > tight.MaxMessageBytes || len(c.Channels) > tight.MaxChannels || c.Len() > tight.MaxRows ||
		c.SampleRate < tight.MinSampleRate || c.SampleRate > tight.MaxSampleRate
	switch {
	case beyond && ReasonOf(terr) != ReasonLimit:
		t.Fatalf("chunk of %d bytes, %d channels, %d rows at %v Hz under %+v: got %v, want a limit error", len(b), len(c.Channels), c.Len(), c.SampleRate, tight, terr)
	case !beyond && terr != nil:
		t.Fatalf("chunk within %+v refused: %v", tight, terr)
	case !beyond && !sameChunk(&got, c):
		t.Fatal("tight and default limits decode differently")
	}
}

// minDecodeAlloc returns the bytes a fresh Decoder allocates decoding b
// into a fresh Chunk. It measures up to three times and keeps the least
// while over the bound: the fuzzing engine's goroutines may allocate
// meanwhile, never less.
func minDecodeAlloc(b []byte) uint64 {
	least := uint64(math.MaxUint64)
	for range 3 {
		var c Chunk
		dec := NewDecoder(nil)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_ = dec.Decode(&c, b)
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
		if least <= allocBound(len(b)) {
			break
		}
	}
	return least
}
