package config

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Parts of valid configurations the error cases are made of.
const (
	simOK    = "source: {simulate: {sessions: 1, duration: 4}}\n"
	windowOK = "window: {length_seconds: 2, hop_seconds: 1}\n"
	psdOK    = "stages: [{type: psd}]\n"
	outOK    = "output: {dir: out}\n"
	valid    = simOK + windowOK + psdOK + outOK
)

// errorCase is a configuration and one line of the errors it has.
type errorCase struct {
	yaml string
	// env is set while the case loads.
	env map[string]string
	// want is one error line in full: a KeyError's "key: message", or a
	// Load, CheckEnv or Build error. For Build, the error only starts
	// with it (the rest is the operating system's).
	want string
}

// validateErrors are the errors of Validate, one case at least per
// message (TestEveryValidationMessageHasACase checks that).
var validateErrors = []errorCase{
	{yaml: "workers: 0\n" + valid, want: "workers: want at least 1, got 0"},
	{yaml: "session_idle_seconds: -1\n" + valid, want: "session_idle_seconds: want a number of seconds ≥ 0 (0: sessions end only on a final chunk), got -1"},
	{yaml: "source: {simulate: {sessions: 1}, kafka: {connect_timeout_seconds: -1}}\n" + windowOK + psdOK + outOK, want: "source.kafka.connect_timeout_seconds: want ≥ 0 (0: the default), got -1"},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, kafka: {retry_timeout_seconds: -2}}\n", want: "output.kafka.retry_timeout_seconds: want ≥ 0 (0: the default), got -2"},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, kafka: {partitions: -3}}\n", want: "output.kafka.partitions: want ≥ 0 (0: the default), got -3"},
	{yaml: "source: {simulate: {sessions: 1}, limits: {max_channels: -1}}\n" + windowOK + psdOK + outOK, want: "source.limits: wire: Limits.MaxChannels: must not be negative, got -1"},
	{yaml: "non_finite: drop\n" + valid, want: `non_finite: want reject or allow, got "drop"`},

	{yaml: "source: {simulate: {sessions: 1}, chunk_seconds: -1}\n" + windowOK + psdOK + outOK, want: "source.chunk_seconds: want a positive duration in seconds, got -1"},
	{yaml: "source: {simulate: {sessions: 1}, pace: -1}\n" + windowOK + psdOK + outOK, want: "source.pace: want 0 (as fast as possible) or a positive speed-up, got -1"},
	{yaml: "source: {simulate: {sessions: 1}, kafka: {brokers: [b:9092]}}\n" + windowOK + psdOK + outOK, want: "source: source.kafka excludes source.files and source.simulate: use one"},
	{yaml: windowOK + psdOK + outOK, want: "source: no input: set source.files.paths, source.simulate.sessions or source.kafka.brokers"},
	{yaml: "source: {kafka: {brokers: [b:9092], topic: \"\"}}\n" + windowOK + psdOK + outOK, want: "source.kafka.topic: empty"},
	{yaml: "source: {kafka: {brokers: [b:9092], group_id: \"\"}}\n" + windowOK + psdOK + outOK, want: "source.kafka.group_id: empty"},
	{yaml: "source: {files: {paths: [a.edf, \"\"]}}\n" + windowOK + psdOK + outOK, want: "source.files.paths[1]: empty path"},
	{yaml: "source: {files: {paths: [Z001.txt]}}\n" + windowOK + psdOK + outOK, want: "source.files.sample_rate: required for the plain-text recording Z001.txt (source.files.paths[0]): its rate in Hz, or source.files.time_column naming a column of timestamps"},
	{yaml: "source: {files: {paths: [a.edf], sample_rate: -5}}\n" + windowOK + psdOK + outOK, want: "source.files.sample_rate: want a rate in Hz, got -5"},
	{yaml: "source: {files: {paths: [a.edf], unit: kV}}\n" + windowOK + psdOK + outOK, want: `source.files.unit: want V, mV, uV or nV, got "kV"`},
	{yaml: "source: {files: {paths: [d], sample_rate: 100, channel_files: \"ch[\"}}\n" + windowOK + psdOK + outOK, want: `source.files.channel_files: want a file-name pattern such as "ch*.inp": syntax error in pattern`},
	{yaml: "source: {files: {paths: [d], channel_files: \"ch*.inp\"}}\n" + windowOK + psdOK + outOK, want: "source.files.sample_rate: required for recordings of plain-text channel files (source.files.channel_files): their rate in Hz"},
	{yaml: "source: {files: {paths: [a.edf], channel_labels: [Fp1, \"\"]}}\n" + windowOK + psdOK + outOK, want: "source.files.channel_labels[1]: empty label"},
	{yaml: "source: {files: {paths: [a.edf]}, simulate: {sessions: -1}}\n" + windowOK + psdOK + outOK, want: "source.simulate.sessions: want ≥ 0, got -1"},
	{yaml: "source: {simulate: {sessions: 1, sample_rate: -256}}\n" + windowOK + psdOK + outOK, want: "source.simulate: simulate: config SampleRate: -256, want a finite value > 0"},

	{yaml: "source: {simulate: {sessions: 1}, stim: {events: [{description: a, code: 0}]}}\n" + windowOK + psdOK + outOK, want: "source.stim.events[0].code: want a positive event code, got 0"},
	{yaml: "source: {simulate: {sessions: 1}, stim: {events: [{code: 1}]}}\n" + windowOK + psdOK + outOK, want: "source.stim.events[0].description: empty: give the annotation description to match"},
	{yaml: "source: {simulate: {sessions: 1}, stim: {events: [{description: a, code: 1}, {description: a, code: 2}]}}\n" + windowOK + psdOK + outOK, want: `source.stim.events[1].description: "a" repeats source.stim.events[0]`},
	{yaml: "source: {simulate: {sessions: 1}, stim: {channel: STI}}\n" + windowOK + psdOK + outOK, want: "source.stim.events: required with source.stim.channel: list {description, code} pairs"},

	{yaml: simOK + "window: {length_seconds: 2, events: {stim_channel: STI, codes: [1, 0]}}\n" + psdOK + outOK, want: "window.events.codes[1]: want a positive event code, got 0"},
	{yaml: simOK + "window: {length_seconds: 2, hop_seconds: 1, events: {offset_seconds: 0.1}}\n" + psdOK + outOK, want: "window.events.stim_channel: required with window.events.codes or offset_seconds"},
	{yaml: simOK + "window: {length_seconds: 2, hop_seconds: 1, events: {stim_channel: STI}}\n" + psdOK + outOK, want: "window.hop: not used with window.events (one window per event): remove it"},
	{yaml: simOK + "window: {length: 512, length_seconds: 2, events: {stim_channel: STI}}\n" + psdOK + outOK, want: "window: set length (samples) or length_seconds, not both"},
	{yaml: simOK + "window: {events: {stim_channel: STI}}\n" + psdOK + outOK, want: "window.length_seconds: want a window length > 0 after each event"},
	{yaml: simOK + "window: {length_seconds: 2, events: {stim_channel: STI}}\npreprocess: [{type: resample, up: 1, down: 2}]\n" + psdOK + outOK, want: "preprocess[0]: resample would smear the stim channel's event codes that window.events reads; resample the recordings beforehand"},
	{yaml: simOK + "window: {length: 512, hop_seconds: 1}\n" + psdOK + outOK, want: "window: set length/hop (samples) or length_seconds/hop_seconds, not both"},
	{yaml: simOK + "window: {length: -1, hop: 128}\n" + psdOK + outOK, want: "window.length: want ≥ 1 sample, got -1"},
	{yaml: simOK + "window: {length: 256}\n" + psdOK + outOK, want: "window.hop: want ≥ 1 sample, got 0"},
	{yaml: simOK + "window: {length_seconds: -1, hop_seconds: 1}\n" + psdOK + outOK, want: "window.length_seconds: want > 0, got -1"},
	{yaml: simOK + "window: {length_seconds: 2, hop_seconds: -0.5}\n" + psdOK + outOK, want: "window.hop_seconds: want > 0, got -0.5"},
	{yaml: simOK + psdOK + outOK, want: "window: not set: give length and hop in samples or length_seconds and hop_seconds"},
	{yaml: simOK + "window: {length_seconds: 2, hop_seconds: 1, warmup_seconds: -1}\n" + psdOK + outOK, want: "window.warmup_seconds: want ≥ 0, got -1"},

	// Preprocess and stage options: the step's or stage's own message
	// under its place in the list.
	{yaml: simOK + windowOK + "preprocess: [{type: notch, freq: x}]\n" + psdOK + outOK, want: `preprocess[0].freq: want a number, got "x"`},
	{yaml: simOK + windowOK + "preprocess: [{type: wavelet}]\n" + psdOK + outOK, want: "preprocess[0].type: unknown preprocess type \"wavelet\" (want one of filter, notch, reference, resample)"},
	{yaml: simOK + windowOK + outOK, want: "stages: no stage: add at least one (types: [coherence psd seizure ssvep tokens xcorr])"},
	{yaml: simOK + windowOK + "stages: [{type: psd}, {type: psd}]\n" + outOK, want: `stages[1].name: "psd" already names stages[0]`},
	{yaml: simOK + windowOK + "stages: [{type: psd, n_per_seg: -3}]\n" + outOK, want: "stages[0].n_per_seg: must be positive, got -3"},
	{yaml: simOK + windowOK + "stages: [{type: psd, n_per_seg: abc}]\n" + outOK, want: `stages[0].n_per_seg: want an integer, got "abc"`},
	{yaml: simOK + windowOK + "stages: [{type: psd, nperseg: 128, n_per_seg: 256}]\n" + outOK, want: "stages[0].n_per_seg: also given as nperseg, its deprecated name: keep n_per_seg only"},
	{yaml: simOK + windowOK + "stages: [{type: wavelet}]\n" + outOK, want: `stages[0].type: unknown stage type "wavelet" (want one of coherence, psd, seizure, ssvep, tokens, xcorr)`},
	{yaml: "source: {simulate: {sessions: 1, sample_rate: 1000}}\n" + windowOK + "stages: [{type: psd, bands: [{name: narrow, low: 8, high: 8.3}]}]\n" + outOK, want: "stages[0].bands[0]: narrow [8, 8.3] Hz holds 1 frequency bin(s) at 1000 Hz sampling (bins 0.5 Hz apart: n_fft 2000, n_per_seg 2000); band power integrates the bins in the band (trapezoidal rule) and needs 2: widen it, or lengthen n_per_seg (or n_fft) and the window (sessions of source.simulate)"},

	{yaml: simOK + windowOK + psdOK + "output: {dir: out, szcore: sz}\n", want: "output.szcore: needs a seizure stage, whose events it writes"},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, format: csv}\n", want: `output.format: want parquet or arrow, got "csv"`},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, part_rows: 0}\n", want: "output.part_rows: want at least 1 row, got 0"},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, part_seconds: -1}\n", want: "output.part_seconds: want a duration ≥ 0 s (0: no time limit), got -1"},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, row_group_rows: 0}\n", want: "output.row_group_rows: want at least 1 row, got 0"},
	{yaml: simOK + windowOK + psdOK + "output: {dir: \"\"}\n", want: "output: no output: set output.dir, output.kafka.brokers or output.lsl.kinds"},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, kafka: {brokers: [b:9092]}}\nkafka: {security: {protocol: tls}}\n", want: `kafka.security.protocol: want plaintext, ssl, sasl_plaintext or sasl_ssl, got "tls"`},
	{yaml: simOK + windowOK + psdOK + "output: {lsl: {kinds: [alpha]}}\n", want: `output.lsl.kinds[0]: want ssvep, seizure or bandpower, got "alpha"`},
	{yaml: simOK + windowOK + psdOK + "output: {lsl: {kinds: [ssvep]}}\n", want: "output.lsl.kinds[0]: ssvep results come from a ssvep stage, and there is none"},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, lsl: {ssvep_format: json}}\n", want: `output.lsl.ssvep_format: want string or float, got "json"`},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, lsl: {band_power: db}}\n", want: `output.lsl.band_power: want power or relative, got "db"`},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, lsl: {config_file: /nonexistent/lsl_api.cfg}}\n", want: "output.lsl.config_file: lsl: config: open /nonexistent/lsl_api.cfg: no such file or directory"},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, kafka: {brokers: [b:9092], acks: two}}\n", want: `output.kafka.acks: want all or one, got "two"`},
	{yaml: simOK + windowOK + psdOK + "output: {dir: out, kafka: {brokers: [b:9092], dead_letter_topic: \"\"}}\n", want: "output.kafka.dead_letter_topic: empty"},
}

