package seizure

import (
	"bytes"
	"os"
	"testing"
)

// TestModelFilesUnchanged loads model files written by earlier builds (the
// shipped version 3 example on pooled baseline-relative features, the
// version 1 example shipped before it, version 2 logistic regression and
// trees on the extended features) and saves them again: the bytes must be
// the same, so the file format has not moved.
func TestModelFilesUnchanged(t *testing.T) {
	for _, path := range []string{"../../configs/models/seizure-sim.json", "testdata/logreg-v1-sim.json", "testdata/logreg-extended.json", "testdata/gbt-extended.json"} {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Load(bytes.NewReader(want))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var got bytes.Buffer
		if err := m.Save(&got); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s: saved again, it differs from the file from byte %d on", path, firstDiff(got.Bytes(), want))
		}
	}
}

// firstDiff returns the index of the first byte where a and b differ.
func firstDiff(a, b []byte) int {
	n := 0
	for n < min(len(a), len(b)) && a[n] == b[n] {
		n++
	}
	return n
}
