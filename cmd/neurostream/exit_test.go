package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/neurostream/neurostream/internal/buildinfo"
	"github.com/neurostream/neurostream/internal/cli"
	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/pipeline/arrowout"
	"github.com/neurostream/neurostream/pipeline/config"
)

// cliCode runs the neurostream command in-process under ctx, as main
// does, and returns stdout, stderr and the exit code main would use.
func cliCode(t *testing.T, ctx context.Context, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	root := newRoot()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintln(&errb, "neurostream:", err)
	}
	return out.String(), errb.String(), cli.ExitCode(err)
}

// writeYAML writes a pipeline file into a temporary folder whose out/
// receives the results, and returns its path.
func writeYAML(t *testing.T, body string) string {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "p.yaml")
	body += "\noutput: {dir: " + filepath.Join(dir, "out") + "}\n"
	if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// bonnText is a single-channel plain-text recording, which needs a rate.
func bonnText(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Z001.txt")
	var b strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&b, "%d\n", (i*37)%101-50)
	}
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRunExitCodes: a run that did not process all of its input exits
// non-zero with the documented code and says why once; repeated dead
// letters are counted per session and reason, not logged per chunk.
func TestRunExitCodes(t *testing.T) {
	ctx := context.Background()
	const sim = "window: {length_seconds: 2, hop_seconds: 1}\nsource: {simulate: {sessions: 1, duration: 30}"
	// A folder is listed when the run starts, and its plain-text file,
	// with no rate, skipped then (a file named in paths fails validation).
	text := filepath.Dir(bonnText(t))

	t.Run("ok", func(t *testing.T) {
		out, errOut, code := cliCode(t, ctx, "run", "-c", writeYAML(t, sim+"}\nstages: [{type: psd}]"))
		if code != cli.ExitOK {
			t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
		}
	})
	t.Run("every chunk dead-lettered", func(t *testing.T) {
		// A channel the session does not have: every chunk fails to
		// start the session.
		out, errOut, code := cliCode(t, ctx, "run", "-c", writeYAML(t, sim+"}\nstages: [{type: coherence, pairs: [[Nope, O1]]}]"))
		if code != cli.ExitNothing {
			t.Fatalf("exit %d, want %d\n%s\n%s", code, cli.ExitNothing, out, errOut)
		}
		// 30 s in 0.25 s chunks: 120 dead letters, one warning.
		if n := strings.Count(errOut, `msg="dead letter"`); n != 1 {
			t.Errorf("%d dead-letter warnings, want 1 (the first of its session and reason):\n%s", n, errOut)
		}
		if !strings.Contains(errOut, "nothing processed: 120 of 120 chunks dead-lettered (session_start 120)") {
			t.Errorf("no reason given once:\n%s", errOut)
		}
		if !regexpMatch(`(?m)^\s+sim-1\s+session_start\s+120\s+.*chunk 0: session sim-1: stage coherence: .*"Nope"`, out) {
			t.Errorf("summary lacks the per-session, per-reason count with the first error:\n%s", out)
		}
	})
	t.Run("every input skipped", func(t *testing.T) {
		out, errOut, code := cliCode(t, ctx, "run", "-c", writeYAML(t,
			"window: {length_seconds: 2, hop_seconds: 1}\nsource: {files: {paths: ["+text+"]}}\nstages: [{type: psd}]"))
		if code != cli.ExitNothing || !strings.Contains(errOut, "nothing processed: 1 of 1 recordings skipped") {
			t.Fatalf("exit %d, want %d\n%s\n%s", code, cli.ExitNothing, out, errOut)
		}
	})
	t.Run("partial", func(t *testing.T) {
		out, errOut, code := cliCode(t, ctx, "run", "-c", writeYAML(t, sim+", files: {paths: ["+text+"]}}\nstages: [{type: psd}]"))
		if code != cli.ExitPartial || !strings.Contains(errOut, "partly processed: 1 of 2 recordings skipped") {
			t.Fatalf("exit %d, want %d\n%s\n%s", code, cli.ExitPartial, out, errOut)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		// Real time: 30 s of signal, interrupted after a fraction.
		f := writeYAML(t, "window: {length_seconds: 2, hop_seconds: 1}\nsource: {pace: 1, simulate: {sessions: 1, duration: 30}}\nstages: [{type: psd}]")
		ctx, cancel := context.WithCancelCause(ctx)
		time.AfterFunc(500*time.Millisecond, func() { cancel(cli.Interrupted{Sig: syscall.SIGINT}) })
		out, errOut, code := cliCode(t, ctx, "run", "-c", f)
		if code != 130 || !strings.Contains(errOut, "interrupted by SIGINT before the end of the input") {
			t.Fatalf("exit %d, want 130\n%s\n%s", code, out, errOut)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"run"}, {"run", "--bogus"}, {"bogus"}, {"inspect"},
			{"run", "-c", writeYAML(t, sim+"}\nstages: [{type: psd, n_per_seg: -1}]")},
			{"run", "-c", filepath.Join(t.TempDir(), "missing.yaml")}} {
			if _, errOut, code := cliCode(t, ctx, args...); code != cli.ExitUsage {
				t.Errorf("%q: exit %d, want %d\n%s", args, code, cli.ExitUsage, errOut)
			}
		}
		if _, errOut, code := cliCode(t, ctx, "inspect", filepath.Join(t.TempDir(), "missing.edf")); code != cli.ExitFailed {
			t.Errorf("inspect a missing file: exit %d, want %d\n%s", code, cli.ExitFailed, errOut)
		}
	})
}