// loadErrors are the errors of Load: decoding, the environment, the
// password and the broker lists.
var loadErrors = []errorCase{
	{yaml: "workers: many\n", want: `workers: want an integer, got "many"`},
	{yaml: "output: {resume: maybe}\n", want: `output.resume: want true or false, got "maybe"`},
	{yaml: "output: {kafka: {brokers: {a: 1}}}\n", want: "output.kafka.brokers[0]: want a string, got a mapping"},
	{yaml: "source: {simulate: {start_time: yesterday}}\n", want: `source.simulate.start_time: parsing time as "2006-01-02T15:04:05Z07:00": cannot parse as "2006"`},
	{yaml: "bogus: 1\n", want: "unknown keys: bogus"},
	{yaml: "window: {hopp: 3}\n", want: "window: unknown keys: hopp"},
	{yaml: "kafka: {security: {sasl: {password: hunter2}}}\n", want: "kafka.security.sasl.password: a password does not belong in a configuration file, which is copied, shared and committed: set NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD or kafka.security.sasl.password_file"},
	{yaml: "name: x\n", env: map[string]string{"NEUROSTREAM_WORKRES": "3"}, want: "NEUROSTREAM_WORKRES: environment variable matches no configuration key, so it would be ignored; did you mean NEUROSTREAM_WORKERS?"},
	{yaml: "name: x\n", env: map[string]string{"NEUROSTREAM_OUTPUT_SZ_CORE": "sz"}, want: "NEUROSTREAM_OUTPUT_SZ_CORE: environment variable matches no configuration key, so it would be ignored; did you mean NEUROSTREAM_OUTPUT_SZCORE or NEUROSTREAM_OUTPUT_DIR or NEUROSTREAM_OUTPUT_RESUME?"},
	{yaml: "source: {kafka: {brokers: [\"${NEUROSTREAM_TEST_UNSET}\"]}}\n", want: `source.kafka.brokers[0]: "${NEUROSTREAM_TEST_UNSET}" names NEUROSTREAM_TEST_UNSET, which is not set; set it, or give a default as in ${NEUROSTREAM_TEST_UNSET:-127.0.0.1:9092}`},
}

