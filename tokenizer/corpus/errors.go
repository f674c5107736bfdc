package corpus

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
