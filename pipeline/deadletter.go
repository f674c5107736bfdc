package pipeline

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// DeadLetterFile writes dead letters as JSON lines: time, reason, key,
// origin, error and the message bytes (base64), so a fixed message can be
// replayed. It is the file-pipeline counterpart of the dead-letter topic.
type DeadLetterFile struct {
	mu sync.Mutex
	f  *os.File
	w  *bufio.Writer
	n  int
}

// NewDeadLetterFile creates (truncates) path.
func NewDeadLetterFile(path string) (*DeadLetterFile, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &DeadLetterFile{f: f, w: bufio.NewWriter(f)}, nil
}

type deadLetterLine struct {
	Time   time.Time `json:"time"`
	Reason string    `json:"reason"`
	Key    string    `json:"key"`
	Origin string    `json:"origin"`
	Error  string    `json:"error"`
	Value  []byte    `json:"value"`
	// Stage and Window name a failed stage (reason stage_error).
	Stage  string `json:"stage,omitempty"`
	Window *int64 `json:"window,omitempty"`
}

// DeadLetter implements DeadLetterSink. Each line is flushed at once.
func (d *DeadLetterFile) DeadLetter(_ context.Context, dl DeadLetter) error {
	line := deadLetterLine{
		Time: time.Now().UTC(), Reason: dl.Reason, Key: dl.Message.Key,
		Origin: dl.Message.Origin, Error: fmt.Sprint(dl.Err), Value: dl.Message.Value,
	}
	if dl.Stage != "" {
		line.Stage, line.Window = dl.Stage, &dl.Window
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.w.Write(b)
	d.w.WriteByte('\n')
	d.n++
	return d.w.Flush()
}

// Count returns how many dead letters were written.
func (d *DeadLetterFile) Count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

// Close implements DeadLetterSink.
func (d *DeadLetterFile) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.w.Flush(); err != nil {
		d.f.Close()
		return err
	}
	return d.f.Close()
}