// buildErrors are the errors of Build (of a configuration that did not
// pass Validate, or whose files are not what Validate saw). The Kafka
// dead-letter sink's construction error is not here: it takes the result
// sink's settings, so the result sink fails first.
func buildErrors(t *testing.T) []errorCase {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return []errorCase{
		{yaml: simOK + windowOK + psdOK + "output: {dir: " + file + "}\n", want: "output.dir: "},
		{yaml: simOK + windowOK + psdOK + "output: {dir: \"\", szcore: " + file + "}\n", want: "output.szcore: "},
		{yaml: "source: {files: {paths: [" + filepath.Join(dir, "missing") + "]}}\n" + windowOK + psdOK + "output: {dir: \"\"}\n", want: "source.files.paths: "},
		{yaml: simOK + windowOK + "preprocess: [{type: notch, q: -1}]\n" + psdOK + "output: {dir: \"\"}\n", want: "preprocess[0]: "},
		{yaml: simOK + windowOK + "stages: [{type: psd, n_per_seg: -1}]\noutput: {dir: \"\"}\n", want: "stages[0]: n_per_seg: must be positive, got -1"},
		{yaml: "source: {kafka: {brokers: [b:9092], group_id: \"\"}}\n" + windowOK + psdOK + "output: {dir: \"\"}\n", want: "source.kafka: kafka source: GroupID: required"},
		{yaml: simOK + windowOK + psdOK + "output: {dir: \"\", kafka: {brokers: [nohost]}}\n", want: "output.kafka: kafka result sink: "},
		{yaml: simOK + windowOK + psdOK + "output: {dir: \"\", lsl: {kinds: [bandpower], config_file: " + filepath.Join(dir, "missing.cfg") + "}}\n", want: "output.lsl.config_file: "},
		{yaml: simOK + windowOK + psdOK + "output: {dir: \"\", lsl: {kinds: [alpha]}}\n", want: "output.lsl: "},
	}
}

