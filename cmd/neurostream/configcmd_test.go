package main

import (
	"context"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/internal/cli"
)

// TestConfigDeprecatedKeys: a stage option under its old scipy name
// (nperseg) is a warning from config validate naming the file, the key
// and its new name, the file stays valid, and run logs the warning once;
// the old and the new name together are an error naming both.
func TestConfigDeprecatedKeys(t *testing.T) {
	const sim = "window: {length_seconds: 2, hop_seconds: 1}\nsource: {simulate: {sessions: 1, duration: 4}}\n"
	f := writeYAML(t, sim+"stages: [{type: psd, nperseg: 128, noverlap: 64}]")
	out, errOut, code := cliCode(t, context.Background(), "config", "validate", f)
	want := f + ": warning: stages[0].nperseg: deprecated name, accepted in this version only: the psd stage's option is stages[0].n_per_seg now, as MNE names it\n" +
		f + ": warning: stages[0].noverlap: deprecated name, accepted in this version only: the psd stage's option is stages[0].n_overlap now, as MNE names it\n" +
		f + ": ok\n"
	if code != 0 || out != want {
		t.Errorf("validate: exit %d\n%s%s\nwant\n%s", code, out, errOut, want)
	}

	out, errOut, code = cliCode(t, context.Background(), "run", "-c", f)
	if code != 0 {
		t.Fatalf("run: exit %d\n%s%s", code, out, errOut)
	}
	if n := strings.Count(errOut, "deprecated configuration key"); n != 2 || !strings.Contains(errOut, "key=stages[0].nperseg use=stages[0].n_per_seg") || !strings.Contains(errOut, "file="+f) {
		t.Errorf("run logged %d deprecation warnings:\n%s", n, errOut)
	}

	both := writeYAML(t, sim+"stages: [{type: psd, nperseg: 128, n_per_seg: 256}]")
	out, _, code = cliCode(t, context.Background(), "config", "validate", both)
	if code != cli.ExitUsage || !strings.Contains(out, both+": stages[0].n_per_seg: also given as nperseg, its deprecated name: keep n_per_seg only\n") {
		t.Errorf("both names: exit %d\n%s", code, out)
	}
}
