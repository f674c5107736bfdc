package config

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/neurostream/neurostream/internal/buildinfo"
)

// Provenance keys: the schema metadata every result file carries besides
// neurostream.kind and neurostream.schema_version (docs/schemas.md,
// "Provenance").
const (
	// MetaVersion is the neurostream build that wrote the file
	// (buildinfo.Info.String: module version, VCS revision, Go version).
	MetaVersion = "neurostream.version"
	// MetaConfig is the effective configuration as JSON with YAML key
	// names: the defaults, the file and the NEUROSTREAM_* overrides.
	MetaConfig = "neurostream.config"
	// MetaConfigSHA256 is the hex SHA-256 of MetaConfig's value: equal
	// hashes mean files made by the same configuration.
	MetaConfigSHA256 = "neurostream.config_sha256"
	// MetaInput names the input: the files' paths as configured, the
	// simulated sessions, or the Kafka topic.
	MetaInput = "neurostream.input"
	// MetaStages is the analysis as JSON: preprocess steps, window and
	// stages with their options.
	MetaStages = "neurostream.stages"
)

// Provenance returns the metadata that says how c's result files were
// made, under the Meta* keys. Sample rates are per session: the session_end
// rows carry them.
func (c *Config) Provenance() map[string]string {
	cfg := mustJSON(yamlValue(reflect.ValueOf(*c)))
	sum := sha256.Sum256([]byte(cfg))
	return map[string]string{
		MetaVersion:      buildinfo.Read().String(),
		MetaConfig:       cfg,
		MetaConfigSHA256: hex.EncodeToString(sum[:]),
		MetaInput:        c.inputDescription(),
		MetaStages: mustJSON(map[string]any{
			"preprocess": yamlValue(reflect.ValueOf(c.Preprocess)),
			"window":     yamlValue(reflect.ValueOf(c.Window)),
			"stages":     yamlValue(reflect.ValueOf(c.Stages)),
		}),
	}
}

// inputDescription is one line naming the input.
func (c *Config) inputDescription() string {
	s := c.Source
	if k := s.Kafka; len(k.Brokers) > 0 {
		return fmt.Sprintf("kafka: topic %s, group %s, brokers %s", k.Topic, k.GroupID, strings.Join(k.Brokers, ","))
	}
	var parts []string
	if n := s.Simulate.Sessions; n > 0 {
		parts = append(parts, fmt.Sprintf("simulate: %d sessions, seeds %d…%d", n, s.Simulate.Config.Seed, s.Simulate.Config.Seed+uint64(n-1)))
	}
	if len(s.Files.Paths) > 0 {
		parts = append(parts, "files: "+strings.Join(s.Files.Paths, ", "))
	}
	return strings.Join(parts, "; ")
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("config: provenance: %v", err)) // only plain values
	}
	return string(b)
}

// yamlValue returns v as plain values (maps with the YAML key names,
// slices, scalars) for JSON: struct fields under their snake_case keys,
// squashed and remain fields merged into their parent, times in RFC 3339,
// nil pointers as null.
func yamlValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return yamlValue(v.Elem())
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			if t.IsZero() {
				return nil
			}
			return t.Format(time.RFC3339Nano)
		}
		m := map[string]any{}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("mapstructure")
			fv := yamlValue(v.Field(i))
			if strings.Contains(tag, "squash") || strings.Contains(tag, "remain") {
				if sub, ok := fv.(map[string]any); ok {
					for k, x := range sub {
						m[k] = x
					}
				}
				continue
			}
			m[keyName(f)] = fv
		}
		return m
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		m := map[string]any{}
		for it := v.MapRange(); it.Next(); {
			m[fmt.Sprint(it.Key().Interface())] = yamlValue(it.Value())
		}
		return m
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		s := make([]any, v.Len())
		for i := range s {
			s[i] = yamlValue(v.Index(i))
		}
		return s
	}
	return v.Interface()
}
