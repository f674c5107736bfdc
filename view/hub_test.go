package view

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow/memory"

	"github.com/neurostream/neurostream/pipeline/arrowout"
)

// spectrum is a 1/f^1.5 background with a Gaussian peak of the given
// height (relative to the background at its frequency) at peakHz, on
// bins start + i·step up to fmax.
func spectrum(start, step, fmax, peakHz, height float64) []float64 {
	var p []float64
	for f := start; f <= fmax+1e-9; f += step {
		bg := 1e-10 / math.Pow(math.Max(f, 0.5), 1.5)
		p = append(p, bg*(1+height*math.Exp(-(f-peakHz)*(f-peakHz)/(2*0.4*0.4))))
	}
	return p
}

func TestDominantFrequency(t *testing.T) {
	for _, tc := range []struct {
		name              string
		start, step, peak float64
		want              float64
	}{
		{"alpha 1 Hz bins", 0, 1, 10, 10},
		{"alpha 0.5 Hz bins", 0, 0.5, 10, 10},
		{"theta from 1 Hz", 1, 0.25, 6.5, 6.5},
		{"beta", 0, 0.5, 21, 21},
	} {
		p := spectrum(tc.start, tc.step, 60, tc.peak, 3)
		got, ok := DominantFrequency(tc.start, tc.step, p)
		if !ok || got != tc.want {
			t.Errorf("%s: DominantFrequency = %v, %v; want %v", tc.name, got, ok, tc.want)
		}
		// The plain maximum is the lowest bin searched: why the trend
		// is removed first.
		best := 0
		for i := range p {
			if tc.start+float64(i)*tc.step >= DominantMin && p[i] > p[best] {
				best = i
			}
		}
		if f := tc.start + float64(best)*tc.step; f == tc.peak {
			t.Errorf("%s: the plain maximum already finds %v Hz: the test spectrum is too easy", tc.name, f)
		}
	}
	if _, ok := DominantFrequency(0, 20, []float64{1, 1, 1}); ok {
		t.Error("DominantFrequency with one bin in range: ok")
	}
}

// psdResult is a psd record of one window of session s with channels
// O1 and O2 peaking at peakHz.
func psdResult(t *testing.T, mem memory.Allocator, s string, win int64, peakHz float64) arrowout.Result {
	t.Helper()
	rows := arrowout.NewPSDRows(mem)
	defer rows.Release()
	k := arrowout.WindowKey{Session: s, Window: win, StartSample: win * 256, StartTimeNS: win * 1e9}
	for _, ch := range []string{"O1", "O2"} {
		rows.Append(k, ch, "V^2/Hz", 0, 0.5, spectrum(0, 0.5, 60, peakHz, 3))
	}
	return arrowout.Result{Kind: arrowout.KindPSD, Key: k, Record: rows.Flush()}
}

// TestOfferDropsOldest: with nobody applying them, results beyond the
// buffer replace the oldest ones, Offer returns at once, and every record
// is released.
func TestOfferDropsOldest(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	h := NewHub(Config{Buffer: 4})
	t0 := time.Now()
	for w := range int64(10) {
		r := psdResult(t, mem, "a", w, 10)
		h.Offer([]arrowout.Result{r}, -1)
		r.Record.Release() // the pipeline releases after its sinks wrote
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("10 offers took %v", d)
	}
	if st := h.Stats(); st.Received != 10 || st.Dropped != 6 || st.Applied != 0 {
		t.Errorf("stats %+v, want 10 received, 6 dropped, 0 applied", st)
	}
	h.applyAll(nil)
	s := h.sessions["a"]
	if s == nil || s.windows != 4 || s.lastWindow != 9 || s.psdWindow != 9 {
		t.Fatalf("session state %+v: want windows 6…9 (4) kept", s)
	}
	if s.dominant != 10 {
		t.Errorf("dominant %v Hz, want 10", s.dominant)
	}
	f := h.frame(&client{})
	if f.Dropped != 6 {
		t.Errorf("frame says %d dropped, want 6", f.Dropped)
	}
}

