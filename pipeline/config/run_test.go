package config

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// yamlConfig loads and validates a pipeline whose output.dir is a new
// folder.
func yamlConfig(t *testing.T, body string) *Config {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(f, []byte(body+"\noutput: {dir: "+filepath.Join(dir, "out")+"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Open(f)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRun: Run runs what `neurostream run` runs, and says what came of it:
// nil when all of the input was processed, an *Incomplete saying what was
// not (dead letters counted per session and reason in the report), an
// *Interrupted when its context ended a finite input early.
func TestRun(t *testing.T) {
	const sim = "window: {length_seconds: 2, hop_seconds: 1}\nsource: {simulate: {sessions: 1, duration: 30}}\n"
	t.Run("ok", func(t *testing.T) {
		var report bytes.Buffer
		run, err := yamlConfig(t, sim+"stages: [{type: psd}]").Run(context.Background(), RunOptions{Report: &report})
		if err != nil {
			t.Fatal(err)
		}
		if !run.Finite || run.Runner.Stats().Windows.Load() != 29 {
			t.Errorf("finite %v, %d windows", run.Finite, run.Runner.Stats().Windows.Load())
		}
		for _, want := range []string{`pipeline "": 1 sessions, 120 chunks, 29 windows in `, "\nsim-1   µV²", "/bandpower-000001.parquet (2755 rows)"} {
			if !strings.Contains(report.String(), want) {
				t.Errorf("report lacks %q:\n%s", want, report.String())
			}
		}
	})
	t.Run("nothing processed", func(t *testing.T) {
		var report, logs bytes.Buffer
		_, err := yamlConfig(t, sim+"stages: [{type: coherence, pairs: [[Nope, O1]]}]").Run(context.Background(),
			RunOptions{Report: &report, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		var inc *Incomplete
		if !errors.As(err, &inc) || !inc.Nothing || inc.Reason != "nothing processed: 120 of 120 chunks dead-lettered (session_start 120)" {
			t.Fatalf("error %v", err)
		}
		if !regexp.MustCompile(`(?m)^120 dead letters \(0 gaps\) in .*deadletters.jsonl:\n\s+session\s+reason\s+count\s+first error\n\s+sim-1\s+session_start\s+120\s+.*"Nope"`).MatchString(report.String()) {
			t.Errorf("report lacks the dead letters per session and reason:\n%s", report.String())
		}
		if n := strings.Count(logs.String(), `msg="dead letter"`); n != 1 {
			t.Errorf("%d dead-letter warnings, want 1 (the first of its session and reason):\n%s", n, logs.String())
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithCancelCause(context.Background())
		stop := errors.New("stopped by the test")
		time.AfterFunc(300*time.Millisecond, func() { cancel(stop) })
		run, err := yamlConfig(t, strings.Replace(sim, "source: {", "source: {pace: 1, ", 1)+"stages: [{type: psd}]").Run(ctx, RunOptions{})
		var ie *Interrupted
		if !errors.As(err, &ie) || !errors.Is(err, stop) || run == nil {
			t.Fatalf("error %v", err)
		}
		if want := "stopped by the test before the end of the input: the results so far are in the finished files"; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
	})
}

// TestOpen: builtin:NAME names a configuration embedded from configs/, an
// unknown one lists those there are, and validation errors name the file.
func TestOpen(t *testing.T) {
	c, err := Open(BuiltinPrefix + "demo.yaml")
	if err != nil || c.Name == "" {
		t.Fatalf("%v, name %q", err, c.Name)
	}
	if _, err := LoadFile(BuiltinPrefix + "nope.yaml"); err == nil || !strings.Contains(err.Error(), "builtin:replay.yaml") {
		t.Errorf("unknown builtin: %v", err)
	}
	f := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(f, []byte("stages: [{type: psd, nperseg: -1}]\n"), 0o644)
	if _, err := Open(f); err == nil || !strings.HasPrefix(err.Error(), "config "+f+":\n") {
		t.Errorf("invalid file: %v", err)
	}
}