// errorLines loads c.yaml and returns the lines of the error of step.
func errorLines(t *testing.T, c errorCase, step string) []string {
	t.Helper()
	for k, v := range c.env {
		t.Setenv(k, v)
	}
	cfg, err := loadText(c.yaml)
	switch {
	case step == "load":
		if err == nil {
			t.Fatalf("%s: loaded", c.yaml)
		}
		return strings.Split(strings.TrimPrefix(err.Error(), "config p.yaml: "), "\n")
	case err != nil:
		t.Fatalf("%s: %v", c.yaml, err)
	case step == "validate":
		err = cfg.Validate()
	default:
		cfg.Output.Dir = strings.ReplaceAll(cfg.Output.Dir, "out", filepath.Join(t.TempDir(), "out"))
		var b *Built
		if b, err = cfg.Build(nil); err == nil {
			for _, s := range b.Options.Sinks {
				s.Close()
			}
		}
	}
	if err == nil {
		t.Fatalf("%s: no %s error", c.yaml, step)
	}
	return strings.Split(err.Error(), "\n")
}

// TestErrorMessages: each configuration error comes out with its key
// path and message as written here.
func TestErrorMessages(t *testing.T) {
	for step, cases := range map[string][]errorCase{"load": loadErrors, "validate": validateErrors, "build": buildErrors(t)} {
		for _, c := range cases {
			t.Run(step+"/"+c.want, func(t *testing.T) {
				lines := errorLines(t, c, step)
				found := slices.Contains(lines, c.want)
				if step == "build" {
					found = strings.HasPrefix(lines[0], c.want)
				}
				if !found {
					t.Errorf("%s\n%s errors:\n%s\nwant the line %q", c.yaml, step, strings.Join(lines, "\n"), c.want)
				}
			})
		}
	}
	// The shipped-like base of the cases is itself valid.
	if err := load(t, valid).Validate(); err != nil {
		t.Errorf("the cases' base: %v", err)
	}
}

