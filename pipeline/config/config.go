// Package config reads pipeline descriptions from YAML (with NEUROSTREAM_*
// environment overrides), checks them key by key, builds the runtime
// options they describe, and runs them (Config.Run: what `neurostream run`
// runs, with its report, metrics endpoints and outcome).
//
// Keys are snake_case spellings of the Go field names below ("sample_rate"
// for SampleRate). Every scalar key can be overridden from the environment:
// NEUROSTREAM_ plus the upper-cased key path with dots as underscores, e.g.
// NEUROSTREAM_OUTPUT_DIR=/tmp/out or NEUROSTREAM_SOURCE_SIMULATE_SEED=7. A
// NEUROSTREAM_ variable that matches no key (and is not one of OtherEnv)
// is an error naming it: a misspelt override must not be ignored.
//
// Broker lists (source.kafka.brokers, output.kafka.brokers) expand
// ${NAME} and ${NAME:-default} from the environment, so the shipped Kafka
// configurations follow NEUROSTREAM_KAFKA as the commands do:
// brokers: ["${NEUROSTREAM_KAFKA:-127.0.0.1:9092}"].
package config

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"

	"github.com/neurostream/neurostream/pipeline"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/simulate"
)

// Config is one pipeline.
type Config struct {
	// Name labels the pipeline in logs and summaries.
	Name string
	// Workers is how many goroutines own sessions. Default: 2.
	Workers int
	// NonFinite is what a NaN or Inf sample does to its chunk: "reject"
	// (dead letter) or "allow". Default: reject.
	NonFinite string
	// SessionIdleSeconds ends a session that received no chunk for this
	// many seconds of wall time, as its final chunk would
	// (docs/operations.md, "Session lifecycle"); 0 never. Default: 60.
	SessionIdleSeconds float64
	Source             Source
	Window             Window
	// Preprocess lists chunk-level steps run before windowing (filters,
	// notch, reference, resample), in order.
	Preprocess []Stage
	Stages     []Stage
	Output     Output
	Metrics    Metrics
	// Kafka is what every Kafka connection of the pipeline shares:
	// source.kafka, output.kafka and the topics they create.
	Kafka KafkaSettings

	// file is the path Load read, for the warnings Build logs.
	file string
}

// Metrics exposes Prometheus metrics and a health check over HTTP.
type Metrics struct {
	// Listen is the address of /metrics, /healthz and /readyz, e.g.
	// "127.0.0.1:9464". A port alone (":9464") listens on 127.0.0.1
	// only; other interfaces must be named ("0.0.0.0:9464"). The
	// endpoints have no authentication (docs/operations.md, "Security").
	// Default: none (no HTTP server).
	Listen string
}

// KafkaSettings are the settings of every Kafka connection.
type KafkaSettings struct {
	// Security is TLS and SASL (docs/operations.md, "Security"):
	// protocol, tls.{ca_file, cert_file, key_file, server_name,
	// min_version}, sasl.{mechanism, username, password_file}. The
	// password itself is taken from the environment only
	// (NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD), never from the file.
	// Default: plaintext.
	Security pkafka.Security
}

// Kafka names brokers and topics.
type Kafka struct {
	// Brokers are bootstrap addresses, e.g. ["127.0.0.1:9092"]. An entry
	// may name environment variables, ${NAME} or ${NAME:-default}, and may
	// expand to a comma-separated list: the shipped configurations say
	// ["${NEUROSTREAM_KAFKA:-127.0.0.1:9092}"]. Default: none (no Kafka).
	Brokers []string
}

// KafkaSource consumes wire chunks from a topic as a consumer group.
type KafkaSource struct {
	Kafka `mapstructure:",squash"`
	// Topic is the input topic. Default: neurostream.raw.
	Topic string
	// GroupID is the consumer group. Default: neurostream.
	GroupID string
	// ConnectTimeoutSeconds bounds how long the run waits for the brokers
	// at start-up (reporting not ready meanwhile); 0 keeps trying.
	// Default: 0.
	ConnectTimeoutSeconds float64
	// Checkpoints saves each session's state (filters, window position,
	// events, stages) to StateTopic, so that a session whose partition
	// moves to another replica, or whose process restarts, resumes
	// exactly where it was instead of warming up (docs/operations.md,
	// "Checkpoints"). Default: true.
	Checkpoints *bool
	// StateTopic is the compacted topic of the checkpoints, keyed by
	// session; the run creates it when missing, with the input topic's
	// partition count. Default: output.kafka.topic_prefix + "state"
	// (neurostream.state).
	StateTopic string
	// CheckpointIntervalSeconds is the least time between two checkpoints
	// of a session: a chunk is committed only once a checkpoint covering
	// it is saved, so commits lag by up to this much more. 0 takes the
	// default. Default: 1.
	CheckpointIntervalSeconds float64
}

