package kafka_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	nskafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/kafka/kafkatest"
)

// waitFor polls cond every 50 ms until it holds, or fails the test
// after timeout saying what did not happen and what last stood.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		ok, state := cond()
		if ok {
			return time.Since(start)
		}
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %v (%s)", what, timeout, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// series gathers reg and returns each sample of the named metric by its
// labels ("topic/partition", or "" without labels).
func series(t *testing.T, reg *prometheus.Registry, name string) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			lv := map[string]string{}
			for _, l := range m.GetLabel() {
				lv[l.GetName()] = l.GetValue()
			}
			key := ""
			if len(lv) > 0 {
				key = lv["topic"] + "/" + lv["partition"]
			}
			out[key] = value(m)
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	}
	return 0
}

func statsString(ps []nskafka.PartitionStats) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s/%d pos %d committed %d log %d–%d lag %d; ", p.Topic, p.Partition, p.Position, p.Committed, p.LogStart, p.LogEnd, p.Lag)
	}
	return b.String()
}

// TestPartitionLag: per-partition lag comes from the log end (ListOffsets),
// not from fetches: a group that never committed lags by the whole
// partition, a group that read and acknowledged everything by 0 (so lag
// returns to 0 once the input is consumed), and records written later
// count again. The collector exports the same numbers.
func TestPartitionLag(t *testing.T) {
	const partitions = 2
	tp := newTopics(t, partitions)
	msgs := chunkMessages(t, recSource(sims("lag-", 3, 5)))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := tp.chunkWriter(t)
	defer w.Close()
	half := len(msgs) / 2
	if err := w.Write(ctx, msgs[:half]...); err != nil {
		t.Fatal(err)
	}

	cfg := nskafka.SourceConfig{Topics: []string{tp.input}, GroupID: kafkatest.Name(t, "group"), Logger: logger(), OffsetsInterval: 200 * time.Millisecond}
	cfg.Brokers = []string{tp.broker}
	src, err := nskafka.NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(nskafka.NewSourceCollector(src))
	if got := series(t, reg, "neurostream_kafka_source_ready"); got[""] != 0 {
		t.Errorf("ready %v before Connect", got)
	}
	if err := src.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	defer src.Close(context.Background())

	lc := &lagCheck{t: t, ctx: ctx, src: src, reg: reg, topic: tp.input, partitions: partitions}

	// Nothing read, nothing committed: the lag is every record.
	end := endOffsets(t, tp.broker, tp.input, partitions)
	lc.checkUnread(end, int64(half))

	// Read and acknowledge everything: committed and position reach the
	// end, the lag 0.
	lc.readAll(half)
	waitFor(t, 10*time.Second, "lag 0 after everything was acknowledged", lc.caughtUp(end))
	committed := series(t, reg, "neurostream_kafka_partition_committed_offset")
	lag := series(t, reg, "neurostream_kafka_partition_lag")
	for p := range partitions {
		k := fmt.Sprintf("%s/%d", tp.input, p)
		if committed[k] != float64(end[p]) || lag[k] != 0 {
			t.Errorf("%s: committed %v lag %v exported, want %d and 0", k, committed[k], lag[k], end[p])
		}
	}

	// Records written later are lag again, before anything fetches them
	// for the pipeline, then 0 once they are acknowledged.
	if err := w.Write(ctx, msgs[half:]...); err != nil {
		t.Fatal(err)
	}
	end2 := endOffsets(t, tp.broker, tp.input, partitions)
	waitFor(t, 10*time.Second, "lag of the records written later", func() (bool, string) {
		return src.Lag() == int64(len(msgs)-half), statsString(src.PartitionStats())
	})
	lc.readAll(len(msgs) - half)
	waitFor(t, 10*time.Second, "lag 0 again", lc.caughtUp(end2))
	lc.checkEnd()
}

