package config

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/pipeline"
	pkafka "github.com/neurostream/neurostream/pipeline/kafka"
	"github.com/neurostream/neurostream/pipeline/wire"
	"github.com/neurostream/neurostream/simulate"
)

// keyCase sets one key and says where it lands.
type keyCase struct {
	// key is the YAML key path.
	key string
	// yaml is the value as written in a file; env the value of its
	// environment variable, when that differs ("" : the same).
	yaml, env string
	// want is what got reads from the loaded Config.
	want any
	got  func(c *Config) any
}

// keyCases names every key of a configuration (TestEveryKeyHasACase
// checks that), each with a value other than its default.
var keyCases = []keyCase{
	{key: "name", yaml: "p1", want: "p1", got: func(c *Config) any { return c.Name }},
	{key: "workers", yaml: "5", want: 5, got: func(c *Config) any { return c.Workers }},
	{key: "non_finite", yaml: "allow", want: "allow", got: func(c *Config) any { return c.NonFinite }},
	{key: "session_idle_seconds", yaml: "7.5", want: 7.5, got: func(c *Config) any { return c.SessionIdleSeconds }},

	{key: "source.chunk_seconds", yaml: "0.5", want: 0.5, got: func(c *Config) any { return c.Source.ChunkSeconds }},
	{key: "source.pace", yaml: "2", want: 2.0, got: func(c *Config) any { return c.Source.Pace }},
	{key: "source.files.paths", yaml: "[a.edf, b/]", env: "a.edf,b/", want: []string{"a.edf", "b/"}, got: func(c *Config) any { return c.Source.Files.Paths }},
	{key: "source.files.sample_rate", yaml: "173.61", want: 173.61, got: func(c *Config) any { return c.Source.Files.SampleRate }},
	{key: "source.files.unit", yaml: "mV", want: "mV", got: func(c *Config) any { return c.Source.Files.Unit }},
	{key: "source.files.time_column", yaml: "t", want: "t", got: func(c *Config) any { return c.Source.Files.TimeColumn }},
	{key: "source.files.marker_column", yaml: "Marker0", want: "Marker0", got: func(c *Config) any { return c.Source.Files.MarkerColumn }},
	{key: "source.files.channel_files", yaml: "ch*.inp", want: "ch*.inp", got: func(c *Config) any { return c.Source.Files.ChannelFiles }},
	{key: "source.files.channel_labels", yaml: "[Fp1, Fp2]", env: "Fp1,Fp2", want: []string{"Fp1", "Fp2"}, got: func(c *Config) any { return c.Source.Files.ChannelLabels }},
	{key: "source.simulate.sessions", yaml: "3", want: 3, got: func(c *Config) any { return c.Source.Simulate.Sessions }},
	{key: "source.simulate.seed", yaml: "9", want: uint64(9), got: func(c *Config) any { return c.Source.Simulate.Config.Seed }},
	{key: "source.simulate.sample_rate", yaml: "512", want: 512.0, got: func(c *Config) any { return c.Source.Simulate.Config.SampleRate }},
	{key: "source.simulate.duration", yaml: "30", want: 30.0, got: func(c *Config) any { return c.Source.Simulate.Config.Duration }},
	{key: "source.simulate.start_time", yaml: "2026-01-02T03:04:05Z", want: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), got: func(c *Config) any { return c.Source.Simulate.Config.StartTime.UTC() }},
	{key: "source.simulate.montage.kind", yaml: "meg", want: "meg", got: func(c *Config) any { return c.Source.Simulate.Config.Montage.Kind }},
	{key: "source.simulate.montage.labels", yaml: "[Cz, Pz]", env: "Cz,Pz", want: []string{"Cz", "Pz"}, got: func(c *Config) any { return c.Source.Simulate.Config.Montage.Labels }},
	{key: "source.simulate.montage.channels", yaml: "64", want: 64, got: func(c *Config) any { return c.Source.Simulate.Config.Montage.Channels }},
	{key: "source.simulate.montage.head_radius", yaml: "0.09", want: 0.09, got: func(c *Config) any { return c.Source.Simulate.Config.Montage.HeadRadius }},
	{key: "source.simulate.montage.locations", yaml: "51", want: 51, got: func(c *Config) any { return c.Source.Simulate.Config.Montage.Locations }},
	{key: "source.simulate.montage.sensors", yaml: "mag", want: "mag", got: func(c *Config) any { return c.Source.Simulate.Config.Montage.Sensors }},
	{key: "source.simulate.montage.helmet_radius", yaml: "0.11", want: 0.11, got: func(c *Config) any { return c.Source.Simulate.Config.Montage.HelmetRadius }},
	{key: "source.simulate.montage.mag_scale", yaml: "2e-8", want: 2e-8, got: func(c *Config) any { return c.Source.Simulate.Config.Montage.MagScale }},
	{key: "source.simulate.montage.grad_scale", yaml: "3e-7", want: 3e-7, got: func(c *Config) any { return c.Source.Simulate.Config.Montage.GradScale }},
	{key: "source.simulate.background.enabled", yaml: "false", want: false, got: func(c *Config) any { return c.Source.Simulate.Config.Background.Enabled }},
	{key: "source.simulate.background.amplitude", yaml: "2e-5", want: 2e-5, got: func(c *Config) any { return c.Source.Simulate.Config.Background.Amplitude }},
	{key: "source.simulate.background.exponent", yaml: "1.7", want: 1.7, got: func(c *Config) any { return c.Source.Simulate.Config.Background.Exponent }},
	{key: "source.simulate.background.high_pass", yaml: "0.3", want: 0.3, got: func(c *Config) any { return c.Source.Simulate.Config.Background.HighPass }},
	{key: "source.simulate.background.sources", yaml: "64", want: 64, got: func(c *Config) any { return c.Source.Simulate.Config.Background.Sources }},
	{key: "source.simulate.background.spread", yaml: "0.05", want: 0.05, got: func(c *Config) any { return c.Source.Simulate.Config.Background.Spread }},
	{key: "source.simulate.alpha.enabled", yaml: "false", want: false, got: func(c *Config) any { return c.Source.Simulate.Config.Alpha.Enabled }},
	{key: "source.simulate.alpha.frequency", yaml: "9.5", want: 9.5, got: func(c *Config) any { return c.Source.Simulate.Config.Alpha.Frequency }},
	{key: "source.simulate.alpha.bandwidth", yaml: "1.5", want: 1.5, got: func(c *Config) any { return c.Source.Simulate.Config.Alpha.Bandwidth }},
	{key: "source.simulate.alpha.amplitude", yaml: "2e-5", want: 2e-5, got: func(c *Config) any { return c.Source.Simulate.Config.Alpha.Amplitude }},
	{key: "source.simulate.alpha.spread", yaml: "0.06", want: 0.06, got: func(c *Config) any { return c.Source.Simulate.Config.Alpha.Spread }},
	{key: "source.simulate.line_noise.enabled", yaml: "false", want: false, got: func(c *Config) any { return c.Source.Simulate.Config.LineNoise.Enabled }},
	{key: "source.simulate.line_noise.frequency", yaml: "60", want: 60.0, got: func(c *Config) any { return c.Source.Simulate.Config.LineNoise.Frequency }},
	{key: "source.simulate.line_noise.amplitude", yaml: "3e-6", want: 3e-6, got: func(c *Config) any { return c.Source.Simulate.Config.LineNoise.Amplitude }},
	{key: "source.simulate.line_noise.harmonics", yaml: "4", want: 4, got: func(c *Config) any { return c.Source.Simulate.Config.LineNoise.Harmonics }},
	{key: "source.simulate.line_noise.harmonic_decay", yaml: "0.25", want: 0.25, got: func(c *Config) any { return c.Source.Simulate.Config.LineNoise.HarmonicDecay }},
	{key: "source.simulate.blinks.enabled", yaml: "false", want: false, got: func(c *Config) any { return c.Source.Simulate.Config.Blinks.Enabled }},
	{key: "source.simulate.blinks.rate", yaml: "0.3", want: 0.3, got: func(c *Config) any { return c.Source.Simulate.Config.Blinks.Rate }},
	{key: "source.simulate.blinks.min_amplitude", yaml: "5e-5", want: 5e-5, got: func(c *Config) any { return c.Source.Simulate.Config.Blinks.MinAmplitude }},
	{key: "source.simulate.blinks.max_amplitude", yaml: "3e-4", want: 3e-4, got: func(c *Config) any { return c.Source.Simulate.Config.Blinks.MaxAmplitude }},
	{key: "source.simulate.blinks.duration", yaml: "0.35", want: 0.35, got: func(c *Config) any { return c.Source.Simulate.Config.Blinks.Duration }},
	{key: "source.simulate.blinks.spread", yaml: "0.07", want: 0.07, got: func(c *Config) any { return c.Source.Simulate.Config.Blinks.Spread }},
	{key: "source.simulate.ssvep.enabled", yaml: "true", want: true, got: func(c *Config) any { return c.Source.Simulate.Config.SSVEP.Enabled }},
	{key: "source.simulate.ssvep.trials", yaml: "[{onset: 1, duration: 4, frequency: 12}]", want: []simulate.Trial{{Onset: 1, Duration: 4, Frequency: 12}}, got: func(c *Config) any { return c.Source.Simulate.Config.SSVEP.Trials }},
	{key: "source.simulate.ssvep.frequencies", yaml: "[8, 12.5]", want: []float64{8, 12.5}, got: func(c *Config) any { return c.Source.Simulate.Config.SSVEP.Frequencies }},
	{key: "source.simulate.ssvep.trial_duration", yaml: "3", want: 3.0, got: func(c *Config) any { return c.Source.Simulate.Config.SSVEP.TrialDuration }},
	{key: "source.simulate.ssvep.interval", yaml: "1.5", want: 1.5, got: func(c *Config) any { return c.Source.Simulate.Config.SSVEP.Interval }},
	{key: "source.simulate.ssvep.first_onset", yaml: "2.5", want: 2.5, got: func(c *Config) any { return c.Source.Simulate.Config.SSVEP.FirstOnset }},
	{key: "source.simulate.ssvep.amplitude", yaml: "4e-6", want: 4e-6, got: func(c *Config) any { return c.Source.Simulate.Config.SSVEP.Amplitude }},
	{key: "source.simulate.ssvep.harmonics", yaml: "3", want: 3, got: func(c *Config) any { return c.Source.Simulate.Config.SSVEP.Harmonics }},
	{key: "source.simulate.ssvep.harmonic_decay", yaml: "0.4", want: 0.4, got: func(c *Config) any { return c.Source.Simulate.Config.SSVEP.HarmonicDecay }},
	{key: "source.simulate.ssvep.spread", yaml: "0.045", want: 0.045, got: func(c *Config) any { return c.Source.Simulate.Config.SSVEP.Spread }},
	{key: "source.simulate.seizures.enabled", yaml: "true", want: true, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.Enabled }},
	{key: "source.simulate.seizures.events", yaml: "[{onset: 10, duration: 20}]", want: []simulate.SeizureEvent{{Onset: 10, Duration: 20}}, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.Events }},
	{key: "source.simulate.seizures.rate_per_hour", yaml: "4", want: 4.0, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.RatePerHour }},
	{key: "source.simulate.seizures.min_duration", yaml: "15", want: 15.0, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.MinDuration }},
	{key: "source.simulate.seizures.max_duration", yaml: "45", want: 45.0, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.MaxDuration }},
	{key: "source.simulate.seizures.focus", yaml: "[T3, C3]", env: "T3,C3", want: []string{"T3", "C3"}, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.Focus }},
	{key: "source.simulate.seizures.start_frequency", yaml: "7", want: 7.0, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.StartFrequency }},
	{key: "source.simulate.seizures.end_frequency", yaml: "2.5", want: 2.5, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.EndFrequency }},
	{key: "source.simulate.seizures.start_amplitude", yaml: "3e-5", want: 3e-5, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.StartAmplitude }},
	{key: "source.simulate.seizures.end_amplitude", yaml: "9e-5", want: 9e-5, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.EndAmplitude }},
	{key: "source.simulate.seizures.onset_phase", yaml: "true", want: true, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.OnsetPhase }},
	{key: "source.simulate.seizures.onset_min_duration", yaml: "5", want: 5.0, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.OnsetMinDuration }},
	{key: "source.simulate.seizures.onset_max_duration", yaml: "12", want: 12.0, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.OnsetMaxDuration }},
	{key: "source.simulate.seizures.spread_speed", yaml: "0.03", want: 0.03, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.SpreadSpeed }},
	{key: "source.simulate.seizures.spread_decay", yaml: "0.8", want: 0.8, got: func(c *Config) any { return c.Source.Simulate.Config.Seizures.SpreadDecay }},
	{key: "source.stim.channel", yaml: "TRIG", want: "TRIG", got: func(c *Config) any { return c.Source.Stim.Channel }},
	{key: "source.stim.events", yaml: "[{description: ssvep/8Hz, code: 1}, {description: Rest, code: 5}]", want: []StimEvent{{"ssvep/8Hz", 1}, {"Rest", 5}}, got: func(c *Config) any { return c.Source.Stim.Events }},
	{key: "source.kafka.brokers", yaml: "[h1:9092, h2:9092]", env: "h1:9092,h2:9092", want: []string{"h1:9092", "h2:9092"}, got: func(c *Config) any { return c.Source.Kafka.Brokers }},
	{key: "source.kafka.topic", yaml: "eeg.raw", want: "eeg.raw", got: func(c *Config) any { return c.Source.Kafka.Topic }},
	{key: "source.kafka.group_id", yaml: "g2", want: "g2", got: func(c *Config) any { return c.Source.Kafka.GroupID }},
	{key: "source.kafka.connect_timeout_seconds", yaml: "30", want: 30.0, got: func(c *Config) any { return c.Source.Kafka.ConnectTimeoutSeconds }},
	{key: "source.kafka.checkpoints", yaml: "false", want: false, got: func(c *Config) any { return c.Source.Kafka.CheckpointsOn() }},
	{key: "source.kafka.state_topic", yaml: "eeg.state", want: "eeg.state", got: func(c *Config) any { return c.Source.Kafka.StateTopic }},
	{key: "source.kafka.checkpoint_interval_seconds", yaml: "2.5", want: 2.5, got: func(c *Config) any { return c.Source.Kafka.CheckpointIntervalSeconds }},
	{key: "source.limits.max_message_bytes", yaml: "1048576", want: 1048576, got: func(c *Config) any { return c.Source.Limits.MaxMessageBytes }},
	{key: "source.limits.max_channels", yaml: "64", want: 64, got: func(c *Config) any { return c.Source.Limits.MaxChannels }},
	{key: "source.limits.max_rows", yaml: "5000", want: 5000, got: func(c *Config) any { return c.Source.Limits.MaxRows }},
	{key: "source.limits.min_sample_rate", yaml: "1", want: 1.0, got: func(c *Config) any { return c.Source.Limits.MinSampleRate }},
	{key: "source.limits.max_sample_rate", yaml: "2000", want: 2000.0, got: func(c *Config) any { return c.Source.Limits.MaxSampleRate }},

	{key: "window.length", yaml: "512", want: int64(512), got: func(c *Config) any { return c.Window.Length }},
	{key: "window.hop", yaml: "128", want: int64(128), got: func(c *Config) any { return c.Window.Hop }},
	{key: "window.length_seconds", yaml: "4", want: 4.0, got: func(c *Config) any { return c.Window.LengthSeconds }},
	{key: "window.hop_seconds", yaml: "0.25", want: 0.25, got: func(c *Config) any { return c.Window.HopSeconds }},
	{key: "window.events.stim_channel", yaml: "STI", want: "STI", got: func(c *Config) any { return c.Window.Events.StimChannel }},
	{key: "window.events.codes", yaml: "[1, 4]", want: []int{1, 4}, got: func(c *Config) any { return c.Window.Events.Codes }},
	{key: "window.events.offset_seconds", yaml: "-0.2", want: -0.2, got: func(c *Config) any { return c.Window.Events.OffsetSeconds }},
	{key: "window.warmup_seconds", yaml: "5", want: 5.0, got: func(c *Config) any { return c.Window.WarmupSeconds }},

	{key: "preprocess", yaml: "[{type: notch, freq: 60}]", want: []Stage{{Type: "notch", Options: map[string]any{"freq": 60}}}, got: func(c *Config) any { return c.Preprocess }},
	{key: "stages", yaml: "[{type: psd, name: spectra, n_per_seg: 128}]", want: []Stage{{Type: "psd", Name: "spectra", Options: map[string]any{"n_per_seg": 128}}}, got: func(c *Config) any { return c.Stages }},

	{key: "output.dir", yaml: "results", want: "results", got: func(c *Config) any { return c.Output.Dir }},
	{key: "output.format", yaml: "arrow", want: "arrow", got: func(c *Config) any { return c.Output.Format }},
	{key: "output.part_rows", yaml: "500", want: int64(500), got: func(c *Config) any { return c.Output.PartRows }},
	{key: "output.part_seconds", yaml: "10", want: 10.0, got: func(c *Config) any { return c.Output.PartSeconds }},
	{key: "output.row_group_rows", yaml: "250", want: int64(250), got: func(c *Config) any { return c.Output.RowGroupRows }},
	{key: "output.resume", yaml: "true", want: true, got: func(c *Config) any {
		if c.Output.Resume == nil {
			return nil
		}
		return *c.Output.Resume
	}},
	{key: "output.dead_letters", yaml: "dl.jsonl", want: "dl.jsonl", got: func(c *Config) any { return c.Output.DeadLetters }},
	{key: "output.szcore", yaml: "sz/", want: "sz/", got: func(c *Config) any { return c.Output.SzCORE }},
	{key: "output.kafka.brokers", yaml: "[h3:9092]", env: "h3:9092", want: []string{"h3:9092"}, got: func(c *Config) any { return c.Output.Kafka.Brokers }},
	{key: "output.kafka.topic_prefix", yaml: "eeg.", want: "eeg.", got: func(c *Config) any { return c.Output.Kafka.TopicPrefix }},
	{key: "output.kafka.dead_letter_topic", yaml: "eeg.dead", want: "eeg.dead", got: func(c *Config) any { return c.Output.Kafka.DeadLetterTopic }},
	{key: "output.kafka.acks", yaml: "one", want: "one", got: func(c *Config) any { return c.Output.Kafka.Acks }},
	{key: "output.kafka.retry_timeout_seconds", yaml: "120", want: 120.0, got: func(c *Config) any { return c.Output.Kafka.RetryTimeoutSeconds }},
	{key: "output.kafka.partitions", yaml: "6", want: 6, got: func(c *Config) any { return c.Output.Kafka.Partitions }},
	{key: "output.lsl.kinds", yaml: "[ssvep, bandpower]", env: "ssvep,bandpower", want: []string{"ssvep", "bandpower"}, got: func(c *Config) any { return c.Output.LSL.Kinds }},
	{key: "output.lsl.prefix", yaml: "speller", want: "speller", got: func(c *Config) any { return c.Output.LSL.Prefix }},
	{key: "output.lsl.ssvep_format", yaml: "float", want: "float", got: func(c *Config) any { return c.Output.LSL.SSVEPFormat }},
	{key: "output.lsl.band_power", yaml: "relative", want: "relative", got: func(c *Config) any { return c.Output.LSL.BandPower }},
	{key: "output.lsl.config_file", yaml: "lsl_api.cfg", want: "lsl_api.cfg", got: func(c *Config) any { return c.Output.LSL.ConfigFile }},

	{key: "metrics.listen", yaml: "127.0.0.1:9464", want: "127.0.0.1:9464", got: func(c *Config) any { return c.Metrics.Listen }},

	{key: "kafka.security.protocol", yaml: "sasl_ssl", want: "sasl_ssl", got: func(c *Config) any { return c.Kafka.Security.Protocol }},
	{key: "kafka.security.tls.ca_file", yaml: "/etc/ca.pem", want: "/etc/ca.pem", got: func(c *Config) any { return c.Kafka.Security.TLS.CAFile }},
	{key: "kafka.security.tls.cert_file", yaml: "/etc/c.pem", want: "/etc/c.pem", got: func(c *Config) any { return c.Kafka.Security.TLS.CertFile }},
	{key: "kafka.security.tls.key_file", yaml: "/etc/k.pem", want: "/etc/k.pem", got: func(c *Config) any { return c.Kafka.Security.TLS.KeyFile }},
	{key: "kafka.security.tls.server_name", yaml: "kafka.internal", want: "kafka.internal", got: func(c *Config) any { return c.Kafka.Security.TLS.ServerName }},
	{key: "kafka.security.tls.min_version", yaml: `"1.3"`, env: "1.3", want: "1.3", got: func(c *Config) any { return c.Kafka.Security.TLS.MinVersion }},
	{key: "kafka.security.sasl.mechanism", yaml: "PLAIN", want: "PLAIN", got: func(c *Config) any { return c.Kafka.Security.SASL.Mechanism }},
	{key: "kafka.security.sasl.username", yaml: "eeg", want: "eeg", got: func(c *Config) any { return c.Kafka.Security.SASL.Username }},
	// The password is refused in a file (TestKafkaSecurityKeys).
	{key: passwordKey, env: "pw", want: pkafka.Secret("pw"), got: func(c *Config) any { return c.Kafka.Security.SASL.Password }},
	{key: "kafka.security.sasl.password_file", yaml: "/run/pw", want: "/run/pw", got: func(c *Config) any { return c.Kafka.Security.SASL.PasswordFile }},
}