// TestVersion: --version names the module version and the build's VCS
// revision when the toolchain recorded one.
func TestVersion(t *testing.T) {
	out, errOut, code := cliCode(t, context.Background(), "--version")
	want := "neurostream " + buildinfo.Read().String() + "\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d, printed %q, want %q\n%s", code, out, want, errOut)
	}
	if !strings.Contains(out, runtime.Version()) {
		t.Errorf("version %q lacks the Go version", out)
	}
	bi := buildinfo.Info{Version: "v1.2.3", Revision: "0123456789abcdef0123456789abcdef01234567", Modified: true, Time: "2026-01-02T03:04:05Z", GoVersion: "go1.26.0"}
	if got := bi.String(); got != "v1.2.3 rev 0123456789abcdef0123456789abcdef01234567 (modified) 2026-01-02T03:04:05Z go1.26.0" {
		t.Errorf("String() = %q", got)
	}
}

// TestBuiltinConfigs: builtin: names work in run and config validate, from
// any folder, and an unknown one lists those there are.
func TestBuiltinConfigs(t *testing.T) {
	ctx := context.Background()
	t.Chdir(t.TempDir())
	for _, name := range []string{"demo.yaml", "replay.yaml", "ssvep-speller.yaml"} {
		if out, errOut, code := cliCode(t, ctx, "config", "validate", "builtin:"+name); code != 0 {
			t.Errorf("validate builtin:%s: exit %d\n%s%s", name, code, out, errOut)
		}
	}
	t.Setenv("NEUROSTREAM_OUTPUT_DIR", "demo-out")
	out, errOut, code := cliCode(t, ctx, "run", "-c", "builtin:demo.yaml")
	if code != 0 || !strings.Contains(out, "sim-3") {
		t.Fatalf("run builtin:demo.yaml from a new folder: exit %d\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = cliCode(t, ctx, "config", "validate", "builtin:nope.yaml")
	if code != cli.ExitUsage || !strings.Contains(errOut, "builtin:replay.yaml") {
		t.Errorf("unknown builtin: exit %d\n%s", code, errOut)
	}
}

// TestReplayConfigAnyDataset runs the shipped replay configuration on
// recordings of other rates, channel counts and formats than the one it
// names: it names no channel, so each must run to the end.
func TestReplayConfigAnyDataset(t *testing.T) {
	data := testenv.DataDir(t)
	for _, c := range []struct{ path, rate string }{
		{"eegmmidb-motor-imagery/S001/S001R04.edf", ""},                          // 64 channels, 160 Hz
		{"format-samples/brainvision/test.vhdr", ""},                             // 5 kHz
		{"ssvep-exoskeleton/subject01/record-[2012.07.06-19.06.14]_raw.fif", ""}, // 8 channels, FIF
		{"bonn-epilepsy/Z/Z001.txt", "173.61"},                                   // one channel, plain text
	} {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			out := t.TempDir()
			t.Setenv("NEUROSTREAM_SOURCE_FILES_PATHS", filepath.Join(data, c.path))
			t.Setenv("NEUROSTREAM_SOURCE_FILES_SAMPLE_RATE", c.rate)
			t.Setenv("NEUROSTREAM_OUTPUT_DIR", out)
			stdout, stderr, code := cliCode(t, context.Background(), "run", "-c", "../../configs/replay.yaml")
			if code != 0 {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			for _, r := range readResults(t, out, arrowout.KindBandPower) {
				r.Release()
			}
		})
	}
}

// TestProvenance: every result file's schema says which build, which
// configuration (and its hash), which input and which stage parameters
// made it.
func TestProvenance(t *testing.T) {
	f := writeYAML(t, "window: {length_seconds: 2, hop_seconds: 1}\nsource: {simulate: {sessions: 1, duration: 5, seed: 9}}\nstages: [{type: psd, n_per_seg: 128}]")
	if out, errOut, code := cliCode(t, context.Background(), "run", "-c", f); code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, k := range []arrowout.Kind{arrowout.KindPSD, arrowout.KindBandPower, arrowout.KindSessionEnd} {
		recs := readResults(t, filepath.Join(filepath.Dir(f), "out"), k)
		md := recs[0].Schema().Metadata()
		get := func(key string) string {
			i := md.FindKey(key)
			if i < 0 {
				t.Errorf("%s: no %s in %v", k, key, md)
				return ""
			}
			return md.Values()[i]
		}
		if v := get(config.MetaVersion); v != buildinfo.Read().String() {
			t.Errorf("%s: version %q", k, v)
		}
		cfg := get(config.MetaConfig)
		sum := sha256.Sum256([]byte(cfg))
		if h := get(config.MetaConfigSHA256); h != hex.EncodeToString(sum[:]) || !strings.Contains(cfg, `"n_per_seg":128`) || !strings.Contains(cfg, `"length_seconds":2`) {
			t.Errorf("%s: config %s, hash %s", k, cfg, h)
		}
		if in := get(config.MetaInput); in != "simulate: 1 sessions, seeds 9…9" {
			t.Errorf("%s: input %q", k, in)
		}
		if st := get(config.MetaStages); !strings.Contains(st, `"type":"psd"`) || !strings.Contains(st, `"n_per_seg":128`) {
			t.Errorf("%s: stages %s", k, st)
		}
		if get("neurostream.kind") != string(k) {
			t.Errorf("%s: kind metadata replaced", k)
		}
		for _, r := range recs {
			r.Release()
		}
	}
}

// TestHelpFlagNames: pflag takes a `quoted` word in a flag's usage as its
// value's name; every one must be a single word, not a command line.
func TestHelpFlagNames(t *testing.T) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			if name, _ := pflag.UnquoteUsage(f); strings.ContainsAny(name, " \t") {
				t.Errorf("%s --%s: help shows %q as the value's name: %q", c.CommandPath(), f.Name, name, f.Usage)
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRoot())
}