// CheckpointsOn reports whether source.kafka.checkpoints is on.
func (k KafkaSource) CheckpointsOn() bool { return k.Checkpoints == nil || *k.Checkpoints }

// StateTopic returns the checkpoints' topic (source.kafka.state_topic or
// its default).
func (c *Config) StateTopic() string {
	if t := c.Source.Kafka.StateTopic; t != "" {
		return t
	}
	return c.Output.Kafka.TopicPrefix + "state"
}

// KafkaOutput produces results (one topic per kind) and dead letters.
type KafkaOutput struct {
	Kafka `mapstructure:",squash"`
	// TopicPrefix names result topics: prefix + kind. Default: neurostream.
	TopicPrefix string
	// DeadLetterTopic default: neurostream.deadletters.
	DeadLetterTopic string
	// Acks is "all" or "one". Default: all.
	Acks string
	// RetryTimeoutSeconds bounds how long a result or dead-letter write
	// keeps retrying while the brokers are unreachable before the run
	// stops with the error; 0 keeps trying (the run waits, reporting not
	// ready, and loses nothing once the brokers are back). Default: 0.
	RetryTimeoutSeconds float64
	// Partitions is the partition count of the result and dead-letter
	// topics the run creates when they are missing; 0 takes the broker's
	// num.partitions. Default: 0.
	Partitions int
}

// Source selects the input. Simulated sessions and files may be mixed.
type Source struct {
	// ChunkSeconds is the wire chunk duration. Default: 0.25.
	ChunkSeconds float64
	// Pace is the replay speed: 1 real time, 0 as fast as possible.
	// Default: 0.
	Pace     float64
	Files    Files
	Simulate Simulate
	// Stim adds a stim channel made from each recording's annotations
	// (simulated and file sessions), so events travel with the samples.
	Stim Stim
	// Kafka, when its brokers are set, is the only source.
	Kafka KafkaSource
	// Limits bound what one input message may hold; a message beyond
	// them is dead-lettered with reason limit (docs/wire-format.md,
	// "Limits").
	Limits Limits
}

// Limits are wire.Limits in YAML: zero means the default.
type Limits struct {
	// MaxMessageBytes bounds one message. Default: 67108864 (64 MiB).
	MaxMessageBytes int
	// MaxChannels bounds the channels of a chunk. Default: 1024.
	MaxChannels int
	// MaxRows bounds the samples per channel of a chunk. Default: 100000.
	MaxRows int
	// MinSampleRate and MaxSampleRate bound the rate in Hz.
	// Default: 0.1 and 100000.
	MinSampleRate, MaxSampleRate float64
}

// Files streams recordings, one session per file.
type Files struct {
	// Paths are files or folders (searched recursively for recordings).
	Paths []string
	// SampleRate in Hz for plain-text files, which do not carry one.
	SampleRate float64
	// Unit of plain-text values (uV, mV, V). Default: uV.
	Unit string
	// TimeColumn and MarkerColumn name CSV columns holding timestamps
	// (seconds) and event codes; neither becomes a channel.
	TimeColumn, MarkerColumn string
	// ChannelFiles reads recordings stored one channel per file: a
	// file-name pattern (path.Match, e.g. "ch*.inp") of plain-text files
	// that each hold one channel. Every folder under Paths that holds
	// such files is one recording, its channels those files in name
	// order, named by the file names (or ChannelLabels), its session by
	// the folder; files of the folder that do not match (a README) are
	// not read. Paths that are files are read as usual. Default: "",
	// every file is a recording.
	ChannelFiles string
	// ChannelLabels name the channels of plain-text recordings, in order,
	// instead of their header or file names (e.g. the Malow record's
	// Fp1, Fp2, …). Default: none.
	ChannelLabels []string
}

// Stim makes a stim channel from annotations, as
// mne.events_from_annotations then raw.add_events: each annotation whose
// description is listed in Events becomes a one-sample pulse of its code
// at its onset.
type Stim struct {
	// Channel labels the added stim channel. Default: STI.
	Channel string
	// Events maps annotation descriptions to event codes; empty means no
	// stim channel. (A list, not a map: YAML map keys would lose their
	// case and dots in viper.)
	Events []StimEvent
}

