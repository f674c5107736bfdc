package bciloop

import (
	"bytes"
	"testing"
)

func TestWriteText(t *testing.T) {
	r := &Result{Mode: "trials", Expected: 12, N: 11, Missing: 1, Duplicates: 0, P50: 1.5, P99: 3.25, Max: 4, Mean: 1.75, Correct: 10}
	var b bytes.Buffer
	r.WriteText(&b)
	want := "bci loop (trials): 11 of 12 decisions, 1 missing, 0 duplicates\n" +
		"latency from the window's last sample pushed to its decision received: p50 1.50 ms, p99 3.25 ms, max 4.00 ms, mean 1.75 ms\n" +
		"correct decisions: 10 of 11\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	b.Reset()
	r.Correct = -1
	r.WriteText(&b)
	if n := bytes.Count(b.Bytes(), []byte("\n")); n != 2 {
		t.Errorf("asynchronous mode: %d lines, want 2 (no correct count):\n%s", n, b.String())
	}
}