// keyErrFormats returns the message formats of every keyErr call in the
// package's source, each as a regular expression matching the messages
// it makes.
func keyErrFormats(t *testing.T) map[string]*regexp.Regexp {
	t.Helper()
	fset := token.NewFileSet()
	files, _ := filepath.Glob("*.go")
	out := map[string]*regexp.Regexp{}
	verb := regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) < 2 {
				return true
			}
			if id, ok := call.Fun.(*ast.Ident); !ok || id.Name != "keyErr" {
				return true
			}
			format, ok := stringValue(call.Args[1])
			if !ok {
				t.Errorf("%s: keyErr with a format that is not a constant", fset.Position(call.Pos()))
				return true
			}
			parts := verb.Split(format, -1)
			for i, p := range parts {
				parts[i] = regexp.QuoteMeta(p)
			}
			out[format] = regexp.MustCompile("^" + strings.Join(parts, ".*") + "$")
			return true
		})
	}
	return out
}

// stringValue is the value of a string literal or a sum of them.
func stringValue(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		a, ok1 := stringValue(e.X)
		b, ok2 := stringValue(e.Y)
		return a + b, ok1 && ok2
	}
	return "", false
}

// TestEveryValidationMessageHasACase: every message the package makes
// with keyErr is among the cases of TestErrorMessages, so a new message
// needs a case.
func TestEveryValidationMessageHasACase(t *testing.T) {
	var msgs []string
	for _, c := range append(slices.Clone(validateErrors), loadErrors...) {
		if _, msg, ok := strings.Cut(c.want, ": "); ok {
			msgs = append(msgs, msg)
		}
	}
	formats := keyErrFormats(t)
	if len(formats) < 40 {
		t.Fatalf("found %d keyErr formats", len(formats))
	}
	for format, re := range formats {
		if format == "%s" || format == "%v" {
			continue // messages of other packages, under a key: cases above
		}
		if !slices.ContainsFunc(msgs, re.MatchString) {
			t.Errorf("no case for the message %q", format)
		}
	}
}