// TestOfferNeverWaits offers far more than the buffer holds while Run
// applies them: the feeder is never held up, whatever the view does.
func TestOfferNeverWaits(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	h := NewHub(Config{Buffer: 64, Interval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Run(ctx); close(done) }()
	r := psdResult(t, mem, "a", 0, 10)
	var slowest time.Duration
	for range 20000 {
		t0 := time.Now()
		h.Offer([]arrowout.Result{r}, -1)
		slowest = max(slowest, time.Since(t0))
	}
	r.Record.Release()
	cancel()
	<-done
	st := h.Stats()
	t.Logf("20000 offers: slowest %v; %d applied, %d dropped", slowest, st.Applied, st.Dropped)
	if st.Applied+st.Dropped > st.Received || st.Received != 20000 {
		t.Errorf("stats %+v", st)
	}
	if slowest > 100*time.Millisecond {
		t.Errorf("an offer took %v", slowest)
	}
}

// TestFrameDeltas: a page gets everything first, then only what changed.
func TestFrameDeltas(t *testing.T) {
	h := NewHub(Config{})
	for w := range int64(3) {
		r := psdResult(t, nil, "a", w, 10)
		h.Offer([]arrowout.Result{r}, -1)
		r.Record.Release()
	}
	h.applyAll(nil)
	c := &client{selected: "a"}
	f := h.frame(c)
	if !f.Full || len(f.Sessions) != 1 || f.Detail == nil || f.Detail.Spec == nil || len(f.Detail.Spec.W) != 3 || !f.Detail.Spec.Full {
		t.Fatalf("first frame: %+v", f)
	}
	if f := h.frame(c); f != nil {
		t.Fatalf("nothing changed, yet a frame: %+v", f)
	}
	r := psdResult(t, nil, "a", 3, 10)
	h.Offer([]arrowout.Result{r, r}, -1) // the same window twice: one point
	r.Record.Release()
	h.applyAll(nil)
	f = h.frame(c)
	if f == nil || f.Full || f.Detail == nil || f.Detail.Spec.Full || len(f.Detail.Spec.W) != 1 || f.Detail.Spec.W[0] != 3 {
		t.Fatalf("second frame: %+v", f)
	}
	if f.Detail.PSD == nil || f.Detail.PSD.Window != 3 || len(f.Detail.PSD.Values) != 2 {
		t.Errorf("psd: %+v", f.Detail.PSD)
	}
}

// TestSeizureEvents: window rows give the probability series and alarms,
// an event row re-sent after a restart is shown once.
func TestSeizureEvents(t *testing.T) {
	h := NewHub(Config{})
	rows := arrowout.NewSeizureRows(nil)
	key := func(w int64) arrowout.WindowKey {
		return arrowout.WindowKey{Session: "s", Window: w, StartSample: w * 256, StartTimeNS: w * 1e9}
	}
	for w := range int64(20) {
		ictal := w >= 5 && w < 12
		p := 0.1
		if ictal {
			p = 0.9
		}
		rows.AppendWindow(key(w), p, p, ictal)
	}
	ev := arrowout.SeizureEvent{Onset: 5, Offset: 16, OnsetSample: 5 * 256, OffsetSample: 16 * 256,
		OnsetTimeNS: 5e9, OffsetTimeNS: 16e9, Confidence: 0.9}
	rows.AppendEvent(key(19), ev, []string{"T3"})
	rec := rows.Flush()
	rows.Release()
	res := []arrowout.Result{{Kind: arrowout.KindSeizure, Key: key(19), Record: rec}}
	h.Offer(res, -1)
	h.Offer(res, -1)
	rec.Release()
	h.applyAll(nil)
	f := h.frame(&client{selected: "s"})
	sz := f.Detail.Seizure
	if sz == nil || len(sz.Events) != 1 || sz.Events[0].Onset != 5 || sz.Events[0].OnsetTime != 5 || len(sz.Alarms) != 1 || sz.Alarms[0] != 5 || len(sz.P) != 20 {
		t.Fatalf("seizure detail %+v", sz)
	}
	if b := f.Sessions[0].Seizure; b == nil || b.Events != 1 || b.State != "background" {
		t.Errorf("seizure summary %+v", b)
	}
}

// TestEvents reads the update stream as a page does.
func TestEvents(t *testing.T) {
	h := NewHub(Config{Source: "test", Interval: 10 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go h.Run(ctx)
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	for _, path := range []string{"/", "/app.js", "/app.css", "/vendor/uplot/uPlot.iife.min.js"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}
	r := psdResult(t, nil, "a", 0, 10)
	h.Offer([]arrowout.Result{r}, 7)
	r.Record.Release()
	resp, err := http.Get(srv.URL + "/events?session=a")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	deadline := time.After(5 * time.Second)
	for {
		lines := make(chan string)
		go func() {
			if sc.Scan() {
				lines <- sc.Text()
			}
			close(lines)
		}()
		var line string
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("stream ended")
			}
			line = l
		case <-deadline:
			t.Fatal("no frame with session a")
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var f struct {
			Source   string
			Sessions []struct {
				ID       string
				Dominant float64
				Behind   int64
			}
			Detail struct{ ID string }
		}
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			t.Fatal(err)
		}
		if len(f.Sessions) == 0 {
			continue
		}
		if f.Source != "test" || f.Sessions[0].ID != "a" || f.Sessions[0].Dominant != 10 || f.Sessions[0].Behind != 7 || f.Detail.ID != "a" {
			t.Errorf("frame %s", data)
		}
		return
	}
}

// TestVendoredUplot: the embedded uPlot files are those SHA256SUMS names
// (what `make uplot` checked).
func TestVendoredUplot(t *testing.T) {
	sums, err := fs.ReadFile(Assets(), "vendor/uplot/SHA256SUMS")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		want, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q", line)
		}
		b, err := fs.ReadFile(Assets(), "vendor/uplot/"+name)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%x", sha256.Sum256(b)); got != want {
			t.Errorf("%s: sha256 %s, SHA256SUMS says %s: run make uplot", name, got, want)
		}
		n++
	}
	if n != 3 {
		t.Errorf("SHA256SUMS lists %d files, want 3", n)
	}
}

