package stages

import (
	"fmt"
	"maps"
)

// RenamedKey is a stage option that took MNE's name: Old is the name it
// had (scipy's), New the name it has. Build still accepts Old for one
// version, as New; giving both is an error.
type RenamedKey struct {
	Old, New string
}

// segmentRenames are SegmentConfig's keys, spelled as
// mne.time_frequency.psd_array_welch spells them since the stages took
// MNE's vocabulary; they were scipy.signal.welch's.
var segmentRenames = []RenamedKey{
	{Old: "nperseg", New: "n_per_seg"},
	{Old: "noverlap", New: "n_overlap"},
	{Old: "nfft", New: "n_fft"},
}

// renamedKeys lists each stage type's renamed options.
var renamedKeys = map[string][]RenamedKey{
	"psd":       segmentRenames,
	"coherence": segmentRenames,
}

// RenamedKeys returns the options of a stage of type typ that opts gives
// under their old names, in a fixed order, so that a configuration can
// warn about each.
func RenamedKeys(typ string, opts map[string]any) []RenamedKey {
	var out []RenamedKey
	for _, r := range renamedKeys[typ] {
		if _, ok := opts[r.Old]; ok {
			out = append(out, r)
		}
	}
	return out
}

// withNewNames returns opts with every old name of typ's renamed options
// replaced by the new one (a copy: opts is not changed), and an error
// naming both keys for each option given under both names.
func withNewNames(typ string, opts map[string]any) (map[string]any, []error) {
	old := RenamedKeys(typ, opts)
	if len(old) == 0 {
		return opts, nil
	}
	out := maps.Clone(opts)
	var errs []error
	for _, r := range old {
		if _, ok := opts[r.New]; ok {
			errs = append(errs, fmt.Errorf("%s: also given as %s, its deprecated name: keep %s only", r.New, r.Old, r.New))
			continue
		}
		out[r.New] = out[r.Old]
		delete(out, r.Old)
	}
	return out, errs
}
