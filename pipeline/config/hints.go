package config

import (
	"strings"

	"github.com/neurostream/neurostream/formats"
)

// TextOptionNames are what a user calls formats/text's options: YAML keys
// in a configuration, flags on a command line. The reader's errors name
// its Go fields (Options.SampleRate), which a user never typed.
type TextOptionNames struct {
	SampleRate, Unit, TimeColumn, MarkerColumn string
}

// TextKeys are the configuration's names (source.files).
var TextKeys = TextOptionNames{
	SampleRate:   "source.files.sample_rate",
	Unit:         "source.files.unit",
	TimeColumn:   "source.files.time_column",
	MarkerColumn: "source.files.marker_column",
}

// Rename returns err with formats/text's option names replaced by n's;
// it wraps err. nil stays nil.
func (n TextOptionNames) Rename(err error) error {
	if err == nil {
		return nil
	}
	r := strings.NewReplacer(
		"Options.SampleRate", n.SampleRate,
		"Options.Unit", n.Unit,
		"Options.TimeColumn", n.TimeColumn,
		"Options.MarkerColumn", n.MarkerColumn,
		"MarkerColumn", n.MarkerColumn, // "Options.TimeColumn and MarkerColumn"
	)
	msg := err.Error()
	if renamed := r.Replace(msg); renamed != msg {
		return &renamedError{renamed, err}
	}
	return err
}

// Open wraps a recording opener so that its errors use n's names.
func (n TextOptionNames) Open(open func() (formats.Recording, error)) func() (formats.Recording, error) {
	return func() (formats.Recording, error) {
		rec, err := open()
		return rec, n.Rename(err)
	}
}

// renamedError is an error with another message.
type renamedError struct {
	msg string
	err error
}

func (e *renamedError) Error() string { return e.msg }
func (e *renamedError) Unwrap() error { return e.err }