// StimEvent is one annotation description and its event code.
type StimEvent struct {
	// Description is matched exactly (case-sensitive).
	Description string
	// Code is positive (0 is "no event" in a stim channel).
	Code int
}

// codes returns the description → code map.
func (s Stim) codes() map[string]int {
	m := make(map[string]int, len(s.Events))
	for _, e := range s.Events {
		m[e.Description] = e.Code
	}
	return m
}

// Simulate streams synthetic sessions (package simulate).
type Simulate struct {
	// Sessions is how many; session i uses seed Seed+i. Default: 0.
	Sessions int
	// Config is the simulate.Config of every session, in snake_case
	// (sample_rate, duration, alpha.frequency, …).
	Config simulate.Config `mapstructure:",squash"`
}

// Window is the analysis window, in samples or seconds (one form only).
type Window struct {
	Length        int64
	Hop           int64
	LengthSeconds float64
	HopSeconds    float64
	// Events locks windows to stimulus events (trial mode) instead of
	// sliding them; hop and hop_seconds are then not used.
	Events Events
	// WarmupSeconds is how much signal a session joined mid-stream (after
	// a restart or rebalance) needs before its first window, for filter
	// state; it also holds back Kafka commits by as much. Default: 0, or
	// 2 s when preprocess steps are configured.
	WarmupSeconds float64
}

// Events locks one window to each stimulus onset in a stim channel
// (pipeline.EventWindows): the window of the configured length starts
// OffsetSeconds after the onset.
type Events struct {
	// StimChannel labels the channel carrying the codes; empty means
	// sliding windows.
	StimChannel string
	// Codes selects the event codes that open a window. Default: all.
	Codes []int
	// OffsetSeconds from the onset to the window start (negative:
	// before). Default: 0.
	OffsetSeconds float64
}

// Stage is one analysis stage: its type (see stages.Types) and options.
type Stage struct {
	Type string
	// Name defaults to the type.
	Name    string
	Options map[string]any `mapstructure:",remain"`
}

// Output is where results go: files, Kafka topics, or both.
type Output struct {
	// Dir receives one file per result kind; empty for none.
	// Default: ./out.
	Dir string
	// Format of the result files, one series of parts per kind:
	// "parquet" (DIR/KIND-000001.parquet, …) or "arrow" (Arrow IPC
	// stream, DIR/KIND-000001.arrows, …). Default: parquet.
	Format string
	// PartRows finishes a kind's result file when it holds this many
	// rows; the next rows start the next part. Default: 100000.
	PartRows int64
	// PartSeconds finishes a kind's result file this long after its
	// first row, so that slow streams show up in finished files; 0 for
	// no time limit. Default: 60.
	PartSeconds float64
	// RowGroupRows bounds a Parquet row group, and so the rows held in
	// memory while a part is written as Parquet. Default: 10000.
	RowGroupRows int64
	// Resume keeps the result files an earlier run left in Dir: its
	// unfinished parts are finished and new parts numbered after the
	// existing ones, as a Kafka consumer restarted after a crash needs.
	// Otherwise a run replaces them (unfinished parts are deleted at the
	// start, a kind's finished parts when its first result arrives).
	// Default: true with a Kafka source, false otherwise.
	Resume *bool
	// DeadLetters is the JSON-lines dead-letter file when results go to
	// files. Default: Dir/deadletters.jsonl.
	DeadLetters string
	// SzCORE writes each session's seizure events as an SzCORE annotation
	// file under this folder when the session ends (sinks.SzCORESink);
	// empty for none. Needs a seizure stage.
	SzCORE string `mapstructure:"szcore"`
	// Kafka, when its brokers are set, receives results and dead letters.
	Kafka KafkaOutput
	// LSL publishes results as Lab Streaming Layer streams (docs/bci.md).
	LSL LSLOutput
}

