package progress

import (
	"bytes"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestLines: off a terminal, Auto writes one whole line per item and
// never a carriage return; Silent writes nothing.
func TestLines(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf, Config{Poll: func() (int64, string) { return 500, "half" }})
	if r.Bar() {
		t.Fatal("a bytes.Buffer is not a terminal: want lines")
	}
	r.Item("done %s", "a.edf")
	r.Item("done %s", "b.edf")
	r.Close()
	if got, want := buf.String(), "done a.edf\ndone b.edf\n"; got != want {
		t.Errorf("lines: got %q, want %q", got, want)
	}

	buf.Reset()
	r = New(&buf, Config{Mode: Silent})
	r.Item("done")
	r.Close()
	if buf.Len() != 0 {
		t.Errorf("silent wrote %q", buf.String())
	}
	var nilReporter *Reporter
	nilReporter.Item("x")
	nilReporter.Close()
}

// syncBuffer is a bytes.Buffer safe for the Reporter's goroutine.
type syncBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

// TestBar: a bar is redrawn in place with Poll's status, items are not
// written, and Close draws the final state, full bar included, and ends
// the line.
func TestBar(t *testing.T) {
	buf := &syncBuffer{mu: make(chan struct{}, 1)}
	var done atomic.Int64
	polls := atomic.Int64{}
	r := New(buf, Config{Mode: Bar, Total: 4, Interval: 5 * time.Millisecond, Width: 8,
		Poll: func() (int64, string) {
			polls.Add(1)
			return done.Load(), "files " + string(rune('0'+done.Load())) + "/4"
		}})
	if !r.Bar() {
		t.Fatal("Mode Bar: no bar")
	}
	done.Store(1)
	for deadline := time.Now().Add(5 * time.Second); polls.Load() < 3 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	r.Item("not shown")
	done.Store(4) // a full bar draws no more: the last status must be in it
	r.Close()
	r.Close()
	out := buf.String()
	for _, want := range []string{"\r", "[##------]", "100% [########]  files 4/4", "files 1/4"} {
		if !strings.Contains(out, want) {
			t.Errorf("bar output lacks %q: %q", want, out)
		}
	}
	if strings.Contains(out, "not shown") {
		t.Errorf("an item was written beside the bar: %q", out)
	}
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Errorf("want one line end, at the end: %q", out)
	}
}

// TestStepsLines: off a terminal a step writes one line when it is done,
// and nothing while it runs; a nil writer writes nothing.
func TestStepsLines(t *testing.T) {
	var b bytes.Buffer
	p := Steps(&b)
	for i := 1; i <= 100; i++ {
		p("a", i, 100)
		p("b", i, 100)
	}
	p("c", 0, 1)
	p("c", 1, 1)
	if got, want := b.String(), "a 100/100\nb 100/100\nc 1/1\n"; got != want {
		t.Errorf("step lines: got %q, want %q", got, want)
	}
	Steps(nil)("a", 1, 1) // does nothing
}

// TestStepBars: each step gets its own bar, ends full with its count and
// on its own line; a step cut short by the next one ends its line too.
func TestStepBars(t *testing.T) {
	var b bytes.Buffer
	p := stepBars(&b)
	for i := 1; i <= 50; i++ {
		p("coarse", i, 100) // cut short by the next step
	}
	for i := 1; i <= 10; i++ {
		p("fine", i, 10)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 lines (one per step), got %d: %q", len(lines), b.String())
	}
	if !strings.Contains(lines[0], "coarse") || strings.Contains(lines[0], "fine") {
		t.Errorf("first line %q: want step coarse only", lines[0])
	}
	last := lines[1][strings.LastIndex(lines[1], "\r")+1:]
	if !strings.Contains(last, "fine") || !strings.Contains(last, "[########################]") || !strings.Contains(last, "10/10") {
		t.Errorf("last drawing of step fine %q: want a full bar and 10/10", last)
	}
}
