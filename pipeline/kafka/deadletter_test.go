package kafka_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/pipeline"
	nskafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
	"github.com/neurostream/neurostream/pipeline/wire"
)

// badKinds are the invalid chunks mixed into the stream, by the reason
// the pipeline must give. Each is inserted before a session's next valid
// chunk and leaves the session's validator where it was, so the valid
// stream continues without a gap.
var badKinds = []string{"decode", "channel_set", "non_finite", "sample_rate", "duplicate", "out_of_order"}

// corrupt returns an invalid message of the given kind for the session of
// next (its next valid chunk), prev being the session's previous chunk.
func corrupt(t *testing.T, rng *rand.Rand, kind string, i int, prev, next pipeline.Message) pipeline.Message {
	t.Helper()
	dec := wire.NewDecoder(memory.DefaultAllocator)
	enc := wire.NewEncoder(memory.DefaultAllocator)
	load := func(m pipeline.Message) *wire.Chunk {
		var c wire.Chunk
		if err := dec.Decode(&c, m.Value); err != nil {
			t.Fatal(err)
		}
		out := c
		out.Channels = append([]formats.Channel(nil), c.Channels...)
		out.Data = make([][]float32, len(c.Data))
		for j := range c.Data {
			out.Data[j] = append([]float32(nil), c.Data[j]...)
		}
		return &out
	}
	bad := pipeline.Message{Key: next.Key, Origin: fmt.Sprintf("bad %s %d", kind, i)}
	var c *wire.Chunk
	switch kind {
	case "decode":
		bad.Value = make([]byte, 16+rng.IntN(2000))
		for j := range bad.Value {
			bad.Value[j] = byte(rng.Uint32())
		}
		if i%2 == 1 { // a truncated real chunk
			bad.Value = append([]byte(nil), next.Value[:len(next.Value)/2]...)
		}
		return bad
	case "duplicate":
		bad.Value = prev.Value
		return bad
	case "channel_set":
		c = load(next)
		c.Channels[rng.IntN(len(c.Channels))].Label = "X" + strconv.Itoa(i)
	case "non_finite":
		c = load(next)
		v := float32(math.NaN())
		if i%2 == 1 {
			v = float32(math.Inf(-1))
		}
		c.Data[rng.IntN(len(c.Data))][rng.IntN(c.Len())] = v
	case "sample_rate":
		c = load(next)
		c.SampleRate *= 2
	case "out_of_order":
		if i%2 == 0 { // old samples under a new seq
			c = load(prev)
			c.Seq += 10
		} else { // overlapping the last accepted samples
			c = load(next)
			c.FirstSample -= 5
		}
	}
	b, err := enc.Encode(nil, c)
	if err != nil {
		t.Fatal(err)
	}
	bad.Value = b
	return bad
}

