package kafka

import (
	"errors"
	"strings"
	"testing"
)

// TestTracker: the commit point is 1 + the last offset of the prefix
// acknowledged without error, whatever order acknowledgements come in;
// offsets need not be consecutive; an error stops the prefix for good.
func TestTracker(t *testing.T) {
	boom := errors.New("boom")
	tr := newTracker()
	offs := []int64{10, 11, 13, 14, 20, 21, 22}
	seqs := make([]int64, len(offs))
	for i, o := range offs {
		seqs[i] = tr.track(o)
	}
	steps := []struct {
		i    int
		err  error
		want int64
	}{
		{2, nil, -1}, // 13 done, 10 pending
		{0, nil, 11}, // 10 done → commit 11
		{1, nil, 14}, // 11, 13 done → commit 14
		{1, nil, 14}, // repeated acknowledgement ignored
		{4, boom, 14},
		{3, nil, 15}, // 14 done, 20 failed
		{5, nil, 15},
		{4, nil, 15}, // a failed record stays failed
		{6, nil, 15},
	}
	for k, s := range steps {
		tr.ack(seqs[s.i], s.err)
		got, _ := tr.toCommit()
		if got != s.want {
			t.Fatalf("step %d (ack offset %d, %v): commit %d, want %d", k, offs[s.i], s.err, got, s.want)
		}
	}
	if n := tr.outstanding(); n != 3 {
		t.Errorf("%d outstanding, want 3 (20 failed, 21, 22)", n)
	}
	if _, ok := tr.toCommit(); !ok {
		t.Error("new commit point not reported")
	}
	tr.markCommitted(15)
	if _, ok := tr.toCommit(); ok {
		t.Error("committed point reported again")
	}
}

// TestTrackerLong: many records acknowledged in order stay O(1) memory.
func TestTrackerLong(t *testing.T) {
	tr := newTracker()
	for o := range int64(100_000) {
		s := tr.track(o)
		if o >= 5 {
			tr.ack(s-5, nil)
		}
	}
	if got, _ := tr.toCommit(); got != 100_000-5 {
		t.Errorf("commit %d, want %d", got, 100_000-5)
	}
	if n := tr.outstanding(); n != 5 {
		t.Errorf("%d outstanding, want 5", n)
	}
	if c := cap(tr.states); c > 1024 {
		t.Errorf("state buffer grew to %d entries for 5 outstanding", c)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Connection{Brokers: []string{"127.0.0.1:9092"}}
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"no brokers", func() error { c := SourceConfig{Topics: []string{"t"}, GroupID: "g"}; return c.Validate() }, "Brokers"},
		{"bad broker", func() error {
			c := SourceConfig{Connection: Connection{Brokers: []string{"nohost"}}, Topics: []string{"t"}, GroupID: "g"}
			return c.Validate()
		}, "Brokers[0]"},
		{"no topics", func() error { c := SourceConfig{Connection: ok, GroupID: "g"}; return c.Validate() }, "Topics"},
		{"no group", func() error { c := SourceConfig{Connection: ok, Topics: []string{"t"}}; return c.Validate() }, "GroupID"},
		{"start offset", func() error {
			c := SourceConfig{Connection: ok, Topics: []string{"t"}, GroupID: "g", StartOffset: 7}
			return c.Validate()
		}, "StartOffset"},
		{"heartbeat", func() error {
			c := SourceConfig{Connection: ok, Topics: []string{"t"}, GroupID: "g", HeartbeatInterval: 20e9}
			return c.Validate()
		}, "HeartbeatInterval"},
		{"acks", func() error {
			c := ResultSinkConfig{ProducerConfig: ProducerConfig{Connection: ok, RequiredAcks: 3}}
			return c.Validate()
		}, "RequiredAcks"},
		{"chunk topic", func() error {
			c := ChunkWriterConfig{ProducerConfig: ProducerConfig{Connection: ok}}
			return c.Validate()
		}, "Topic"},
		{"negative batch", func() error {
			c := DeadLetterConfig{ProducerConfig: ProducerConfig{Connection: ok, BatchTimeout: -1}}
			return c.Validate()
		}, "BatchTimeout"},
	} {
		err := tc.err()
		if err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming %s", tc.name, err, tc.want)
		}
	}
	good := SourceConfig{Connection: ok, Topics: []string{"t"}, GroupID: "g"}
	if err := good.Validate(); err != nil {
		t.Errorf("valid source config: %v", err)
	}
	if err := (&ResultSinkConfig{ProducerConfig: ProducerConfig{Connection: ok}}).Validate(); err != nil {
		t.Errorf("valid sink config: %v", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
