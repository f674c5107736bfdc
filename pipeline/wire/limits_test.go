package wire

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestDecodeLimits: a message beyond a limit is a *DecodeError with
// ReasonLimit naming the Limits field; one at the limit decodes.
func TestDecodeLimits(t *testing.T) {
	rate := func(v string) []byte {
		m := goodMeta()
		m[KeySampleRate] = v
		return streamWith(t, m)
	}
	good := streamWith(t, goodMeta()) // 2 columns, 3 rows, 512 Hz
	for _, tc := range []struct {
		name    string
		lim     Limits
		b       []byte
		limit   string // "" when the message must decode
		key     string
		want    string
		session string
		seq     int64
	}{
		{name: "message bytes", lim: Limits{MaxMessageBytes: len(good) - 1}, b: good, limit: "MaxMessageBytes",
			want: fmt.Sprintf("message is %d bytes, above Limits.MaxMessageBytes %d", len(good), len(good)-1), seq: -1},
		{name: "message bytes at limit", lim: Limits{MaxMessageBytes: len(good)}, b: good},
		{name: "channels", lim: Limits{MaxChannels: 1}, b: good, limit: "MaxChannels",
			want: "schema has 2 columns, above Limits.MaxChannels 1", session: "s12", seq: 40},
		{name: "channels at limit", lim: Limits{MaxChannels: 2}, b: good},
		{name: "default channels", b: craftBatch(plainSchema(1025), 1025, 1, nil, packed(1), 8*1025), limit: "MaxChannels",
			want: "schema has 1025 columns, above Limits.MaxChannels 1024", session: "s12", seq: 40},
		{name: "rows", lim: Limits{MaxRows: 2}, b: good, limit: "MaxRows",
			want: "record batch has 3 rows, above Limits.MaxRows 2", session: "s12", seq: 40},
		{name: "rows at limit", lim: Limits{MaxRows: 3}, b: good},
		{name: "default rows", b: craftBatch(plainSchema(1), 1, 100_001, nil, packed(100_001), 400_008), limit: "MaxRows",
			want: "record batch has 100001 rows, above Limits.MaxRows 100000", session: "s12", seq: 40},
		// The runtime used to take 1e12 Hz and buffer the session forever,
		// and to fail 0.001 Hz later with reason "session".
		{name: "rate 1e12", b: rate("1e12"), limit: "MaxSampleRate", key: KeySampleRate,
			want: "metadata neurostream.sample_rate: 1e+12 Hz is above Limits.MaxSampleRate 100000 Hz", session: "s12", seq: 40},
		{name: "rate at default maximum", b: rate("100000")},
		{name: "rate 0.001", b: rate("0.001"), limit: "MinSampleRate", key: KeySampleRate,
			want: "0.001 Hz is below Limits.MinSampleRate 0.1 Hz", session: "s12", seq: 40},
		{name: "rate at default minimum", b: rate("0.1")},
		{name: "rate below custom range", lim: Limits{MinSampleRate: 1000, MaxSampleRate: 2000}, b: good, limit: "MinSampleRate",
			key: KeySampleRate, want: "512 Hz is below Limits.MinSampleRate 1000 Hz", session: "s12", seq: 40},
		{name: "rate above custom range", lim: Limits{MaxSampleRate: 500}, b: good, limit: "MaxSampleRate",
			key: KeySampleRate, want: "512 Hz is above Limits.MaxSampleRate 500 Hz", session: "s12", seq: 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dec := NewDecoder(nil)
			dec.Limits = tc.lim
			var c Chunk
			err := dec.Decode(&c, tc.b)
			if tc.limit == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("got %v, want a *DecodeError", err)
			}
			if de.Reason != ReasonLimit || ReasonOf(err) != ReasonLimit || de.Limit != tc.limit || de.Key != tc.key ||
				de.Session != tc.session || de.Seq != tc.seq {
				t.Errorf("got Reason %q Limit %q Key %q Session %q Seq %d, want limit %q %q %q %d",
					de.Reason, de.Limit, de.Key, de.Session, de.Seq, tc.limit, tc.key, tc.session, tc.seq)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

// TestDecodeLimitsChange: Limits set between messages apply from the next
// Decode, the sample-rate cache included.
func TestDecodeLimitsChange(t *testing.T) {
	b := streamWith(t, goodMeta())
	dec := NewDecoder(nil)
	var c Chunk
	if err := dec.Decode(&c, b); err != nil {
		t.Fatal(err)
	}
	dec.Limits.MaxSampleRate = 256
	if err := dec.Decode(&c, b); ReasonOf(err) != ReasonLimit {
		t.Fatalf("after lowering MaxSampleRate: got %v, want a limit error", err)
	}
	dec.Limits = Limits{}
	if err := dec.Decode(&c, b); err != nil {
		t.Fatalf("after restoring the defaults: %v", err)
	}
}

func TestLimitsValidate(t *testing.T) {
	if err := (Limits{}).Validate(); err != nil {
		t.Errorf("zero Limits: %v", err)
	}
	if got, want := (Limits{}).withDefaults(), (Limits{MaxMessageBytes: 64 << 20, MaxChannels: 1024, MaxRows: 100000,
		MinSampleRate: 0.1, MaxSampleRate: 100000}); got != want {
		t.Errorf("defaults %+v, want %+v", got, want)
	}
	if err := (Limits{MinSampleRate: math.SmallestNonzeroFloat64, MaxSampleRate: math.MaxFloat64}).Validate(); err != nil {
		t.Errorf("widest rate range: %v", err)
	}
	for _, tc := range []struct {
		lim  Limits
		want string
	}{
		{Limits{MaxMessageBytes: -1}, "Limits.MaxMessageBytes: must not be negative, got -1"},
		{Limits{MaxChannels: -2}, "Limits.MaxChannels: must not be negative"},
		{Limits{MaxRows: -3}, "Limits.MaxRows: must not be negative"},
		{Limits{MinSampleRate: -1}, "Limits.MinSampleRate: want a finite rate >= 0 Hz"},
		{Limits{MinSampleRate: math.NaN()}, "Limits.MinSampleRate"},
		{Limits{MaxSampleRate: math.Inf(1)}, "Limits.MaxSampleRate"},
		{Limits{MinSampleRate: 200000}, "Limits.MinSampleRate: 200000 Hz is above MaxSampleRate 100000 Hz"},
		{Limits{MinSampleRate: 10, MaxSampleRate: 5}, "Limits.MinSampleRate: 10 Hz is above MaxSampleRate 5 Hz"},
	} {
		err := tc.lim.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want an error containing %q", tc.lim, err, tc.want)
		}
	}
}

// TestDecodeInvalidLimits: invalid Limits are a programming mistake that
// Validate reports; Decode panics rather than decode under them.
func TestDecodeInvalidLimits(t *testing.T) {
	defer func() {
		if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), "Limits.MaxRows") {
			t.Errorf("got panic %v, want one naming Limits.MaxRows", p)
		}
	}()
	dec := NewDecoder(nil)
	dec.Limits.MaxRows = -1
	var c Chunk
	_ = dec.Decode(&c, streamWith(t, goodMeta()))
}