// TestTextHintsUseFlagNames: a plain-text recording without a rate is
// refused naming what the user types (a flag or a YAML key), not the
// reader's Go field.
func TestTextHintsUseFlagNames(t *testing.T) {
	ctx := context.Background()
	text := bonnText(t)
	check := func(what, got, want string) {
		t.Helper()
		if !strings.Contains(got, want) || strings.Contains(got, "Options.") {
			t.Errorf("%s: want %q and no Go field name:\n%s", what, want, got)
		}
	}
	_, errOut, _ := cliCode(t, ctx, "inspect", text)
	check("inspect", errOut, "--rate is required unless --time-column")
	_, errOut, _ = cliCode(t, ctx, "inspect", "--rate", "-2", text)
	check("inspect --rate -2", errOut, "--rate -2: want a positive rate")
	out, errOut, _ := cliCode(t, ctx, "run", "-c", writeYAML(t, "window: {length_seconds: 2, hop_seconds: 1}\nsource: {files: {paths: ["+filepath.Dir(text)+"]}}\nstages: [{type: psd}]"))
	check("run (folder)", out+errOut, "source.files.sample_rate is required unless source.files.time_column")
	out, _, code := cliCode(t, ctx, "config", "validate", writeYAML(t, "window: {length_seconds: 2, hop_seconds: 1}\nsource: {files: {paths: ["+text+"]}}\nstages: [{type: psd}]"))
	check("config validate", out, "source.files.sample_rate: required for the plain-text recording")
	if code != cli.ExitUsage {
		t.Errorf("config validate: exit %d", code)
	}
	_, errOut, _ = cliCode(t, ctx, "train", "ssvep", "--data", text, "--events", "1=8,2=10", "--length", "2", "--out", filepath.Join(t.TempDir(), "m.json"))
	check("train ssvep", errOut, "--rate: required for the plain-text recording")
	_, errOut, _ = cliCode(t, ctx, "train", "tokenizer", "--data", text, "--out", filepath.Join(t.TempDir(), "v.arrow"))
	check("train tokenizer", errOut, "give its sample rate with --rate")
}