// TestDeadLetters: 1000 malformed or invalid chunks mixed into a valid
// stream give exactly 1000 dead letters, each with its reason, the error
// and the input record's topic/partition/offset, carrying the original
// key and bytes; the valid windows are those of the clean stream.
func TestDeadLetters(t *testing.T) {
	const nbad = 1000
	tp := newTopics(t, 3)
	specs := sims("dlq-", 4, 20)
	want := reference(t, specs)
	valid := chunkMessages(t, recSource(specs))

	// Insert the bad chunks before random valid chunks that are not a
	// session's first; kinds in turn.
	rng := rand.New(rand.NewPCG(1, 2))
	before := make([][]int, len(valid)) // bad kinds (indices) inserted before valid[j]
	prevOf := make([]int, len(valid))
	last := map[string]int{}
	var eligible []int
	for j, m := range valid {
		if p, ok := last[m.Key]; ok {
			prevOf[j] = p
			eligible = append(eligible, j)
		}
		last[m.Key] = j
	}
	for i := range nbad {
		j := eligible[rng.IntN(len(eligible))]
		before[j] = append(before[j], i)
	}
	var msgs []pipeline.Message
	kindOf := map[string][]string{} // per session: "" for valid, else the bad kind, in order
	wantReasons := map[string]int{}
	for j, m := range valid {
		for _, i := range before[j] {
			kind := badKinds[i%len(badKinds)]
			msgs = append(msgs, corrupt(t, rng, kind, i, valid[prevOf[j]], m))
			kindOf[m.Key] = append(kindOf[m.Key], kind)
			wantReasons[kind]++
		}
		msgs = append(msgs, m)
		kindOf[m.Key] = append(kindOf[m.Key], "")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := tp.chunkWriter(t)
	if err := w.Write(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	w.Close()

	// Which input record is which: per session, records keep their order.
	type loc struct {
		p int
		o int64
	}
	input := map[loc]kafkago.Message{}
	injected := map[loc]string{}
	seen := map[string]int{}
	in := newReader(t, tp.broker, tp.input)
	in.until(t, 30*time.Second, func(m kafkago.Message) bool {
		k := string(m.Key)
		l := loc{m.Partition, m.Offset}
		input[l] = m
		if kind := kindOf[k][seen[k]]; kind != "" {
			injected[l] = kind
		}
		seen[k]++
		return len(input) == len(msgs)
	})
	in.close()

	src := tp.source(t, kafkatest.Name(t, "group"))
	dead := tp.deadSink(t)
	r := newRunner(t, src, tp.resultSink(t), dead)
	start := time.Now()
	stop := run(t, r)

	got := newResults(t)
	dl := newReader(t, tp.broker, tp.dead)
	var letters []kafkago.Message
	dl.until(t, 45*time.Second, func(m kafkago.Message) bool {
		letters = append(letters, m)
		return len(letters) == nbad
	})
	t.Logf("%d dead letters in %v", nbad, time.Since(start).Round(time.Millisecond))
	rd := newReader(t, tp.broker, tp.results...)
	rd.until(t, 30*time.Second, func(m kafkago.Message) bool {
		got.add(m)
		return got.complete(want)
	})
	rd.drain(300*time.Millisecond, got.add)
	dl.drain(300*time.Millisecond, func(m kafkago.Message) { letters = append(letters, m) })
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	if len(letters) != nbad {
		t.Errorf("%d dead letters, want %d", len(letters), nbad)
	}
	if n := r.Stats().DeadLetters.Load(); n != nbad {
		t.Errorf("runtime counted %d dead letters, want %d", n, nbad)
	}
	if n := dead.Count(); n != nbad {
		t.Errorf("sink counted %d dead letters, want %d", n, nbad)
	}
	reasons := map[string]int{}
	hit := map[loc]int{}
	for _, m := range letters {
		reason := header(m, nskafka.HeaderReason)
		reasons[reason]++
		p, err1 := strconv.Atoi(header(m, nskafka.HeaderSourcePartition))
		o, err2 := strconv.ParseInt(header(m, nskafka.HeaderSourceOffset), 10, 64)
		if err1 != nil || err2 != nil || header(m, nskafka.HeaderSourceTopic) != tp.input {
			t.Errorf("dead letter %d: source headers %q %q %q", m.Offset, header(m, nskafka.HeaderSourceTopic),
				header(m, nskafka.HeaderSourcePartition), header(m, nskafka.HeaderSourceOffset))
			continue
		}
		l := loc{p, o}
		hit[l]++
		if kind := injected[l]; kind != reason {
			t.Errorf("dead letter for %s/%d@%d: reason %q, injected %q (%s)", tp.input, p, o, reason, kind, header(m, nskafka.HeaderError))
		}
		orig := input[l]
		if string(m.Key) != string(orig.Key) || string(m.Value) != string(orig.Value) {
			t.Errorf("dead letter for %d@%d: key or value differs from the input record", p, o)
		}
		if header(m, nskafka.HeaderError) == "" || header(m, nskafka.HeaderTime) == "" || header(m, nskafka.HeaderOrigin) == "" {
			t.Errorf("dead letter for %d@%d: missing error, time or origin header", p, o)
		}
	}
	for l, kind := range injected {
		if hit[l] != 1 {
			t.Errorf("injected %s at %d@%d dead-lettered %d times", kind, l.p, l.o, hit[l])
		}
	}
	for _, k := range badKinds {
		if reasons[k] != wantReasons[k] {
			t.Errorf("reason %s: %d dead letters, want %d", k, reasons[k], wantReasons[k])
		}
	}
	t.Logf("reasons %v", reasons)
	got.check(want)
	if d := got.duplicates(); d != 0 {
		t.Errorf("%d duplicate results", d)
	}
	if g := r.Stats().Gaps.Load(); g != 0 {
		t.Errorf("%d gaps reported", g)
	}
}
