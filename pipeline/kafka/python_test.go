package kafka_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// psdSummary is what the psd results of a run add up to.
type psdSummary struct {
	Messages  int              `json:"messages"`
	Rows      int              `json:"rows"`
	Windows   map[string][]int `json:"windows"`
	KeysOK    bool             `json:"keys_ok"`
	PSDSum    float64          `json:"psd_sum"`
	PSDValues int              `json:"psd_values"`
	Kinds     []string         `json:"kinds"`
	Columns   []string         `json:"columns"`
}

// summarySink computes the psd summary on the Go side.
type summarySink struct{ s psdSummary }

func (c *summarySink) Write(_ context.Context, rs []arrowout.Result) error {
	for _, r := range rs {
		if r.Kind != arrowout.KindPSD {
			continue
		}
		c.s.Messages++
		c.s.Rows += int(r.Record.NumRows())
		c.s.Windows[r.Key.Session] = append(c.s.Windows[r.Key.Session], int(r.Key.Window))
		vals := r.Record.Column(8).(*array.List).ListValues().(*array.Float64)
		for _, v := range vals.Float64Values() {
			c.s.PSDSum += v
		}
		c.s.PSDValues += vals.Len()
	}
	return nil
}

func (c *summarySink) Close() error { return nil }

// TestPythonConsumer: a Python client with no neurostream code
// (confluent-kafka and pyarrow) reads the psd result topic and decodes
// every row; its summary matches the Go side's.
func TestPythonConsumer(t *testing.T) {
	tp := newTopics(t, 2)
	py := testenv.Python(t)
	if out, err := exec.Command(py, "-c", "import confluent_kafka, pyarrow").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("%s lacks confluent-kafka or pyarrow (%v: %s): run `make pyenv`", py, err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	// Results straight from recordings to Kafka, and the same summary in Go.
	specs := sims("py-", 2, 12)
	want := &summarySink{s: psdSummary{Windows: map[string][]int{}}}
	sink := tp.resultSink(t)
	r, err := pipeline.New(pipeline.Options{
		Source: recSource(specs), Stages: []pipeline.StageBuilder{psdStage(t)},
		Sinks: []pipeline.Sink{sink, want}, Window: window, Logger: logger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}

	topic := tp.results[0] // psd
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, filepath.Join("testdata", "consume_results.py"), tp.broker, topic, fmt.Sprint(want.s.Messages), "40")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python consumer: %v\n%s", err, out)
	}
	var got psdSummary
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("python output %q: %v", out, err)
	}
	if got.Messages != want.s.Messages || got.Rows != want.s.Rows || got.PSDValues != want.s.PSDValues {
		t.Errorf("python read %d messages, %d rows, %d psd values; Go wrote %d, %d, %d",
			got.Messages, got.Rows, got.PSDValues, want.s.Messages, want.s.Rows, want.s.PSDValues)
	}
	for s, ws := range want.s.Windows {
		if !slices.Equal(got.Windows[s], ws) {
			t.Errorf("session %s: python saw windows %v, Go wrote %v", s, got.Windows[s], ws)
		}
	}
	if !got.KeysOK {
		t.Error("python: a record's key or idempotency-key header disagrees with its rows")
	}
	if math.Abs(got.PSDSum-want.s.PSDSum) > 1e-9*math.Abs(want.s.PSDSum) {
		t.Errorf("python psd sum %g, Go %g", got.PSDSum, want.s.PSDSum)
	}
	if !slices.Equal(got.Kinds, []string{"psd"}) || len(got.Columns) == 0 || got.Columns[0] != "session" {
		t.Errorf("python saw kinds %v columns %v", got.Kinds, got.Columns)
	}
	t.Logf("python decoded %d records, %d rows, sessions %d", got.Messages, got.Rows, len(got.Windows))
}
