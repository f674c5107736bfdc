// Package pyhelper runs the Python helper scripts of tests: a script in the
// pinned virtualenv, started with its parameters as JSON on the command
// line, printing one line per event (a JSON object with an "event" key, or
// plain text) while the test reads them, killed when the test ends.
//
// The lsl, pipeline/lslin and pipeline/lslout tests use it to put real
// liblsl (pylsl) on the other end of the Go code. Only tests import it.
package pyhelper

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/neurostream/neurostream/internal/testenv"
)

// Config says which script to run and how.
type Config struct {
	// Script is the helper's path; a relative one is taken from the test's
	// folder.
	Script string
	// Args follow the script on its command line.
	Args []string
	// Params, when not nil, are marshalled to JSON and passed after Args.
	Params any
	// Env is added to the environment, after PYTHONIOENCODING=utf-8.
	Env []string
	// Requires is what the script imports beyond the standard library, as
	// an import list ("pylsl"); where the virtualenv lacks it the test
	// skips (fails under CI=true).
	Requires string
	// Name names the helper in failure messages.
	// Default: "python helper"
	Name string
}

// Proc is a running helper. Its methods fail the test that started it.
type Proc struct {
	t     testing.TB
	name  string
	cmd   *exec.Cmd
	lines chan string
	done  chan error

	mu     sync.Mutex
	stderr bytes.Buffer
}

// maxLine is the longest line a helper may print: pylsl_helper.py prints
// string samples of several hundred bytes per channel.
const maxLine = 1 << 20

// Start runs cfg.Script under the pinned virtualenv. Its stdout lines are
// buffered (up to 65536 unread) until read; the process is killed, and
// waited for, in the test's cleanup.
func Start(t testing.TB, cfg Config) *Proc {
	t.Helper()
	py := testenv.Python(t)
	if cfg.Requires != "" {
		py = testenv.PythonWith(t, cfg.Requires)
	}
	script, err := filepath.Abs(cfg.Script)
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{script}, cfg.Args...)
	if cfg.Params != nil {
		arg, err := json.Marshal(cfg.Params)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, string(arg))
	}
	p := &Proc{t: t, name: cfg.Name, lines: make(chan string, 1<<16), done: make(chan error, 1)}
	if p.name == "" {
		p.name = "python helper"
	}
	p.cmd = exec.CommandContext(t.Context(), py, args...)
	p.cmd.Env = append(append(os.Environ(), "PYTHONIOENCODING=utf-8"), cfg.Env...)
	p.cmd.Stderr = p
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, maxLine)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// Write collects the helper's stderr, for Log.
func (p *Proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.Write(b)
}

// Log returns what the helper has written to stderr so far.
func (p *Proc) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// Line returns the helper's next stdout line, failing the test if the
// helper exits first or prints nothing within timeout.
func (p *Proc) Line(timeout time.Duration) string {
	p.t.Helper()
	return p.line(timeout, "line")
}

func (p *Proc) line(timeout time.Duration, what string) string {
	p.t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			p.t.Fatalf("%s exited early:\n%s", p.name, p.Log())
		}
		return l
	case <-time.After(timeout):
		p.t.Fatalf("%s: no %s within %v:\n%s", p.name, what, timeout, p.Log())
	}
	return ""
}

// event is what every event line holds.
type event struct {
	Event string `json:"event"`
	Error string `json:"error"`
}

// Next decodes the helper's next line, a JSON object, into ev and returns
// its "event" value. A line that is not JSON, or an "error" event (whose
// "error" value says what went wrong), fails the test, as Line's failures
// do. Python's bare NaN, Infinity and -Infinity, which JSON lacks, decode
// as null.
func (p *Proc) Next(timeout time.Duration, ev any) string {
	p.t.Helper()
	return p.decode(p.line(timeout, "event"), ev)
}

// Expect is Next, failing the test unless the event is the one named.
func (p *Proc) Expect(event string, timeout time.Duration, ev any) {
	p.t.Helper()
	if got := p.decode(p.line(timeout, fmt.Sprintf("%q", event)), ev); got != event {
		p.t.Fatalf("%s: got %q, want %q:\n%s", p.name, got, event, p.Log())
	}
}

func (p *Proc) decode(l string, ev any) string {
	p.t.Helper()
	b := pythonJSON([]byte(l))
	var head event
	if err := json.Unmarshal(b, &head); err != nil {
		p.t.Fatalf("%s: bad line: %s\n%s", p.name, l, p.Log())
	}
	if head.Event == "error" {
		p.t.Fatalf("%s: %s\n%s", p.name, head.Error, p.Log())
	}
	if ev != nil {
		if err := json.Unmarshal(b, ev); err != nil {
			p.t.Fatalf("%s: line %s: %v\n%s", p.name, l, err, p.Log())
		}
	}
	return head.Event
}

// Wait fails the test unless the helper exits with status 0 within
// timeout.
func (p *Proc) Wait(timeout time.Duration) {
	p.t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		if err != nil {
			p.t.Fatalf("%s: %v\n%s", p.name, err, p.Log())
		}
	case <-time.After(timeout):
		p.t.Fatalf("%s still running after %v:\n%s", p.name, timeout, p.Log())
	}
}

// pythonJSON returns b with the bare NaN, Infinity and -Infinity that
// Python's json module writes (outside strings) replaced by null; b itself
// when it has none.
func pythonJSON(b []byte) []byte {
	if !bytes.Contains(b, []byte("NaN")) && !bytes.Contains(b, []byte("Infinity")) {
		return b
	}
	out := make([]byte, 0, len(b))
	inString := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString && c == '\\' && i+1 < len(b):
			out = append(out, c, b[i+1])
			i++
			continue
		case inString:
			inString = c != '"'
		case c == '"':
			inString = true
		case nonFinite(b[i:]) > 0:
			out = append(out, "null"...)
			i += nonFinite(b[i:]) - 1
			continue
		}
		out = append(out, c)
	}
	return out
}

// nonFinite returns the length of the Python non-finite number b starts
// with, or 0.
func nonFinite(b []byte) int {
	for _, tok := range []string{"NaN", "Infinity", "-Infinity"} {
		if bytes.HasPrefix(b, []byte(tok)) {
			return len(tok)
		}
	}
	return 0
}
