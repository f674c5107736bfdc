package ssvep_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/neurostream/neurostream/models/ssvep"
)

// TestTRCAModelFileUnchanged loads a model file written by an earlier
// build (ensemble TRCA, two sub-bands, margin no-control rule) and saves it
// again: the bytes must be the same, so the file format has not moved.
func TestTRCAModelFileUnchanged(t *testing.T) {
	want, err := os.ReadFile("testdata/etrca-model.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ssvep.LoadTRCA(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := m.Save(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		n := 0
		for n < min(got.Len(), len(want)) && got.Bytes()[n] == want[n] {
			n++
		}
		t.Errorf("saved again, it differs from the file from byte %d on", n)
	}
}
