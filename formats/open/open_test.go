package open

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
	"github.com/neurostream/neurostream/formats/reject"
	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/formats/xdf"
)

// textOptions are what the shared text recordings need (SOURCES.md): Bonn
// at 173.61 Hz, Malow at 100 Hz, the YASA excerpts at the rate in their
// names, the Muse CSVs with their time and marker columns; all µV.
func textOptions(rel string) Options {
	var o Options
	switch {
	case strings.HasPrefix(rel, "bonn-epilepsy/"):
		o.Text.SampleRate = 173.61
	case strings.HasPrefix(rel, "malow-seizure-eeg/"):
		o.Text.SampleRate = 100
	case strings.Contains(rel, "_200Hz"):
		o.Text.SampleRate = 200
	case strings.Contains(rel, "_100Hz"):
		o.Text.SampleRate = 100
	}
	return o
}

// TestEveryRecording opens every recording under shared/data through File
// and compares it with its MNE (or numpy, for text) golden file: names,
// types, units, rate, length, annotations and values to 1e-6 relative.
func TestEveryRecording(t *testing.T) {
	data := formatstest.DataDir(t)
	n := 0
	for _, e := range formatstest.Index(t) {
		if e.Reader == "mne.read_events" {
			continue
		}
		t.Run(e.Source, func(t *testing.T) {
			g := formatstest.Load(t, e.Golden)
			opt := textOptions(e.Source)
			if strings.HasSuffix(e.Source, ".csv") {
				// Every column is a channel, as numpy reads it; the
				// rate comes from a fixed value here.
				opt.Text.SampleRate = 256
			}
			rec, err := File(filepath.Join(data, e.Source), opt)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Close()
			// The shared recordings are sound: a warning on one is a
			// false alarm users would learn to ignore.
			if w := rec.Info().Warnings; len(w) > 0 {
				t.Errorf("warnings on a sound recording: %q", w)
			}
			switch {
			case g.Error != "":
				// MNE refuses it (the annotation-only hypnogram); we
				// read its annotations.
				if rec.Info().NSamples != 0 {
					t.Errorf("%d samples in a file MNE finds empty", rec.Info().NSamples)
				}
				formatstest.CheckAnnotations(t, rec.Info().Annotations, g)
			case strings.HasPrefix(g.Reader, "numpy"):
				// Golden text values are the file's numbers, read
				// here as µV.
				formatstest.Check(t, rec, g, formatstest.Options{Scale: 1e-6, SkipTypes: true, SkipAnnotations: true})
			case strings.HasSuffix(e.Source, "_raw.fif") && hasEvents(filepath.Join(data, e.Source)):
				// File adds the sibling -eve.fif events, which MNE's
				// read_raw_fif does not; TestFIFEvents checks them.
				formatstest.Check(t, rec, g, formatstest.Options{SkipAnnotations: true})
			default:
				formatstest.Check(t, rec, g, formatstest.Options{ChunkLen: 4093})
			}
			n++
		})
	}
	if n < 480 {
		t.Errorf("only %d recordings checked", n)
	}
}

func hasEvents(raw string) bool {
	_, err := os.Stat(strings.TrimSuffix(raw, "_raw.fif") + "-eve.fif")
	return err == nil
}

// TestFIFEvents: a raw FIF opened through File carries the events of its
// -eve.fif as annotations at (sample - first_samp) / sfreq.
func TestFIFEvents(t *testing.T) {
	data := formatstest.DataDir(t)
	checked := 0
	for _, e := range formatstest.Index(t, "mne.read_events") {
		g := formatstest.Load(t, e.Golden)
		raw := filepath.Join(data, strings.TrimSuffix(e.Source, "-eve.fif")+"_raw.fif")
		rec, err := File(raw, Options{})
		if err != nil {
			t.Fatal(err)
		}
		info := rec.Info()
		got := map[string]int{}
		for _, a := range info.Annotations {
			got[a.Description]++
		}
		want := map[string]int{}
		for _, ev := range g.Events {
			want[formatCode(ev[2])]++
			onset := float64(ev[0]-g.FirstSamp) / info.SampleRate
			found := false
			for _, a := range info.Annotations {
				if a.Description == formatCode(ev[2]) && abs(a.Onset-onset) < 1e-9 {
					found = true
				}
			}
			if !found {
				t.Errorf("%s: event %v not an annotation at %v s", e.Source, ev, onset)
			}
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %d annotations %q, events file has %d", e.Source, got[k], k, v)
			}
		}
		rec.Close()
		checked++
	}
	if checked == 0 {
		t.Error("no events file checked")
	}
}