// readFlagUsage is the usage readFlags gives flag name.
func readFlagUsage(name string) string {
	f := pflag.NewFlagSet("", pflag.ContinueOnError)
	readFlags(f, filesTargets(&config.Files{}))
	return f.Lookup(name).Usage
}

// TestTextFlagsSameEverywhere: every command that reads recordings takes
// run's source.files options under the same names and with the same
// meaning: --rate, --unit, --time-column, --marker-column, --channel-files
// and --channel-labels (train tokenizer, tokens report and replay said
// --text-rate and --text-unit, which they still take, deprecated; inspect,
// analyze, replay and the tokenizer commands lacked some of the others).
func TestTextFlagsSameEverywhere(t *testing.T) {
	root := newRoot()
	for _, path := range [][]string{{"inspect"}, {"analyze"}, {"replay"}, {"train", "ssvep"}, {"train", "seizure"},
		{"train", "tokenizer"}, {"tokens", "report"}, {"eval", "ssvep"}, {"eval", "seizure"}} {
		c, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"rate", "unit", "time-column", "marker-column", "channel-files", "channel-labels"} {
			f := c.Flags().Lookup(name)
			if f == nil {
				t.Errorf("%s: no --%s", c.CommandPath(), name)
				continue
			}
			// One meaning everywhere: readFlags binds them all.
			if want := readFlagUsage(name); f.Usage != want {
				t.Errorf("%s --%s: usage %q, want readFlags' %q", c.CommandPath(), name, f.Usage, want)
			}
		}
	}
	for _, path := range [][]string{{"replay"}, {"train", "tokenizer"}, {"tokens", "report"}} {
		c, _, _ := root.Find(path)
		f := c.Flags()
		if old := f.Lookup("text-rate"); old == nil || old.Deprecated == "" {
			t.Errorf("%s: --text-rate missing or not deprecated", c.CommandPath())
			continue
		}
		if err := f.Set("text-rate", "173.61"); err != nil || f.Lookup("rate").Value.String() != "173.61" {
			t.Errorf("%s: --text-rate 173.61 gives --rate %s (%v)", c.CommandPath(), f.Lookup("rate").Value, err)
		}
	}
}

// TestPositiveFlags: a count typed as 0 is refused as a usage error
// naming the flag, rather than read as "the default" by the package.
func TestPositiveFlags(t *testing.T) {
	for _, args := range [][]string{
		{"tokens", "report", "--folds", "0", "--vocab", "v", "--data", "d", "--labels", "folder"},
		{"tokens", "report", "--inner-folds", "-1", "--vocab", "v", "--data", "d", "--labels", "folder"},
	} {
		_, stderr, code := cliCode(t, context.Background(), args...)
		if code != cli.ExitUsage || !strings.Contains(stderr, "--"+strings.TrimPrefix(args[2], "--")+" ") || !strings.Contains(stderr, "must be above 0") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d naming %s", args, code, stderr, cli.ExitUsage, args[2])
		}
	}
}