func TestLastSample(t *testing.T) {
	for _, tc := range []struct {
		first int64
		rows  int
		want  int64
	}{
		{0, 0, 0}, {20480, 512, 20992}, {math.MaxInt64 - 3, 3, math.MaxInt64},
		{math.MaxInt64 - 1, 5, math.MaxInt64}, {math.MaxInt64, 1, math.MaxInt64},
	} {
		c := &Chunk{FirstSample: tc.first}
		if tc.rows > 0 {
			c.Data = [][]float32{make([]float32, tc.rows)}
		}
		if got := c.LastSample(); got != tc.want {
			t.Errorf("FirstSample %d, %d rows: LastSample %d, want %d", tc.first, tc.rows, got, tc.want)
		}
	}
	// At the edge of the clock a chunk still round-trips.
	c := twoChannelChunk()
	c.FirstSample = math.MaxInt64 - 3
	var got Chunk
	if err := NewDecoder(nil).Decode(&got, mustEncode(t, c)); err != nil || got.LastSample() != math.MaxInt64 {
		t.Errorf("chunk ending at MaxInt64: err %v, LastSample %d", err, got.LastSample())
	}
}

// TestDecodeErrorQuotes: errors quote at most quoteMax bytes of a value,
// so a dead-letter header stays readable whatever the message holds.
func TestDecodeErrorQuotes(t *testing.T) {
	m := goodMeta()
	m[KeySampleRate] = strings.Repeat("9", 5000) + "Hz"
	err := NewDecoder(nil).Decode(&Chunk{}, streamWith(t, m))
	want := `invalid value "` + strings.Repeat("9", quoteMax) + `"… (5002 bytes)`
	if err == nil || !strings.Contains(err.Error(), want) || len(err.Error()) > 300 {
		t.Errorf("got %v, want it to contain %q", err, want)
	}
	long := "x" + strings.Repeat("é", 100) // the cut falls inside an é
	e := &DecodeError{Seq: -1, Column: long, Msg: "x"}
	if got, want := e.Error(), `decode: column "x`+strings.Repeat("é", quoteMax/2-1)+`"… (201 bytes): x`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
