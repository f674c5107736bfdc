package configs

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/viper"
)

// fileKey reports whether the key at path names a file a pipeline reads
// (stage models and vocabularies, LSL and TLS settings, password files).
// source.files.paths names recordings too, but they are the input a user
// points a configuration at, never part of the repository.
func fileKey(path []string) bool {
	k := path[len(path)-1]
	switch {
	case k == "model", k == "vocab", strings.HasSuffix(k, "_file"):
		return true
	}
	return false
}

// references returns the file names v (a decoded YAML value at path)
// gives under fileKey keys.
func references(v any, path []string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			out = append(out, references(x, append(slices.Clip(path), k))...)
		}
	case []any:
		for _, x := range v {
			out = append(out, references(x, path)...)
		}
	case string:
		if len(path) > 0 && fileKey(path) {
			out = append(out, v)
		}
	}
	return out
}

// TestReferencedFilesInConfigs: every file a configuration of configs/
// loads is inside configs/ (its paths are relative to the repository
// root, where the configurations are run) and is there.
func TestReferencedFilesInConfigs(t *testing.T) {
	names, err := fs.Glob(FS, "*.yaml")
	if err != nil || len(names) < 5 {
		t.Fatalf("configs: %v %v", names, err)
	}
	var all []string
	for _, name := range names {
		b, _ := FS.ReadFile(name)
		v := viper.New()
		v.SetConfigType("yaml")
		if err := v.ReadConfig(bytes.NewReader(b)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, ref := range references(v.AllSettings(), nil) {
			all = append(all, ref)
			p := filepath.ToSlash(filepath.Clean(ref))
			if filepath.IsAbs(ref) || !strings.HasPrefix(p, "configs/") {
				t.Errorf("%s loads %s, outside configs/", name, ref)
				continue
			}
			if _, err := os.Stat(filepath.Join("..", p)); err != nil {
				t.Errorf("%s loads %s: %v", name, ref, err)
			}
		}
	}
	// The seizure model and the token vocabulary at least.
	if len(all) < 2 {
		t.Errorf("found only %v", all)
	}
}

// TestVocabIsTheTokenizerFixture: configs/vocab/vocab-sim.arrow is the
// tokenizer's example vocabulary, as `make models` copies it.
func TestVocabIsTheTokenizerFixture(t *testing.T) {
	a, err := os.ReadFile("vocab/vocab-sim.arrow")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../tokenizer/testdata/vocab-sim.arrow")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("configs/vocab/vocab-sim.arrow differs from tokenizer/testdata/vocab-sim.arrow: run make models")
	}
}
