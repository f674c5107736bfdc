package pyhelper

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestPythonJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"event": "sample", "values": [1.5, 2]}`, `{"event": "sample", "values": [1.5, 2]}`},
		{`{"values": [NaN, Infinity, -Infinity, 3]}`, `{"values": [null, null, null, 3]}`},
		{`{"s": "NaN Infinity", "v": NaN}`, `{"s": "NaN Infinity", "v": null}`},
		{`{"s": "a \"NaN\" \\", "v": -Infinity}`, `{"s": "a \"NaN\" \\", "v": null}`},
	} {
		if got := string(pythonJSON([]byte(tc.in))); got != tc.want {
			t.Errorf("pythonJSON(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestStart runs a helper that echoes its parameters as events, one with
// a NaN, and exits.
func TestStart(t *testing.T) {
	script := filepath.Join(t.TempDir(), "echo.py")
	src := `import json, os, sys
p = json.loads(sys.argv[2])
print(sys.argv[1], flush=True)
print(json.dumps({"event": "ready", "n": p["n"], "x": float("nan"), "env": os.environ["PYHELPER_TEST"]}), flush=True)
print(json.dumps({"event": "done"}), flush=True)
`
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p := Start(t, Config{Script: script, Args: []string{"hello"}, Params: map[string]any{"n": 3}, Env: []string{"PYHELPER_TEST=yes"}})
	if l := p.Line(30 * time.Second); l != "hello" {
		t.Fatalf("first line %q", l)
	}
	var ready struct {
		N   int
		X   *float64
		Env string
	}
	p.Expect("ready", 10*time.Second, &ready)
	if ready.N != 3 || ready.X != nil || ready.Env != "yes" {
		t.Errorf("ready event %+v", ready)
	}
	if ev := p.Next(10*time.Second, nil); ev != "done" {
		t.Errorf("event %q, want done", ev)
	}
	p.Wait(10 * time.Second)
}