// LSLOutput publishes results as Lab Streaming Layer outlets
// (pipeline/lslout): SSVEP decisions and seizure alarms as irregular
// marker streams, band powers as a regular stream per session.
type LSLOutput struct {
	// Kinds selects the result kinds: ssvep, seizure, bandpower. Empty:
	// no LSL output. Default: none.
	Kinds []string
	// Prefix names the streams PREFIX-ssvep, PREFIX-seizure,
	// PREFIX-bandpower. Default: neurostream.
	Prefix string
	// SSVEPFormat is string (a JSON object per decision) or float
	// (decision, frequency, score, margin, start_sample). Default: string.
	SSVEPFormat string
	// BandPower is the value band-power streams carry: power or relative.
	// Default: power.
	BandPower string
	// ConfigFile is liblsl's lsl_api.cfg (network settings). Default:
	// $LSLAPICFG, else this machine only.
	ConfigFile string
}

// Errors is every problem found in a configuration, each naming its key.
type Errors []error

func (e Errors) Error() string {
	s := make([]string, len(e))
	for i, err := range e {
		s[i] = err.Error()
	}
	return strings.Join(s, "\n")
}

// KeyError is one problem at a key path such as "stages[0].nperseg".
type KeyError struct {
	Key string
	Msg string
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Msg }

func keyErr(key, format string, args ...any) error {
	return &KeyError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// Default returns the defaults every file is read over.
func Default() Config {
	return Config{
		Workers:            2,
		NonFinite:          "reject",
		SessionIdleSeconds: pipeline.DefaultSessionIdle.Seconds(),
		Source: Source{
			ChunkSeconds: 0.25,
			Files:        Files{Unit: "uV"},
			Simulate:     Simulate{Config: simulate.DefaultConfig()},
			Kafka:        KafkaSource{Topic: "neurostream.raw", GroupID: "neurostream"},
		},
		Output: Output{Dir: "out", Format: "parquet", PartRows: 100_000, PartSeconds: 60, RowGroupRows: 10_000, Kafka: KafkaOutput{
			TopicPrefix: "neurostream.", DeadLetterTopic: "neurostream.deadletters", Acks: "all",
		}},
	}
}

// Load reads a YAML file (from fsys when not nil, else the OS) over the
// defaults and applies NEUROSTREAM_* environment overrides, then expands
// ${NAME} and ${NAME:-default} in the broker lists (expandBrokers).
// Unknown keys, type mismatches, environment variables that match no key
// and a password in the file come back as Errors naming the key or
// variable.
func Load(fsys fs.FS, path string) (*Config, error) {
	v := viper.New()
	v.SetConfigType("yaml")
	var err error
	if fsys != nil {
		var f fs.File
		if f, err = fsys.Open(path); err == nil {
			err = v.ReadConfig(f)
			f.Close()
		}
	} else {
		v.SetConfigFile(path)
		err = v.ReadInConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c, err := loadViper(v)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c.file = path
	return c, nil
}

// LoadEnv returns the defaults with the NEUROSTREAM_* environment
// overrides, for commands without a configuration file (replay, bench)
// that take kafka.security from the environment. Variables that match no
// key are errors, as for Load.
func LoadEnv() (*Config, error) {
	c, err := loadViper(viper.New())
	if err != nil {
		return nil, fmt.Errorf("environment: %w", err)
	}
	return c, nil
}

// passwordKey may be set from the environment only.
const passwordKey = "kafka.security.sasl.password"

func loadViper(v *viper.Viper) (*Config, error) {
	if err := CheckEnv(os.Environ()); err != nil {
		return nil, err
	}
	if v.InConfig(passwordKey) {
		// The value is not repeated.
		return nil, Errors{keyErr(passwordKey, "a password does not belong in a configuration file, which is copied, shared and committed: "+
			"set NEUROSTREAM_KAFKA_SECURITY_SASL_PASSWORD or kafka.security.sasl.password_file")}
	}
	v.SetEnvPrefix("NEUROSTREAM")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	for _, k := range leafKeys(reflect.TypeFor[Config](), "") {
		v.BindEnv(k)
	}
	c := Default()
	if err := v.Unmarshal(&c, decoderOptions); err != nil {
		return nil, decodeErrors(err)
	}
	if err := c.expandBrokers(); err != nil {
		return nil, err
	}
	return &c, nil
}

// OtherEnv are the NEUROSTREAM_ environment variables that are not
// configuration keys, with what reads them. Variables starting
// NEUROSTREAM_TEST_ belong to tests and are not checked either.
var OtherEnv = map[string]string{
	"NEUROSTREAM_KAFKA":          "the commands' --brokers default and the tests' broker",
	"NEUROSTREAM_KAFKA_RUN":      "deploy/kafka: the broker's folder",
	"NEUROSTREAM_KAFKA_SECURE":   "deploy/kafka: also start the SASL_SSL, SSL and EXPIRED listeners",
	"NEUROSTREAM_KAFKA_TEST_LOG": "Kafka tests: the client's debug log",
	"NEUROSTREAM_CACHE":          "make, deploy/kafka and the tests: the cache folder",
	"NEUROSTREAM_DATA":           "tests: the shared recordings",
	"NEUROSTREAM_PYTHON":         "tests: the Python with the reference packages",
	"NEUROSTREAM_CHROMIUM":       "the view's browser tests: the Chromium to drive",
}

// EnvName is the environment variable that overrides key
// ("kafka.security.tls.ca_file" → NEUROSTREAM_KAFKA_SECURITY_TLS_CA_FILE).
func EnvName(key string) string {
	return "NEUROSTREAM_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// CheckEnv returns Errors naming each NEUROSTREAM_ variable of environ
// (KEY=value entries, as os.Environ) that matches no configuration key
// and is not one of OtherEnv, with the keys it may have meant. Values are
// never repeated: the variable may hold a password.
func CheckEnv(environ []string) error {
	keys := leafKeys(reflect.TypeFor[Config](), "")
	known := map[string]bool{}
	for _, k := range keys {
		known[EnvName(k)] = true
	}
	var errs Errors
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "NEUROSTREAM_") || known[name] || strings.HasPrefix(name, "NEUROSTREAM_TEST_") {
			continue
		}
		if _, ok := OtherEnv[name]; ok {
			continue
		}
		msg := "environment variable matches no configuration key, so it would be ignored"
		if near := nearKeys(name, keys); len(near) > 0 {
			msg += "; did you mean " + strings.Join(near, " or ") + "?"
		}
		errs = append(errs, fmt.Errorf("%s: %s", name, msg))
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// nearKeys returns up to three environment names of keys that share the
// rarest words with name (NEUROSTREAM_SOURCE_KAFKA_TLS →
// NEUROSTREAM_KAFKA_SECURITY_TLS_…), or else the one nearest by edit
// distance (a misspelling), or nothing.
func nearKeys(name string, keys []string) []string {
	words := func(s string) []string { return strings.Split(strings.TrimPrefix(s, "NEUROSTREAM_"), "_") }
	freq := map[string]int{}
	for _, k := range keys {
		for _, w := range words(EnvName(k)) {
			freq[w]++
		}
	}
	type cand struct {
		name  string
		score float64
		dist  int
	}
	var best []cand
	for _, k := range keys {
		env := EnvName(k)
		var score float64
		for _, w := range words(name) {
			if slices.Contains(words(env), w) {
				score += 1 / float64(freq[w])
			}
		}
		if score > 0 {
			best = append(best, cand{env, score, editDistance(name, env)})
		}
	}
	slices.SortStableFunc(best, func(a, b cand) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.dist, b.dist))
	})
	var out []string
	for i, c := range best {
		if i == 3 || c.score < best[0].score/2 {
			break
		}
		out = append(out, c.name)
	}
	if len(out) > 0 {
		return out
	}
	nearest, dist := "", 4
	for _, k := range keys {
		if d := editDistance(name, EnvName(k)); d < dist {
			nearest, dist = EnvName(k), d
		}
	}
	if nearest == "" {
		return nil
	}
	return []string{nearest}
}