// TestTokens: a window's tokens rows, channel by channel with several
// frames each (window 0 writes the frames before its last), become the
// strip's frames in order, timed on the 200 Hz clock; a frame re-sent
// after a restart replaces nothing older, and a page gets the new frames
// only.
func TestTokens(t *testing.T) {
	h := NewHub(Config{TokenHistory: 8})
	offer := func(w int64, frames []int64, token func(ch int, j int64) int32) {
		rows := arrowout.NewTokensRows(nil)
		// Window w starts at sample 100·w; its start time is 7 s
		// after the session's (a recording that does not start at 0).
		k := arrowout.WindowKey{Session: "s", Window: w, StartSample: 100 * w, StartTimeNS: 7e9 + w*5e8}
		for c, ch := range []string{"C3", "Cz", "C4"} {
			for _, j := range frames {
				rows.Append(k, ch, j, token(c, j), 0.3)
			}
		}
		rec := rows.Flush()
		rows.Release()
		h.Offer([]arrowout.Result{{Kind: arrowout.KindTokens, Key: k, Record: rec}}, -1)
		rec.Release()
		h.applyAll(nil)
	}
	id := func(c int, j int64) int32 { return int32(10*j) + int32(c) }
	offer(0, []int64{1, 2, 3}, id)
	c := &client{selected: "s"}
	f := h.frame(c)
	tk := f.Detail.Tokens
	if tk == nil || !tk.Full || !slices.Equal(tk.W, []int64{1, 2, 3}) || !slices.Equal(tk.Channels, []string{"C3", "Cz", "C4"}) || tk.Keep != 8 {
		t.Fatalf("tokens after window 0: %+v", tk)
	}
	for i, j := range tk.W {
		if want := 7 + float64(j)/2; tk.T[i] != want {
			t.Errorf("frame %d at %v s, want %v", j, tk.T[i], want)
		}
		if want := []int32{id(0, j), id(1, j), id(2, j)}; !slices.Equal(tk.V[i], want) {
			t.Errorf("frame %d tokens %v, want %v", j, tk.V[i], want)
		}
	}
	if tk.Max != 32 {
		t.Errorf("max id %d, want 32", tk.Max)
	}
	offer(1, []int64{4}, id)
	offer(0, []int64{2}, func(int, int64) int32 { return 99 }) // an old frame again
	tk = h.frame(c).Detail.Tokens
	if tk == nil || tk.Full || !slices.Equal(tk.W, []int64{4}) || !slices.Equal(tk.V[0], []int32{40, 41, 42}) || tk.Max != 42 {
		t.Fatalf("tokens after window 1: %+v", tk)
	}
	if got := h.sessions["s"].rows[arrowout.KindTokens]; got != 15 {
		t.Errorf("%d tokens rows counted, want 15", got)
	}
}
