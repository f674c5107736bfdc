package kafka_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/ipc"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	nskafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// TestLargeResultParts: a result over the record size limit (a psd of
// 1500 channels) reaches the broker as row parts, each under the limit,
// that together hold every row once, in order; a result whose single row
// is over the limit is rejected (pipeline.RejectedError) while the rest is
// written.
func TestLargeResultParts(t *testing.T) {
	tp := newTopics(t, 1)
	cfg := nskafka.ResultSinkConfig{TopicPrefix: tp.prefix}
	cfg.Brokers = []string{tp.broker}
	cfg.Logger = logger()
	cfg.BatchBytes = 256 << 10
	sink, err := nskafka.NewResultSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()

	const channels, bins = 1500, 129 // ~1.6 MB encoded
	key := arrowout.WindowKey{Session: "big", Window: 7, StartSample: 7 * 256}
	rows := arrowout.NewPSDRows(nil)
	defer rows.Release()
	psd := make([]float64, bins)
	for c := range channels {
		for i := range psd {
			psd[i] = float64(c*bins + i)
		}
		rows.Append(key, fmt.Sprintf("E%d", c+1), "V", 0, 1, psd)
	}
	rec := rows.Flush()
	defer rec.Release()

	one := arrowout.NewPSDRows(nil)
	defer one.Release()
	one.Append(arrowout.WindowKey{Session: "big", Window: 8}, "E1", "V", 0, 1, make([]float64, 60000)) // 480 kB in one row
	huge := one.Flush()
	defer huge.Release()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = sink.Write(ctx, []arrowout.Result{{Kind: arrowout.KindPSD, Key: key, Record: rec},
		{Kind: arrowout.KindPSD, Key: arrowout.WindowKey{Session: "big", Window: 8}, Record: huge}})
	var rej *pipeline.RejectedError
	if !errors.As(err, &rej) || rej.Window != 8 || rej.Kind != arrowout.KindPSD || rej.Size <= rej.Limit {
		t.Fatalf("Write returned %v, want a RejectedError for window 8", err)
	}

	var next int64 // the channel index the next row must have
	parts := 0
	rd := newReader(t, tp.broker, tp.results[0])
	defer rd.close()
	rd.until(t, 20*time.Second, func(m kafkago.Message) bool {
		if len(m.Value) > int(cfg.BatchBytes) {
			t.Errorf("record of %d bytes, over %d", len(m.Value), cfg.BatchBytes)
		}
		parts++
		part := header(m, nskafka.HeaderPart)
		if want := fmt.Sprintf("big/psd/7/part-%s", part); header(m, nskafka.HeaderIdempotencyKey) != want || part == "" {
			t.Errorf("part %q idempotency key %q", part, header(m, nskafka.HeaderIdempotencyKey))
		}
		r, err := ipc.NewReader(bytes.NewReader(m.Value))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Release()
		for r.Next() {
			ch := r.Record().Column(4).(*array.String)
			for i := range ch.Len() {
				if ch.Value(i) != fmt.Sprintf("E%d", next+1) {
					t.Fatalf("row %d is %s", next, ch.Value(i))
				}
				next++
			}
		}
		return next == channels
	})
	if parts < 2 {
		t.Errorf("%d parts", parts)
	}
	t.Logf("%d rows in %d parts under %d bytes", next, parts, cfg.BatchBytes)
}

// TestLargeDeadLetter: a message larger than a record may be is still
// dead-lettered, its value cut and its original size in a header, instead
// of failing the dead-letter write (and so the run, on every restart).
func TestLargeDeadLetter(t *testing.T) {
	tp := newTopics(t, 1)
	d := tp.deadSink(t)
	defer d.Close()
	garbage := bytes.Repeat([]byte("not arrow "), 2<<20/10)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := d.DeadLetter(ctx, pipeline.DeadLetter{Message: pipeline.Message{Key: "s", Value: garbage, Origin: "test"},
		Reason: "decode", Err: errors.New("not an Arrow IPC stream")})
	if err != nil {
		t.Fatal(err)
	}
	rd := newReader(t, tp.broker, tp.dead)
	defer rd.close()
	rd.until(t, 10*time.Second, func(m kafkago.Message) bool {
		if got := header(m, nskafka.HeaderTruncated); got != fmt.Sprint(len(garbage)) || len(m.Value) >= 1<<20 || !bytes.HasPrefix(garbage, m.Value) {
			t.Errorf("dead letter of %d bytes, truncated header %q", len(m.Value), got)
		}
		return true
	})
}
