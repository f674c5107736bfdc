package config

import (
	"errors"
	"strings"

	"github.com/neurostream/neurostream/formats"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
)

// TextOptionNames are what a user calls formats/text's options: YAML keys
// in a configuration, flags on a command line. The reader's errors name
// its Go fields (Options.SampleRate), which a user never typed.
type TextOptionNames struct {
	SampleRate, Unit, TimeColumn, MarkerColumn, ChannelLabels string
}

// TextKeys are the configuration's names (source.files).
var TextKeys = TextOptionNames{
	SampleRate:    "source.files.sample_rate",
	Unit:          "source.files.unit",
	TimeColumn:    "source.files.time_column",
	MarkerColumn:  "source.files.marker_column",
	ChannelLabels: "source.files.channel_labels",
}

// Rename returns err with formats/text's option names replaced by n's;
// it wraps err. nil stays nil.
func (n TextOptionNames) Rename(err error) error {
	if err == nil {
		return nil
	}
	var pairs []string
	for _, p := range [][2]string{
		{"Options.SampleRate", n.SampleRate},
		{"Options.Unit", n.Unit},
		{"Options.TimeColumn", n.TimeColumn},
		{"Options.MarkerColumn", n.MarkerColumn},
		{"MarkerColumn", n.MarkerColumn}, // "Options.TimeColumn and MarkerColumn"
		{"Options.Labels", n.ChannelLabels},
	} {
		if p[1] != "" { // a name the caller does not give stays the Go one
			pairs = append(pairs, p[0], p[1])
		}
	}
	r := strings.NewReplacer(pairs...)
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

// securityFields are pkafka.Security's field paths, longest first where
// one is the start of another.
var securityFields = []string{
	"Protocol", "TLS.CAFile", "TLS.CertFile", "TLS.KeyFile", "TLS.ServerName", "TLS.MinVersion",
	"SASL.Mechanism", "SASL.Username", "SASL.PasswordFile", "SASL.Password",
}

// SecurityKey is the configuration key of a pkafka.Security field path
// ("TLS.CAFile" → "kafka.security.tls.ca_file").
func SecurityKey(field string) string { return "kafka.security." + yamlKey(field) }

// SecurityErrors turns the pkafka.SecurityErrors joined in err into
// KeyErrors whose keys and messages use name(field) for every field path
// (a configuration key, a flag); other errors are kept.
func SecurityErrors(err error, name func(field string) string) Errors {
	var pairs []string
	for _, f := range securityFields {
		pairs = append(pairs, f, name(f))
	}
	r := strings.NewReplacer(pairs...)
	var out Errors
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var se *pkafka.SecurityError
		if errors.As(err, &se) {
			out = append(out, keyErr(name(se.Field), "%s", r.Replace(se.Err.Error())))
			return
		}
		out = append(out, err)
	}
	walk(err)
	return out
}

// securityName names a Security field in a configuration: its key, or for
// the password the environment variable, the only place it may come from.
func securityName(field string) string {
	if field == "SASL.Password" {
		return EnvName(passwordKey)
	}
	return SecurityKey(field)
}
