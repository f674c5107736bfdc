package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow/array"

	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/tokenizer"
)

// runTokens runs `neurostream tokens` on a root of its own.
func runTokens(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return runSub(t, newTokensCmd(), args...)
}

// writeSSVEPSessions writes n simulated SSVEP sessions (60 s, trials at 8,
// 11, 13 and 15 Hz) as EDF+ files under dir.
func writeSSVEPSessions(t *testing.T, dir string, n int) {
	t.Helper()
	for i := range n {
		s := ssvepSim(t, uint64(40+i), 60)
		err := writeEDF(filepath.Join(dir, "s"+strconv.Itoa(i)+".edf"), s, "sim", "sim")
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestTrainTokenizer trains a vocabulary from simulated EDF+ sessions:
// progress on stderr, usage on stdout, a readable file, and the same bytes
// from a second run with the same seed.
func TestTrainTokenizer(t *testing.T) {
	dir := t.TempDir()
	writeSSVEPSessions(t, filepath.Join(dir, "rec"), 2)
	var files [2][]byte
	for i := range files {
		out := filepath.Join(dir, "v"+strconv.Itoa(i)+".arrow")
		stdout, stderr, err := runTrain(t, "tokenizer", "--data", filepath.Join(dir, "rec"), "--vocab", "128", "--seed", "3", "--out", out)
		if err != nil {
			t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
		}
		if i == 0 {
			t.Log(stdout)
			for _, want := range []string{"2 recordings, 38 channels", "vocabulary: 128 tokens in 11 cells", "vocabulary written to"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if !strings.Contains(stderr, "read recordings 2/2") || !strings.Contains(stderr, "k-means fine 11/11") {
				t.Errorf("no progress on stderr:\n%s", stderr)
			}
			m := regexp.MustCompile(`perplexity [0-9.]+ = ([0-9.]+) × vocabulary size`).FindStringSubmatch(stdout)
			if m == nil {
				t.Fatalf("no perplexity line:\n%s", stdout)
			}
			if r, _ := strconv.ParseFloat(m[1], 64); r < 0.5 {
				t.Errorf("training perplexity %.3f × vocabulary size, want ≥ 0.5", r)
			}
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		files[i] = b
		v, err := tokenizer.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if v.Size() != 128 || len(v.Provenance.Sources) != 2 || v.Provenance.Sources[0].Channels != 19 || len(v.Provenance.Sources[0].SHA256) != 64 {
			t.Errorf("vocabulary %d tokens, provenance %+v", v.Size(), v.Provenance)
		}
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Error("two runs with the same seed wrote different files")
	}
	_, _, err := runTrain(t, "tokenizer", "--data", filepath.Join(dir, "rec"), "--vocab", "9000", "--out", filepath.Join(dir, "x.arrow"))
	if err == nil || !strings.Contains(err.Error(), "--vocab 9000") {
		t.Errorf("vocabulary of 9000 tokens: %v", err)
	}
}

// TestTokensReport reports on simulated SSVEP sessions, where the 8 Hz
// and 15 Hz trials differ in spectrum: tokens and band powers must both
// separate them.
func TestTokensReport(t *testing.T) {
	dir := t.TempDir()
	writeSSVEPSessions(t, filepath.Join(dir, "rec"), 3)
	vocab := filepath.Join(dir, "v.arrow")
	if stdout, stderr, err := runTrain(t, "tokenizer", "--data", filepath.Join(dir, "rec"), "--vocab", "128", "--out", vocab); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	stdout, stderr, err := runTokens(t, "report", "--vocab", vocab, "--data", filepath.Join(dir, "rec"),
		"--labels", "ssvep/8Hz=8Hz,ssvep/15Hz=15Hz", "--channels", "O1,O2,Pz,P3,P4", "--lambdas", "0.01,1")
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	t.Log(stdout)
	for _, want := range []string{"3 recordings, 2 classes", "3-fold cross-validation over recordings", "perplexity", "mutual information", "Miller–Madow"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, name := range []string{`tokens \(tokens\+cells\+bigrams\)`, `band power \(log10\)`, `band power \(relative\)`} {
		m := regexp.MustCompile(`(?m)^  ` + name + ` +(-?[0-9.]+) +([0-9.]+) `).FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("no row %s", name)
		}
		if k, _ := strconv.ParseFloat(m[1], 64); k < 0.5 {
			t.Errorf("%s: kappa %s on an easy task", name, m[1])
		}
	}
	// --refit retrains the vocabulary per fold on the training recordings.
	stdout, stderr, err = runTokens(t, "report", "--vocab", vocab, "--data", filepath.Join(dir, "rec"),
		"--labels", "ssvep/8Hz=8Hz,ssvep/15Hz=15Hz", "--channels", "O1,O2,Pz,P3,P4", "--lambdas", "0.01,1", "--refit")
	if err != nil || !strings.Contains(stdout, "vocabulary retrained in every fold") {
		t.Fatalf("--refit: %v\n%s\n%s", err, stdout, stderr)
	}
	if _, _, err := runTokens(t, "report", "--vocab", vocab, "--data", filepath.Join(dir, "rec"), "--labels", "ssvep/8Hz"); err == nil || !strings.Contains(err.Error(), "want DESC=CLASS") {
		t.Errorf("bad --labels: %v", err)
	}
}

// TestTokensConfigRun runs the shipped configs/tokens.yaml and reads its
// rows: 19 channels × 2 sessions, one row per channel and window (2 s
// windows every 0.5 s), frames 1, 2, … in order.
func TestTokensConfigRun(t *testing.T) {
	t.Chdir("../..") // the config's vocabulary path is relative to the repository root
	out := t.TempDir()
	t.Setenv("NEUROSTREAM_OUTPUT_DIR", out)
	if stdout, err := cli(t, "run", "--config", "configs/tokens.yaml"); err != nil {
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

// TestTokensReportBonn checks the documented Bonn report (docs/tokenizer.md):
// a vocabulary trained on the Bonn segments gives tokens whose 5-class
// kappa is well above chance.
func TestTokensReportBonn(t *testing.T) {
	if testing.Short() {
		t.Skip("short: the Bonn report takes a few seconds")
	}
	bonn := filepath.Join(testenv.DataDir(t), "bonn-epilepsy")
	vocab := filepath.Join(t.TempDir(), "bonn.arrow")
	if stdout, stderr, err := runTrain(t, "tokenizer", "--data", bonn, "--text-rate", "173.61", "--vocab", "256", "--out", vocab); err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	stdout, stderr, err := runTokens(t, "report", "--vocab", vocab, "--data", bonn, "--text-rate", "173.61", "--labels", "folder", "--lambdas", "0.01,1")
	if err != nil {
		t.Fatalf("%v\n%s\n%s", err, stdout, stderr)
	}
	t.Log(stdout)
	if !strings.Contains(stdout, "400 examples from 400 recordings, 5 classes (F 80, N 80, O 80, S 80, Z 80)") {
		t.Errorf("data line missing")
	}
	m := regexp.MustCompile(`(?m)^  tokens \(tokens\+cells\+bigrams\) +([0-9.]+) +([0-9.]+) `).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatal("no tokens row")
	}
	if k, _ := strconv.ParseFloat(m[1], 64); k < 0.6 {
		t.Errorf("Bonn 5-class kappa %v with tokens", k)
	}
}