// editDistance is the Levenshtein distance of a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			sub := prev[j-1]
			if a[i-1] != b[j-1] {
				sub++
			}
			cur[j] = min(sub, prev[j]+1, cur[j-1]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func decoderOptions(dc *mapstructure.DecoderConfig) {
	dc.ErrorUnused = true
	dc.WeaklyTypedInput = true
	dc.MatchName = matchName
	dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
		mapstructure.StringToTimeHookFunc(time.RFC3339),
		mapstructure.StringToTimeDurationHookFunc(),
		mapstructure.StringToSliceHookFunc(","),
	)
}

// matchName lets snake_case keys fill CamelCase fields.
func matchName(key, field string) bool {
	return strings.EqualFold(strings.ReplaceAll(key, "_", ""), field)
}

// decodeErrors turns mapstructure's errors into Errors naming each YAML
// key path (source.simulate.sample_rate, stages[0]), not the Go field
// (Source.Simulate.SampleRate), and the value it could not use.
func decodeErrors(err error) error {
	var out Errors
	var walk func(err error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		de, ok := err.(*mapstructure.DecodeError)
		if !ok {
			// mapstructure's "decoding failed due to the following
			// error(s)" wrapper is dropped; other errors are kept whole.
			if inner := errors.Unwrap(err); inner != nil && errors.As(inner, &de) {
				walk(inner)
			} else {
				out = append(out, err)
			}
			return
		}
		key := yamlKey(de.Name())
		var pe *mapstructure.ParseError
		var ue *mapstructure.UnconvertibleTypeError
		switch inner := de.Unwrap(); {
		case errors.As(inner, &pe):
			out = append(out, keyErr(key, "want %s, got %s", typeName(pe.Expected.Type()), valueText(pe.Value)))
		case errors.As(inner, &ue):
			out = append(out, keyErr(key, "want %s, got %s", typeName(ue.Expected.Type()), valueText(ue.Value)))
		case strings.HasPrefix(inner.Error(), "has invalid keys: "):
			unknown := strings.TrimPrefix(inner.Error(), "has invalid keys: ")
			if key == "" {
				out = append(out, fmt.Errorf("unknown keys: %s", unknown))
			} else {
				out = append(out, keyErr(key, "unknown keys: %s", unknown))
			}
		default:
			if key == "" {
				out = append(out, inner)
			} else {
				out = append(out, keyErr(key, "%v", inner))
			}
		}
	}
	walk(err)
	if len(out) == 0 {
		return err
	}
	return out
}

