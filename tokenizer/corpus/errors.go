package corpus

import (
	"fmt"
	"io"
)

// A FieldError is a bad or missing configuration field. Field is the
// field's path from its package ("corpus.Input.Paths",
// "evaluate.Config.Labels"), so that a command can name its own flag for
// it instead (strings.Replace on Error's text). Error is Field, then Msg
// and Err when set: a bare FieldError is the field's name, to wrap in a
// sentence ("give %w").
type FieldError struct {
	Field string
	// Msg says what is wrong; it follows the field's name.
	Msg string
	// Err is the cause, if any.
	Err error
}

func (e *FieldError) Error() string {
	s := e.Field
	if e.Msg != "" {
		s += " " + e.Msg
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FieldError) Unwrap() error { return e.Err }

// Progress returns a progress callback (as tokenizer.TrainConfig.Progress
// takes) that prints "step done/total" lines on w, for each step at its
// end and at most every 5 %. A nil w gives a callback that does nothing.
// The callback is not safe for concurrent use.
func Progress(w io.Writer) func(step string, done, total int) {
	if w == nil {
		return func(string, int, int) {}
	}
	last := map[string]int{}
	return func(step string, done, total int) {
		pct := 100 * done / max(1, total)
		if done != total && pct < last[step]+5 {
			return
		}
		last[step] = pct
		fmt.Fprintf(w, "%s %d/%d\n", step, done, total)
	}
}
