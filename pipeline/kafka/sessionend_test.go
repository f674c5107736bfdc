package kafka_test

import (
	"context"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	nskafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// TestSessionEndCommits: in Kafka mode a session ends on its final chunk,
// or, when the producer vanished without one, after the idle timeout; its
// session_end row reaches the result topic and the group's committed
// offsets reach the end of every partition: an ended session pins
// nothing.
func TestSessionEndCommits(t *testing.T) {
	for _, tc := range []struct {
		name   string
		final  bool // keep the final chunks
		reason string
	}{{"final", true, arrowout.EndFinal}, {"idle", false, arrowout.EndIdle}} {
		t.Run(tc.name, func(t *testing.T) {
			const partitions = 2
			tp := newTopics(t, partitions)
			specs := sims("end-"+tc.name+"-", 3, 7.3) // 7.3 s: the last window is unfinished
			msgs := chunkMessages(t, recSource(specs))
			keep := msgs
			if !tc.final {
				// Drop each session's last (final) chunk: the producer died.
				last := map[string]int{}
				for i, m := range msgs {
					last[m.Key] = i
				}
				keep = nil
				for i, m := range msgs {
					if last[m.Key] != i {
						keep = append(keep, m)
					}
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			w := tp.chunkWriter(t)
			for _, m := range keep {
				if err := w.Write(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}

			group := tp.input + ".group"
			r, err := pipeline.New(pipeline.Options{
				Source: tp.source(t, group), Stages: []pipeline.StageBuilder{psdStage(t)},
				Sinks: []pipeline.Sink{tp.resultSink(t)}, DeadLetters: tp.deadSink(t),
				Window: window, Workers: 2, DrainTimeout: 5 * time.Second, Logger: logger(),
				SessionIdle: 500 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			stop := run(t, r)
			ends := map[string]string{}
			rd := newReader(t, tp.broker, nskafka.ResultTopics(tp.prefix, arrowout.KindSessionEnd)...)
			rd.until(t, 30*time.Second, func(m kafkago.Message) bool {
				ends[string(m.Key)] = m.Topic
				return len(ends) == len(specs)
			})
			// Every partition's committed offset reaches its end.
			logEnd := endOffsets(t, tp.broker, tp.input, partitions)
			deadline := time.Now().Add(20 * time.Second)
			for {
				got := committed(t, tp.broker, group, tp.input, partitions)
				done := true
				for p := range partitions {
					if got[p] != logEnd[p] {
						done = false
					}
				}
				if done {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("committed %v, partition ends %v: ended sessions still pin offsets", got, logEnd)
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			for _, s := range r.Sessions() {
				if s.Ended != tc.reason {
					t.Errorf("session %s ended %q, want %q", s.Session, s.Ended, tc.reason)
				}
			}
		})
	}
}

// endOffsets returns each partition's log end offset.
func endOffsets(t *testing.T, broker, topic string, partitions int) map[int]int64 {
	t.Helper()
	cl := &kafkago.Client{Addr: kafkago.TCP(broker), Transport: &kafkago.Transport{}}
	defer cl.Transport.(*kafkago.Transport).CloseIdleConnections()
	var reqs []kafkago.OffsetRequest
	for p := range partitions {
		reqs = append(reqs, kafkago.LastOffsetOf(p))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := cl.ListOffsets(ctx, &kafkago.ListOffsetsRequest{Topics: map[string][]kafkago.OffsetRequest{topic: reqs}})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int64{}
	for _, p := range res.Topics[topic] {
		if p.Error != nil {
			t.Fatal(p.Error)
		}
		out[p.Partition] = p.LastOffset
	}
	return out
}