// expandDecodeErrors replaces each mapstructure error among errs (a
// stage's options that do not decode) by one error per key.
func expandDecodeErrors(errs []error) []error {
	var out []error
	for _, err := range errs {
		var de *mapstructure.DecodeError
		if !errors.As(err, &de) {
			out = append(out, err)
			continue
		}
		var keyed Errors
		if errors.As(decodeErrors(err), &keyed) {
			out = append(out, keyed...)
		} else {
			out = append(out, err)
		}
	}
	return out
}

// yamlKey spells mapstructure's field path (Source.Files.Paths[0]) as the
// YAML key path (source.files.paths[0]).
func yamlKey(name string) string {
	parts := strings.Split(name, ".")
	for i, p := range parts {
		field, index, _ := strings.Cut(p, "[")
		if index != "" {
			index = "[" + index
		}
		parts[i] = snake(field) + index
	}
	return strings.Join(parts, ".")
}

// typeName says what a YAML value of Go type t looks like.
func typeName(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration such as 1.5s or 250ms"
	case t == reflect.TypeFor[time.Time]():
		return "a time in RFC 3339, such as 2026-01-02T15:04:05Z"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return typeName(t.Elem())
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer ≥ 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(typeName(t.Elem()), "a "), "an ") + " values"
	case reflect.Map, reflect.Struct:
		return "a mapping (key: value)"
	}
	return t.String()
}

// valueText quotes a YAML value for a message.
func valueText(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	case nil:
		return "nothing"
	}
	return fmt.Sprint(v)
}

// leafKeys lists the dotted snake_case paths of t's scalar fields, for
// binding environment variables. Slices and maps are left out: they are
// set in the file.
func leafKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("mapstructure")
		key := prefix + keyName(f)
		if strings.Contains(tag, "squash") {
			keys = append(keys, leafKeys(f.Type, prefix)...)
			continue
		}
		if strings.Contains(tag, "remain") {
			continue
		}
		switch {
		case f.Type == reflect.TypeFor[time.Time]():
			keys = append(keys, key)
		case f.Type.Kind() == reflect.Struct:
			keys = append(keys, leafKeys(f.Type, key+".")...)
		case f.Type.Kind() == reflect.Slice || f.Type.Kind() == reflect.Map:
			if f.Type.Elem().Kind() == reflect.String {
				keys = append(keys, key)
			}
		default:
			keys = append(keys, key)
		}
	}
	return keys
}

// keyName is the YAML key of a field: the name its mapstructure tag
// gives, else its name in snake_case.
func keyName(f reflect.StructField) string {
	if name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ","); name != "" {
		return name
	}
	return snake(f.Name)
}

// snake spells a Go field name in snake_case: SampleRate → sample_rate,
// SSVEP → ssvep, MinAmplitude → min_amplitude.
func snake(name string) string {
	r := []rune(name)
	var b strings.Builder
	for i, c := range r {
		if unicode.IsUpper(c) && i > 0 && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1]))) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}
