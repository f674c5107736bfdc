// Package corpustest writes small recordings on disk for the tests of
// code that reads recordings through package corpus (tokenizer/corpus,
// tokenizer/evaluate, the neurostream command).
package corpustest

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/neurostream/neurostream/formats/edf"
	"github.com/neurostream/neurostream/simulate"
)

// WriteSSVEP writes n simulated SSVEP sessions as EDF+ files dir/s0.edf,
// dir/s1.edf, …: 60 s each of the default simulated 10-20 session (19
// channels at 256 Hz, seeds 40, 41, …) with 4 s trials at 8, 11, 13 and
// 15 Hz, annotated "ssvep/8Hz" etc.
func WriteSSVEP(t testing.TB, dir string, n int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		cfg := simulate.DefaultConfig()
		cfg.Seed, cfg.Duration = uint64(40+i), 60
		cfg.SSVEP.Enabled = true
		s, err := simulate.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(filepath.Join(dir, "s"+strconv.Itoa(i)+".edf"))
		if err == nil {
			err = edf.WriteRecording(f, s, edf.WriteOptions{Patient: "sim", Recording: "sim", RecordDuration: 1})
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}
