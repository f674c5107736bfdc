package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/tokenizer"
	"github.com/neurostream/neurostream/tokenizer/corpus/corpustest"
)

// runTokens runs `neurostream tokens` on a root of its own.
func runTokens(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runSub(t, newTokensCmd(), args...)
}

// TestTrainTokenizer: the flags reach corpus.Train (tokenizer/corpus
// tests the training): progress on stderr, the summary on stdout, a
// vocabulary file of --vocab tokens from --seed, and errors that name the
// flags.
func TestTrainTokenizer(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	corpustest.WriteSSVEP(t, rec, 2)
	out := filepath.Join(dir, "v.arrow")
	stdout, stderr, err := runTrain(t, "tokenizer", "--data", rec, "--vocab", "128", "--seed", "3", "--context", "0", "--patch", "10",
		"--channels", "O1,O2,Pz", "--iterations", "5", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	t.Log(stdout)
	for _, want := range []string{"2 recordings, 6 channels", "motifs of 10 values (context ±0 frames, 10 Hz patches)", "vocabulary: 128 tokens in 11 cells", "(seed 3)", "vocabulary written to " + out} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "read recordings 2/2") || !strings.Contains(stderr, "k-means fine 11/11") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
	v, err := tokenizer.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if v.Size() != 128 || v.Provenance.Seed != 3 || v.Provenance.Iterations != 5 || v.Features.Context != 0 || v.Features.PatchBins != 10 ||
		len(v.Provenance.Sources) != 2 || v.Provenance.Sources[0].Channels != 3 || v.Provenance.Software != "neurostream train tokenizer" {
		t.Errorf("vocabulary %d tokens, features %+v, provenance %+v", v.Size(), v.Features, v.Provenance)
	}
	for _, tc := range []struct{ args, want string }{
		{"--vocab 9000 --out x.arrow", "--vocab 9000: want 2 to 8192"},
		{"--context -1 --out x.arrow", "--context -1: want ≥ 0 frames"},
		{"--patch 7 --out x.arrow", "--context/--patch: tokenizer: patch bins 7 must divide 100"},
		{"--vocab 64", "give --out"},
	} {
		_, _, err := runTrain(t, append([]string{"tokenizer", "--data", rec}, strings.Fields(tc.args)...)...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestTokensReport: the flags reach evaluate.Run (tokenizer/evaluate
// tests the report) and its errors name the flags.
func TestTokensReport(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "rec")
	corpustest.WriteSSVEP(t, rec, 3)
	vocab := filepath.Join(dir, "v.arrow")
	if stdout, stderr, err := runTrain(t, "tokenizer", "--data", rec, "--vocab", "128", "--out", vocab); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	stdout, stderr, err := runTokens(t, "report", "--vocab", vocab, "--data", rec, "--labels", "ssvep/8Hz=8Hz,ssvep/15Hz=15Hz",
		"--channels", "O1,O2,Pz,P3,P4", "--lambdas", "0.01,1", "--folds", "2", "--inner-folds", "2", "--seed", "5",
		"--refit", "--pool-channels", "--token-features", "tokens,bigrams")
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	t.Log(stdout)
	for _, want := range []string{"vocabulary " + vocab + ": 128 tokens", "3 recordings, 2 classes", "2-fold cross-validation over recordings",
		"penalty from [0.01 1] by 2-fold inner CV", "vocabulary retrained in every fold", "\n  tokens (tokens+bigrams) ", "\n  band power (relative) "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if !strings.Contains(stderr, "read recordings 3/3") || !strings.Contains(stderr, "cross-validation 6/6") {
		t.Errorf("no progress on stderr:\n%s", stderr)
	}
	for _, tc := range []struct{ args, want string }{
		{"--labels ssvep/8Hz", `--labels "ssvep/8Hz": want DESC=CLASS`},
		{"--labels folder --folds 1", "--folds 1: want at least 2"},
		{"--labels folder --inner-folds 1", "--inner-folds 1: want at least 2"},
		{"--labels folder --lambdas 1,-1", "--lambdas: -1 is not a positive penalty"},
		{"--labels folder --token-features words", `--token-features "words": want tokens, cells, bigrams, levels or level-cells`},
		{"--labels folder --vocab " + filepath.Join(dir, "none.arrow"), "--vocab: open " + filepath.Join(dir, "none.arrow") + ": no such file or directory"},
		{"--labels x=a,y=b", "no labelled examples: check --labels"},
	} {
		_, _, err := runTokens(t, append([]string{"report", "--data", rec, "--vocab", vocab}, strings.Fields(tc.args)...)...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, _, err := runTokens(t, "report", "--labels", "folder", "--vocab", vocab); err == nil || err.Error() != "give --data" {
		t.Errorf("no --data: %v", err)
	}
	// Held-out test data: --train-data and --test-data reach
	// evaluate.Config, and their errors name them.
	s0, s1, s2 := filepath.Join(rec, "s0.edf"), filepath.Join(rec, "s1.edf"), filepath.Join(rec, "s2.edf")
	stdout, _, err = runTokens(t, "report", "--vocab", vocab, "--train-data", s0+","+s1, "--test-data", s2,
		"--labels", "ssvep/8Hz=8Hz,ssvep/15Hz=15Hz", "--channels", "O1,O2,Pz", "--lambdas", "0.01,1")
	if err != nil || !strings.Contains(stdout, "training data: 11 examples from 2 recordings") || !strings.Contains(stdout, "test data: 6 examples from 1 recordings") {
		t.Errorf("--train-data/--test-data: %v\n%s", err, stdout)
	}
	for _, tc := range []struct{ args, want string }{
		{"--train-data " + s0, "--train-data needs --test-data (to cross-validate, give --data)"},
		{"--test-data " + s0, "--test-data needs --train-data"},
		{"--data " + s0 + " --train-data " + s1 + " --test-data " + s2, "give --data (cross-validation) or --train-data with --test-data, not both"},
		{"--train-data " + s0 + " --test-data " + filepath.Join(dir, "none"), "--test-data " + filepath.Join(dir, "none") + ": stat"},
		{"--train-data " + filepath.Join(dir, "none") + " --test-data " + s0, "--train-data " + filepath.Join(dir, "none") + ": stat"},
	} {
		_, _, err := runTokens(t, append([]string{"report", "--vocab", vocab, "--labels", "folder"}, strings.Fields(tc.args)...)...)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, _, err := runTokens(t, "report", "--labels", "folder", "--data", rec); err == nil || err.Error() != "give --vocab" {
		t.Errorf("no --vocab: %v", err)
	}
}

// TestTokensConfigRun runs the shipped configs/tokens.yaml and reads its
// rows: 19 channels × 2 sessions, one row per channel and window (2 s
// windows every 0.5 s), frames 1, 2, … in order.
func TestTokensConfigRun(t *testing.T) {
	t.Chdir("../..") // the config's vocabulary path is relative to the repository root
	out := t.TempDir()
	t.Setenv("NEUROSTREAM_OUTPUT_DIR", out)
	if stdout, err := runMain(t, "run", "--config", "configs/tokens.yaml"); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	recs := readResults(t, out, arrowout.KindTokens)
	frames := map[string][]int64{}
	for _, rec := range recs {
		defer rec.Release()
		if !rec.Schema().Equal(arrowout.TokensSchema) {
			t.Fatalf("schema %v", rec.Schema())
		}
		sess := rec.Column(0).(*array.String)
		ch := rec.Column(4).(*array.String)
		fr := rec.Column(5).(*array.Int64)
		tok := rec.Column(6).(*array.Int32)
		for j := range int(rec.NumRows()) {
			if tok.Value(j) < 0 || tok.Value(j) >= 256 {
				t.Fatalf("token %d", tok.Value(j))
			}
			k := sess.Value(j) + "/" + ch.Value(j)
			frames[k] = append(frames[k], fr.Value(j))
		}
	}
	if len(frames) != 38 {
		t.Fatalf("%d session/channel pairs, want 38", len(frames))
	}
	for k, fs := range frames {
		if len(fs) < 100 {
			t.Errorf("%s: %d frames", k, len(fs))
		}
		for i := 1; i < len(fs); i++ {
			if fs[i] != fs[i-1]+1 {
				t.Fatalf("%s: frame %d follows %d", k, fs[i], fs[i-1])
			}
		}
	}
}

// TestTrainTokenizerCSVColumns: a CSV recording's time and marker columns
// are not channels when --time-column and --marker-column name them (the
// rate comes from the timestamps); before train tokenizer had these flags
// it tokenized both as EEG.
func TestTrainTokenizerCSVColumns(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("timestamps,O1,O2,Marker0\n")
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 2000 { // 10 s at 200 Hz
		marker := 0
		if i%400 == 0 {
			marker = 1
		}
		fmt.Fprintf(&b, "%.4f,%.3f,%.3f,%d\n", 1000+float64(i)/200, 10*r.NormFloat64(), 10*r.NormFloat64(), marker)
	}
	csv := filepath.Join(dir, "muse.csv")
	if err := os.WriteFile(csv, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "v.arrow")
	stdout, stderr, err := runTrain(t, "tokenizer", "--data", csv, "--time-column", "timestamps", "--marker-column", "Marker0",
		"--vocab", "16", "--iterations", "2", "--out", out)
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	v, err := tokenizer.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if src := v.Provenance.Sources; len(src) != 1 || src[0].Channels != 2 || math.Abs(src[0].Rate-200) > 1e-6 {
		t.Errorf("sources %+v, want one recording of 2 channels at 200 Hz", src)
	}
}