// lagCheck is TestPartitionLag's source and its collector's registry.
type lagCheck struct {
	t          *testing.T
	ctx        context.Context
	src        *nskafka.Source
	reg        *prometheus.Registry
	topic      string
	partitions int
}

// checkUnread checks the lag of a group that read and committed nothing:
// every record, total of them, end[p] in partition p; exported too.
func (lc *lagCheck) checkUnread(end map[int]int64, total int64) {
	t, src := lc.t, lc.src
	t.Helper()
	waitFor(t, 20*time.Second, "ready with the lag of every partition known", func() (bool, string) {
		ok, why := src.Ready()
		ps := src.PartitionStats()
		if !ok || len(ps) != lc.partitions {
			return false, why
		}
		for _, p := range ps {
			if p.Lag < 0 {
				return false, statsString(ps)
			}
		}
		return true, ""
	})
	var sum int64
	for _, p := range src.PartitionStats() {
		if p.Committed != -1 || p.LogStart != 0 || p.LogEnd != end[p.Partition] || p.Lag != end[p.Partition] || p.Assignments != 1 {
			t.Errorf("before reading: %s want committed -1, log 0–%d, lag %d, one assignment", statsString([]nskafka.PartitionStats{p}), end[p.Partition], end[p.Partition])
		}
		sum += p.Lag
	}
	if sum != total || src.Lag() != total {
		t.Errorf("lag %d (Lag() %d) before reading, want every record written: %d", sum, src.Lag(), total)
	}
	lag := series(t, lc.reg, "neurostream_kafka_partition_lag")
	for p := range lc.partitions {
		if k := fmt.Sprintf("%s/%d", lc.topic, p); lag[k] != float64(end[p]) {
			t.Errorf("neurostream_kafka_partition_lag{%s} = %v, want %d (all series %v)", k, lag[k], end[p], lag)
		}
	}
	if c := series(t, lc.reg, "neurostream_kafka_partition_committed_offset"); len(c) != 0 {
		t.Errorf("committed offsets %v exported for a group that never committed", c)
	}
	if r := series(t, lc.reg, "neurostream_kafka_source_ready"); r[""] != 1 {
		t.Errorf("neurostream_kafka_source_ready = %v, want 1", r)
	}
}

// readAll reads and acknowledges n messages.
func (lc *lagCheck) readAll(n int) {
	lc.t.Helper()
	for range n {
		_, ack, err := lc.src.Read(lc.ctx)
		if err != nil {
			lc.t.Fatal(err)
		}
		ack(nil)
	}
}

// caughtUp is a waitFor condition: committed offset, position and log end
// at want in every partition, the lag 0.
func (lc *lagCheck) caughtUp(want map[int]int64) func() (bool, string) {
	return func() (bool, string) {
		ps := lc.src.PartitionStats()
		for _, p := range ps {
			if p.Committed != want[p.Partition] || p.Position != want[p.Partition] || p.LogEnd != want[p.Partition] || p.Lag != 0 {
				return false, statsString(ps)
			}
		}
		return len(ps) == lc.partitions && lc.src.Lag() == 0, statsString(ps)
	}
}

// checkEnd checks that the source saw no rebalance and no offsets error,
// one assignment per partition, and is not ready once closed.
func (lc *lagCheck) checkEnd() {
	t, src := lc.t, lc.src
	t.Helper()
	if st := src.Stats(); st.Rebalances != 0 || st.OffsetsErrors != 0 {
		t.Errorf("stats %+v: want no rebalance, no offsets error", st)
	}
	if r := series(t, lc.reg, "neurostream_kafka_rebalances_total"); r[""] != 0 {
		t.Errorf("neurostream_kafka_rebalances_total = %v", r)
	}
	if a := series(t, lc.reg, "neurostream_kafka_partition_assignments_total"); len(a) != lc.partitions {
		t.Errorf("assignments %v, want one per partition", a)
	}
	if err := src.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ok, why := src.Ready(); ok || why != "closed" {
		t.Errorf("Ready() = %v, %q after Close", ok, why)
	}
}
