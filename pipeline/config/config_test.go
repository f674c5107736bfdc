package config

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"
)

// TestTypeErrorsNameYAMLKeys: a value of the wrong type is reported at its
// YAML key path with the value and what was wanted, never at the Go field
// (Source.Simulate.SampleRate); every one is reported, stage options too.
func TestTypeErrorsNameYAMLKeys(t *testing.T) {
	_, err := Load(fstest.MapFS{"p.yaml": {Data: []byte(`
workers: many
session_idle_seconds: soon
source: {simulate: {sessions: x, sample_rate: fast, alpha: {frequency: high}}, files: {paths: [a]}}
window: {length_seconds: two, hop_seconds: 1, events: {codes: [1, b]}}
output: {resume: maybe, kafka: {brokers: {a: 1}}}
bogus: 1
`)}}, "p.yaml")
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("got %v, want Errors", err)
	}
	got := errs.Error()
	for _, want := range []string{
		`workers: want an integer, got "many"`,
		`session_idle_seconds: want a number, got "soon"`,
		`source.simulate.sessions: want an integer, got "x"`,
		`source.simulate.sample_rate: want a number, got "fast"`,
		`source.simulate.alpha.frequency: want a number, got "high"`,
		`window.length_seconds: want a number, got "two"`,
		`window.events.codes[1]: want an integer, got "b"`,
		`output.resume: want true or false, got "maybe"`,
		`output.kafka.brokers[0]: want a string, got a mapping`,
		`unknown keys: bogus`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("lacks %q", want)
		}
	}
	if strings.Contains(got, "Source.") || strings.Contains(got, "'") || len(errs) != 10 {
		t.Errorf("%d errors, Go names or mapstructure's quoting:\n%s", len(errs), got)
	}

	c := load(t, `
source: {simulate: {sessions: 1}}
window: {length_seconds: 2, hop_seconds: 1}
stages: [{type: psd, n_per_seg: abc, bands: [{name: a, low: x, high: 3}]}]
output: {dir: out}
`)
	got = c.Validate().Error()
	for _, want := range []string{`stages[0].n_per_seg: want an integer, got "abc"`, `stages[0].bands[0].low: want a number, got "x"`} {
		if !strings.Contains(got, want) {
			t.Errorf("stage options: lacks %q:\n%s", want, got)
		}
	}
}

// TestTextKeysRename: formats/text's option names become YAML keys, and
// the renamed error still wraps the reader's.
func TestTextKeysRename(t *testing.T) {
	base := errors.New("text: Options.SampleRate is required unless Options.TimeColumn names a time column")
	err := TextKeys.Rename(base)
	if err.Error() != "text: source.files.sample_rate is required unless source.files.time_column names a time column" || !errors.Is(err, base) {
		t.Errorf("%v", err)
	}
	if err := TextKeys.Rename(errors.New("text: Options.TimeColumn and MarkerColumn are both \"t\"")); err.Error() != `text: source.files.time_column and source.files.marker_column are both "t"` {
		t.Errorf("%v", err)
	}
	if TextKeys.Rename(nil) != nil {
		t.Error("nil renamed")
	}
}
