package corpus_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/tokenizer"
	"github.com/neurostream/neurostream/tokenizer/corpus"
	"github.com/neurostream/neurostream/tokenizer/corpus/corpustest"
)

// TestTrain trains a vocabulary from simulated EDF+ sessions: progress on
// the log, the summary, the provenance, and the same bytes from a second
// run with the same seed.
func TestTrain(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	corpustest.WriteSSVEP(t, rec, 2)
	var files [2][]byte
	for i := range files {
		var log, out bytes.Buffer
		cfg := corpus.TrainConfig{Input: corpus.Input{Paths: []string{rec}}, Software: "corpus test", Log: &log}
		cfg.Size, cfg.Seed = 128, 3
		tr, err := corpus.Train(cfg)
		if err != nil {
			t.Fatalf("%v\n%s", err, log.String())
		}
		if err := tr.Write(&out); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			t.Log(out.String())
			for _, want := range []string{"2 recordings, 38 channels", "motifs of 60 values (context ±1 frames, 5 Hz patches)", "vocabulary: 128 tokens in 11 cells",
				"power levels: 16 per band (delta 1–4 Hz, theta 4–8 Hz, alpha 8–12 Hz, beta 12–30 Hz, gamma 30–45 Hz) and channel type (eeg)"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("summary lacks %q:\n%s", want, out.String())
				}
			}
			if !strings.Contains(log.String(), "read recordings 2/2") || !strings.Contains(log.String(), "k-means fine 11/11") {
				t.Errorf("no progress on the log:\n%s", log.String())
			}
			m := regexp.MustCompile(`perplexity [0-9.]+ = ([0-9.]+) × vocabulary size`).FindStringSubmatch(out.String())
			if m == nil {
				t.Fatalf("no perplexity line:\n%s", out.String())
			}
			if r, _ := strconv.ParseFloat(m[1], 64); r < 0.5 || m[1] != strconv.FormatFloat(tr.Perplexity/128, 'f', 3, 64) {
				t.Errorf("training perplexity %s × vocabulary size (Trained: %v), want ≥ 0.5", m[1], tr.Perplexity/128)
			}
		}
		v := tr.Vocabulary
		wantLevels(t, v, 16, "eeg")
		if v.Size() != 128 || len(v.Provenance.Sources) != 2 || v.Provenance.Software != "corpus test" {
			t.Fatalf("vocabulary %d tokens, provenance %+v", v.Size(), v.Provenance)
		}
		motifs := 0
		for _, s := range v.Provenance.Sources {
			if s.Channels != 19 || s.Rate != 256 || len(s.SHA256) != 64 || s.Bytes == 0 || s.Motifs == 0 {
				t.Errorf("source %+v", s)
			}
			motifs += s.Motifs
		}
		if motifs != tr.Motifs || tr.Channels != 38 || tr.Recordings != 2 || tr.Used < 64 {
			t.Errorf("sources hold %d motifs, collected %d; %d channels, %d recordings, %d tokens used", motifs, tr.Motifs, tr.Channels, tr.Recordings, tr.Used)
		}
		path := filepath.Join(dir, "v"+strconv.Itoa(i)+".arrow")
		if err := v.WriteFile(path); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = b
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two runs with the same seed wrote different files")
	}
}

// wantLevels checks that v has n power levels of channel type kind only.
func wantLevels(t *testing.T, v *tokenizer.Vocabulary, n int, kind string) {
	t.Helper()
	if v.Levels() != n || !slices.Equal(v.LevelTypes(), []string{kind}) || len(v.LevelEdges(kind, tokenizer.NumBands-1)) != n-1 {
		t.Errorf("power levels %d of types %v, want %d of %s", v.Levels(), v.LevelTypes(), n, kind)
	}
}

// TestTrainConfigErrors: a bad size or feature is refused, naming the
// field, before any recording is read.
func TestTrainConfigErrors(t *testing.T) {
	missing := corpus.Input{Paths: []string{filepath.Join(t.TempDir(), "missing")}}
	for _, tc := range []struct {
		cfg   corpus.TrainConfig
		field string
		want  string
	}{
		{corpus.TrainConfig{Input: missing, TrainConfig: tokenizer.TrainConfig{Size: 9000}}, "corpus.TrainConfig.Size", "corpus.TrainConfig.Size 9000: want 2 to 8192"},
		{corpus.TrainConfig{Input: missing, TrainConfig: tokenizer.TrainConfig{Size: 1}}, "corpus.TrainConfig.Size", "want 2 to 8192"},
		{corpus.TrainConfig{Input: missing, TrainConfig: tokenizer.TrainConfig{Levels: 1}}, "corpus.TrainConfig.Levels", "corpus.TrainConfig.Levels 1: want 2 to 256 (or -1 for none)"},
		{corpus.TrainConfig{Input: missing, TrainConfig: tokenizer.TrainConfig{Features: tokenizer.FeatureConfig{PatchBins: 7}}}, "corpus.TrainConfig.Features", "patch bins 7 must divide 100"},
		{corpus.TrainConfig{Input: missing}, "corpus.Input.Paths", "missing: stat"},
		{corpus.TrainConfig{}, "corpus.Input.Paths", "give corpus.Input.Paths"},
	} {
		_, err := corpus.Train(tc.cfg)
		var fe *corpus.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want a %s error with %q", tc.cfg, err, tc.field, tc.want)
		}
	}
}

