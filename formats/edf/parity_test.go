package edf

import (
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// TestParity reads every EDF/BDF file of the shared data and compares it
// with MNE's golden values.
func TestParity(t *testing.T) {
	readers := []string{"mne.io.read_raw_edf", "mne.io.read_raw_bdf"}
	formatstest.EachGolden(t, readers, 1, func(t *testing.T, _ formatstest.Entry, path string, g *formatstest.Golden) {
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if g.Error != "" {
			// MNE refuses the file (an annotation-only hypnogram:
			// no channels to pick); mne.read_annotations reads it.
			info := r.Info()
			if len(info.Channels) != 0 || info.NSamples != 0 {
				t.Fatalf("MNE refused it (%s); got %d channels, %d samples, want none", g.Error, len(info.Channels), info.NSamples)
			}
			formatstest.CheckAnnotations(t, info.Annotations, g)
			return
		}
		formatstest.Check(t, r, g, formatstest.Options{})
		if g.MeasDate != nil {
			checkStart(t, r.Info(), *g.MeasDate)
		}
	})
}

var _ formats.Recording = (*Reader)(nil)