// nested spells key: value as nested YAML flow mappings.
func nested(key, value string) string {
	parts := strings.Split(key, ".")
	s := value
	for i := len(parts) - 1; i > 0; i-- {
		s = "{" + parts[i] + ": " + s + "}"
	}
	return parts[0] + ": " + s + "\n"
}

// TestEveryKey: every key set in a file lands in its field of the loaded
// configuration, and every key the environment may set lands there from
// its NEUROSTREAM_ variable too; each value differs from the default, so
// a key that went nowhere would fail.
func TestEveryKey(t *testing.T) {
	envKeys := leafKeys(reflect.TypeFor[Config](), "")
	def := Default()
	for _, tc := range keyCases {
		if reflect.DeepEqual(tc.got(&def), tc.want) {
			t.Errorf("%s: %v is the default", tc.key, tc.want)
		}
		if tc.yaml != "" {
			c, err := loadText(nested(tc.key, tc.yaml))
			if err != nil {
				t.Errorf("%s: %v", tc.key, err)
			} else if got := tc.got(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s: %s gives %#v, want %#v", tc.key, tc.yaml, got, tc.want)
			}
		}
		if !slices.Contains(envKeys, tc.key) {
			continue
		}
		t.Run(tc.key, func(t *testing.T) {
			v := cmpOr(tc.env, tc.yaml)
			t.Setenv(EnvName(tc.key), v)
			c, err := loadText("name: env\n")
			if err != nil {
				t.Fatalf("%s=%s: %v", EnvName(tc.key), v, err)
			}
			if got := tc.got(c); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s=%s gives %#v, want %#v", EnvName(tc.key), v, got, tc.want)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// allKeys lists the key paths of t: scalar keys as leafKeys does, and
// lists and maps of any element (stages, source.stim.events) as one key.
func allKeys(t reflect.Type, prefix string) []string {
	var keys []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("mapstructure")
		switch {
		case strings.Contains(tag, "squash"):
			keys = append(keys, allKeys(f.Type, prefix)...)
		case strings.Contains(tag, "remain"):
		case f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Time]():
			keys = append(keys, allKeys(f.Type, prefix+keyName(f)+".")...)
		default:
			keys = append(keys, prefix+keyName(f))
		}
	}
	return keys
}

// TestEveryKeyHasACase: keyCases covers every key of Config, once.
func TestEveryKeyHasACase(t *testing.T) {
	var cased []string
	for _, tc := range keyCases {
		if slices.Contains(cased, tc.key) {
			t.Errorf("%s: two cases", tc.key)
		}
		cased = append(cased, tc.key)
	}
	all := allKeys(reflect.TypeFor[Config](), "")
	for _, k := range all {
		if !slices.Contains(cased, k) {
			t.Errorf("%s: no case in keyCases", k)
		}
	}
	for _, k := range cased {
		if !slices.Contains(all, k) {
			t.Errorf("%s: a case, but no such key", k)
		}
	}
}

// TestKeysReachBuild: the keys the runtime takes reach the options Build
// makes for it.
func TestKeysReachBuild(t *testing.T) {
	c := load(t, `
workers: 3
non_finite: allow
session_idle_seconds: 12
source: {simulate: {sessions: 2, duration: 2, seed: 5}, chunk_seconds: 0.5,
  limits: {max_message_bytes: 1048576, max_channels: 64, max_rows: 5000, min_sample_rate: 1, max_sample_rate: 2000}}
window: {length_seconds: 2, hop_seconds: 0.5, warmup_seconds: 3}
preprocess: [{type: notch, freq: 60}]
stages: [{type: psd, n_per_seg: 128}, {type: xcorr, reference: Cz, max_lag_seconds: 0.25}]
output: {dir: ""}
`)
	b, err := c.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	o := b.Options
	for _, tc := range []struct {
		key       string
		got, want any
	}{
		{"workers", o.Workers, 3},
		{"non_finite", o.NonFinite, wire.Allow},
		{"session_idle_seconds", o.SessionIdle, 12 * time.Second},
		{"source.limits", o.Limits, wire.Limits{MaxMessageBytes: 1 << 20, MaxChannels: 64, MaxRows: 5000, MinSampleRate: 1, MaxSampleRate: 2000}},
		{"window", o.Window, pipeline.WindowSpec{LengthSeconds: 2, HopSeconds: 0.5}},
		{"window.warmup_seconds", o.Warmup, pipeline.WindowSpec{LengthSeconds: 3}},
		{"preprocess", len(o.Preprocess), 1},
		{"stages", len(o.Stages), 2},
	} {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: built %#v, want %#v", tc.key, tc.got, tc.want)
		}
	}
}

// TestKeysDocumented: docs/configuration.md names every key.
func TestKeysDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range allKeys(reflect.TypeFor[Config](), "") {
		if !strings.Contains(string(doc), "`"+k+"`") {
			t.Errorf("docs/configuration.md does not name `%s`", k)
		}
	}
}