// TestRead reads the listed channels, or every EEG channel, and names
// what is missing.
func TestRead(t *testing.T) {
	dir := t.TempDir()
	corpustest.WriteSSVEP(t, dir, 1)
	if err := os.WriteFile(filepath.Join(dir, "x.txt"), []byte(strings.Repeat("1 2\n", 400)), 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := corpus.Input{Paths: []string{dir}}.Files()
	if err != nil || len(files) != 2 || filepath.Base(files[0]) != "s0.edf" || filepath.Base(files[1]) != "x.txt" {
		t.Fatalf("files %q, %v", files, err)
	}
	edfPath := files[0]
	rec, err := corpus.Input{}.Read(edfPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.X) != 19 || len(rec.Labels) != 19 || len(rec.Types) != 19 || rec.Types[0] != formats.EEG || rec.Labels[0] != rec.Info.Channels[0].Label || len(rec.X[0]) != int(rec.Info.NSamples) {
		t.Errorf("every EEG channel: %d rows, labels %q", len(rec.X), rec.Labels)
	}
	rec2, err := corpus.Input{Channels: []string{"Pz", "O1"}}.Read(edfPath)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rec2.Labels, ",") != "Pz,O1" || len(rec2.X) != 2 {
		t.Fatalf("picked channels %q", rec2.Labels)
	}
	for i, l := range rec2.Labels {
		k := slices.Index(rec.Labels, l)
		if k < 0 || !slices.Equal(rec2.X[i], rec.X[k]) {
			t.Errorf("channel %s: other samples than in the read of every channel", l)
		}
	}
	if _, err := (corpus.Input{Channels: []string{"XX"}}).Read(edfPath); err == nil || !strings.Contains(err.Error(), `no channel "XX"`) {
		t.Errorf("missing channel: %v", err)
	}
	_, err = corpus.Input{}.Read(files[1])
	var fe *corpus.FieldError
	if !errors.As(err, &fe) || fe.Field != "corpus.Input.Text.SampleRate" || !strings.Contains(err.Error(), "x.txt: plain-text recording: give its sample rate with corpus.Input.Text.SampleRate") {
		t.Errorf("plain text without a rate: %v", err)
	}
	in := corpus.Input{}
	in.Text.SampleRate = 100
	txt, err := in.Read(files[1])
	if err != nil || len(txt.X) != 2 || len(txt.X[0]) != 400 {
		t.Fatalf("plain text at 100 Hz: %v", err)
	}
}

// TestInputChannelFiles: with ChannelFiles a folder of one-channel text
// files is one recording (Files lists the folder, not its files; Read
// gives its channels in file order, named by --channel-labels), and a
// folder of them without a rate is refused naming the rate field.
func TestInputChannelFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for c, name := range []string{"ch1.txt", "ch2.txt", "README.txt"} {
		var b strings.Builder
		for i := range 400 {
			fmt.Fprintf(&b, "%d\n", 10*c+i%7)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	in := corpus.Input{Paths: []string{filepath.Dir(dir)}, ChannelFiles: "ch*.txt", Text: text.Options{SampleRate: 200, Labels: []string{"O1", "O2"}}}
	files, err := in.Files()
	if err != nil || len(files) != 1 || files[0] != dir {
		t.Fatalf("Files() = %q, %v; want [%s]", files, err, dir)
	}
	rec, err := in.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.Labels, []string{"O1", "O2"}) || len(rec.X[1]) != 400 || math.Abs(rec.X[1][3]-13e-6) > 1e-15 {
		t.Errorf("read %q, %d samples, ch 2 sample 3 = %g V; want O1, O2, 400 samples, 13 µV", rec.Labels, len(rec.X[1]), rec.X[1][3])
	}
	// Its provenance hashes the channel files, not the README.
	src, err := in.Source(dir)
	b1, _ := os.ReadFile(filepath.Join(dir, "ch1.txt"))
	b2, _ := os.ReadFile(filepath.Join(dir, "ch2.txt"))
	sum := sha256.Sum256(append(b1, b2...))
	if err != nil || src.Path != dir || src.Bytes != int64(len(b1)+len(b2)) || src.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("Source = %+v, %v; want %d bytes, SHA-256 of ch1.txt then ch2.txt", src, err, len(b1)+len(b2))
	}
	in.Text.SampleRate = 0
	var fe *corpus.FieldError
	if _, err := in.Read(dir); !errors.As(err, &fe) || fe.Field != "corpus.Input.Text.SampleRate" {
		t.Errorf("no rate: %v, want the rate's field error", err)
	}
}
