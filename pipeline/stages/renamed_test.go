package stages

import (
	"reflect"
	"strings"
	"testing"
)

// TestRenamedKeys: scipy's names of the segment options (nperseg,
// noverlap, nfft) still configure the psd and coherence stages as MNE's
// names do, RenamedKeys lists them, and both names of one option are an
// error naming the two.
func TestRenamedKeys(t *testing.T) {
	oldOpts := map[string]any{"nperseg": 100, "noverlap": 10, "nfft": 128, "detrend": "linear"}
	newOpts := map[string]any{"n_per_seg": 100, "n_overlap": 10, "n_fft": 128, "detrend": "linear"}
	for _, typ := range []string{"psd", "coherence"} {
		bo, errs := Build(typ, "", oldOpts)
		if errs != nil {
			t.Fatalf("%s, old names: %v", typ, errs)
		}
		bn, errs := Build(typ, "", newOpts)
		if errs != nil {
			t.Fatalf("%s, new names: %v", typ, errs)
		}
		var got, want SegmentConfig
		switch typ {
		case "psd":
			got, want = bo.(*PSD).cfg.SegmentConfig, bn.(*PSD).cfg.SegmentConfig
		case "coherence":
			got, want = bo.(*Coherence).cfg.SegmentConfig, bn.(*Coherence).cfg.SegmentConfig
		}
		if !reflect.DeepEqual(got, want) || got.SegmentLen != 100 || got.NFFT != 128 || *got.Overlap != 10 {
			t.Errorf("%s: old names give %+v, new names %+v", typ, got, want)
		}
		if r := RenamedKeys(typ, oldOpts); !reflect.DeepEqual(r, segmentRenames) {
			t.Errorf("%s: RenamedKeys %v", typ, r)
		}
		if r := RenamedKeys(typ, newOpts); r != nil {
			t.Errorf("%s: RenamedKeys of the new names %v", typ, r)
		}
		if _, ok := oldOpts["nperseg"]; !ok || len(oldOpts) != 4 {
			t.Fatalf("Build changed its options: %v", oldOpts)
		}

		_, errs = Build(typ, "", map[string]any{"nperseg": 64, "n_per_seg": 128, "noverlap": 8})
		if len(errs) != 1 || errs[0].Error() != "n_per_seg: also given as nperseg, its deprecated name: keep n_per_seg only" {
			t.Errorf("%s, both names: %v", typ, errs)
		}
	}
	// Other stages never had these options.
	if r := RenamedKeys("xcorr", oldOpts); r != nil {
		t.Errorf("xcorr: %v", r)
	}
	if _, errs := Build("xcorr", "", map[string]any{"reference": "O1", "nperseg": 3}); errs == nil || !strings.Contains(errs[0].Error(), "nperseg") {
		t.Errorf("xcorr with nperseg: %v", errs)
	}
}