func formatCode(c int64) string { return strconv.FormatInt(c, 10) }

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// TestRejected: KIT and MAT files get an error naming the format; unknown
// files and events files get an error naming the file.
func TestRejected(t *testing.T) {
	data := formatstest.DataDir(t)
	for _, rel := range []string{
		"format-samples/meg/MQKIT_125_2sec.con",
		"format-samples/mat/fieldtrip_CNT_epoched_v7.mat",
		"format-samples/mat/fieldtrip_CNT_epoched_v73.mat",
	} {
		_, err := File(filepath.Join(data, rel), Options{})
		if !errors.Is(err, reject.ErrUnsupported) {
			t.Errorf("%s: error %v, want ErrUnsupported", rel, err)
		}
		var fe *formats.Error
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), filepath.Base(rel)) {
			t.Errorf("%s: error %v does not name the file", rel, err)
		}
	}
	_, err := File(filepath.Join(data, "ssvep-exoskeleton/subject01/record-[2012.07.06-19.02.16]-eve.fif"), Options{})
	if err == nil || !strings.Contains(err.Error(), "events file") {
		t.Errorf("events file: %v", err)
	}
}

func TestDetect(t *testing.T) {
	for path, want := range map[string]Kind{
		"a.EDF": KindEDF, "a.bdf": KindEDF, "x.vhdr": KindBrainVision, "x.vmrk": KindUnknown,
		"r_raw.fif": KindFIF, "r-eve.fif": KindFIFEvents, "s.gdf": KindGDF, "Z001.TXT": KindText,
		"m.csv": KindText, "c.inp": KindText, "k.con": KindRejected, "f.mat": KindRejected,
		"session.XDF": KindXDF, "a_events.tsv": KindSidecar, "sub-01_ses-01_task-x_run-00_events.tsv": KindSidecar,
		"sub-01_channels.tsv": KindSidecar, "participants.tsv": KindSidecar, "events.tsv": KindText,
	} {
		if got := Detect(path); got != want {
			t.Errorf("Detect(%q) = %q, want %q", path, got, want)
		}
	}
	// Sniffing by content: an EDF with an unusual extension.
	dir := t.TempDir()
	p := filepath.Join(dir, "recording.dat")
	os.WriteFile(p, []byte("0       rest of a header"), 0o644)
	if Detect(p) != KindEDF {
		t.Errorf("EDF magic not recognised")
	}
	p = filepath.Join(dir, "lab.rec1")
	os.WriteFile(p, []byte("XDF:\x01\x02\x01\x00"), 0o644)
	if Detect(p) != KindXDF {
		t.Errorf("XDF magic not recognised")
	}
}

