package config

import (
	"errors"
	"strings"
	"testing"
)

// TestReport: what config validate prints, and the error it exits with,
// for a valid file, one with a deprecated key, one with problems found by
// Load and by Validate, and one Load could not read.
func TestReport(t *testing.T) {
	for _, tc := range []struct {
		yaml, out, err string
	}{
		{valid, "p.yaml: ok\n", ""},
		{simOK + windowOK + outOK + "stages: [{type: psd, nfft: 512}]\n",
			"p.yaml: warning: stages[0].nfft: deprecated name, accepted in this version only: the psd stage's option is stages[0].n_fft now, as MNE names it\np.yaml: ok\n", ""},
		{"workers: 0\nnon_finite: drop\n" + simOK + windowOK + psdOK + outOK,
			"p.yaml: workers: want at least 1, got 0\np.yaml: non_finite: want reject or allow, got \"drop\"\n", "p.yaml: 2 errors"},
		{"workers: many\n", "p.yaml: workers: want an integer, got \"many\"\n", "p.yaml: 1 errors"},
	} {
		var b strings.Builder
		c, err := loadText(tc.yaml)
		err = Report(&b, "p.yaml", c, err)
		if b.String() != tc.out || (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("%s: printed\n%s, returned %v; want\n%s, %q", tc.yaml, b.String(), err, tc.out, tc.err)
		}
	}
	notFound := errors.New("config p.yaml: open p.yaml: no such file")
	var b strings.Builder
	if err := Report(&b, "p.yaml", nil, notFound); err != notFound || b.Len() != 0 {
		t.Errorf("Load's own error: printed %q, returned %v", b.String(), err)
	}
}
