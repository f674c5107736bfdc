package config

import (
	"fmt"
	"log/slog"

	"github.com/neurostream/neurostream/pipeline/stages"
)

// Deprecation is a key given under a name that is being retired: the stage
// options took MNE's names (n_per_seg, n_overlap, n_fft, as
// mne.time_frequency.psd_array_welch) where they had scipy's (nperseg,
// noverlap, nfft). The old name still works, as the new one, for one
// version; giving both is an error (Validate).
type Deprecation struct {
	// Key is the key path as given, e.g. stages[0].nperseg.
	Key string
	// New is the key path to use instead, e.g. stages[0].n_per_seg.
	New string
	// Stage is the type of the stage the key belongs to, e.g. psd.
	Stage string
}

func (d Deprecation) String() string {
	return fmt.Sprintf("%s: deprecated name, accepted in this version only: the %s stage's option is %s now, as MNE names it", d.Key, d.Stage, d.New)
}

// Deprecated lists the keys c gives under deprecated names, in the order
// of the file. `config validate` prints them as warnings; Build logs them.
func (c *Config) Deprecated() []Deprecation {
	var out []Deprecation
	for i, st := range c.Stages {
		for _, r := range stages.RenamedKeys(st.Type, st.Options) {
			at := fmt.Sprintf("stages[%d].", i)
			out = append(out, Deprecation{Key: at + r.Old, New: at + r.New, Stage: st.Type})
		}
	}
	return out
}

// logDeprecated logs a warning for each deprecated key of the file c was
// loaded from: once per run, as Build runs once. A configuration made in
// code has no file to fix; Deprecated lists its keys all the same.
func (c *Config) logDeprecated(logger *slog.Logger) {
	if c.file == "" {
		return
	}
	for _, d := range c.Deprecated() {
		logger.Warn("deprecated configuration key", "file", c.file, "key", d.Key, "use", d.New, "note", "the old name is accepted in this version only")
	}
}