// TestXDF: XDF files open through File with their options, and count as
// recordings in a folder.
func TestXDF(t *testing.T) {
	dir := filepath.Join(formatstest.DataDir(t), "xdf-example-files")
	rec, err := File(filepath.Join(dir, "clock_resets.xdf"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := rec.Info()
	if info.Format != "XDF 1.0" || len(info.Channels) != 8 || info.NSamples != 27815 || len(info.Annotations) != 175 {
		t.Errorf("%s: %d channels, %d samples, %d annotations", info.Format, len(info.Channels), info.NSamples, len(info.Annotations))
	}
	rec.Close()
	_, err = File(filepath.Join(dir, "clock_resets.xdf"), Options{XDF: xdf.Options{Markers: []string{"Keyboard"}}})
	if err == nil || !strings.Contains(err.Error(), `no marker stream named or typed "Keyboard"`) {
		t.Errorf("XDF options not passed on: %v", err)
	}
	files, err := Recordings(dir)
	if err != nil || len(files) != 3 {
		t.Errorf("Recordings(%s) = %q, %v; want the 3 XDF files", dir, files, err)
	}
}

// TestRecordingsSkipsSidecars: a folder holding recordings and their
// documented SzCORE <name>_events.tsv files lists the recordings only.
func TestRecordingsSkipsSidecars(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.txt", "a_events.tsv", "b_eeg.csv", "b_events.tsv", "participants.tsv"} {
		formatstest.WriteFile(t, dir, name, []byte("onset\tduration\n1\t2\n"))
	}
	files, err := Recordings(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.Join(dir, "a.txt"), filepath.Join(dir, "b_eeg.csv")}
	if strings.Join(files, ",") != strings.Join(want, ",") {
		t.Errorf("Recordings = %q, want %q", files, want)
	}
	if _, err := File(filepath.Join(dir, "a_events.tsv"), Options{}); err == nil || !strings.Contains(err.Error(), "sidecar") {
		t.Errorf("File(events TSV): %v", err)
	}
}

// writeChannelFiles writes folder dir holding one plain-text file per
// channel (ch1.txt … chN.txt, samples values each, channel c's value at
// sample i is 100·c + i) and a README.txt that is not a channel.
func writeChannelFiles(t *testing.T, dir string, channels, samples int) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for c := 1; c <= channels; c++ {
		var b strings.Builder
		for i := range samples {
			fmt.Fprintf(&b, "%d\n", 100*c+i)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("ch%d.txt", c)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a channel\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestChannelFiles: with Options.ChannelFiles, Find gives each folder
// holding channel files (nested ones too, a file path as itself), and
// File opens such a folder as one recording of those files' channels in
// name order, the README left out; without matching files, or with a bad
// pattern, each says so.
func TestChannelFiles(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "x", "b")
	writeChannelFiles(t, a, 3, 50)
	writeChannelFiles(t, b, 2, 40)
	if err := os.MkdirAll(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	opt := Options{ChannelFiles: "ch*.txt", Text: text.Options{SampleRate: 10, Labels: []string{"Fp1", "Fp2", "Cz"}}}
	got, err := Find(root, opt)
	if err != nil || !slices.Equal(got, []string{a, b}) {
		t.Fatalf("Find(root) = %q, %v; want %q", got, err, []string{a, b})
	}
	if got, err := Find(filepath.Join(a, "ch1.txt"), opt); err != nil || len(got) != 1 || got[0] != filepath.Join(a, "ch1.txt") {
		t.Errorf("Find(file) = %q, %v; want the file", got, err)
	}
	rec, err := File(a, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	info := rec.Info()
	var labels []string
	for _, ch := range info.Channels {
		labels = append(labels, ch.Label)
	}
	if !slices.Equal(labels, opt.Text.Labels) || info.NSamples != 50 || info.SampleRate != 10 {
		t.Errorf("folder a: channels %q, %d samples at %g Hz; want %q, 50 at 10 Hz", labels, info.NSamples, info.SampleRate, opt.Text.Labels)
	}
	x, err := formats.ReadAll(rec)
	if err != nil {
		t.Fatal(err)
	}
	if v := x[2][7] / 1e-6; math.Abs(v-307) > 1e-9 { // µV by default
		t.Errorf("channel 3 sample 7 = %g µV, want 307", v)
	}
	if _, err := Find(filepath.Join(root, "empty"), opt); err == nil || !strings.Contains(err.Error(), `no folder here holds channel files matching "ch*.txt"`) {
		t.Errorf("Find(empty): %v", err)
	}
	if _, err := File(filepath.Join(root, "empty"), opt); err == nil || !strings.Contains(err.Error(), `no channel files matching "ch*.txt" in this folder`) {
		t.Errorf("File(empty): %v", err)
	}
	if _, err := Find(root, Options{ChannelFiles: "ch[*.txt"}); err == nil || !strings.Contains(err.Error(), `channel files "ch[*.txt"`) {
		t.Errorf("bad pattern: %v", err)
	}
	if _, err := File(a, Options{}); err == nil {
		t.Error("a folder without ChannelFiles opened")
	}
}
