package open

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats"
)

// fakeRecording holds its samples in memory: channel c's sample i is
// c + i/4.
type fakeRecording struct {
	info   formats.Info
	reads  int
	closed bool
}

func (f *fakeRecording) Info() *formats.Info { return &f.info }
func (f *fakeRecording) Close() error        { f.closed = true; return nil }
func (f *fakeRecording) ReadSamples(dst [][]float64, start, stop int64) error {
	if err := formats.CheckRange(&f.info, dst, start, stop); err != nil {
		return err
	}
	f.reads++
	for c := range dst {
		for i := range dst[c] {
			dst[c][i] = float64(c) + float64(start+int64(i))/4
		}
	}
	return nil
}

func newFake(n int64, anns int) *fakeRecording {
	f := &fakeRecording{info: formats.Info{
		Format:     "EDF+C",
		SampleRate: 4,
		NSamples:   n,
		StartTime:  time.Date(2024, 3, 1, 12, 30, 5, 250e6, time.FixedZone("CET", 3600)),
		Channels: []formats.Channel{
			{Label: "Fp1", Type: formats.EEG, Unit: "V", SampleRate: 4},
			{Label: `MEG "0113", x`, Type: formats.MEGMag, Unit: "T", SampleRate: 4, Pos: &[3]float64{0.01, -0.02, 0.125}},
		},
	}}
	for i := range anns {
		d := "stim"
		if i%3 == 0 {
			d = "seizure\tonset\nhere"
		}
		f.info.Annotations = append(f.info.Annotations, formats.Annotation{Onset: float64(i) / 8, Duration: 0.5, Description: d})
	}
	return f
}

func TestInspectionWrite(t *testing.T) {
	var b strings.Builder
	in := &Inspection{Path: "rec.edf", Recording: newFake(10, 22)}
	if err := in.Write(&b); err != nil {
		t.Fatal(err)
	}
	want := `file:        rec.edf
format:      EDF+C
channels:    2
sample rate: 4 Hz
samples:     10
duration:    2.500 s
start:       2024-03-01T11:30:05.25Z
annotations: 22

#  label          type     unit  rate Hz  position (m)
0  Fp1            eeg      V     4        -
1  MEG "0113", x  meg_mag  T     4        0.0100,-0.0200,0.1250

annotation counts:
       8  seizure	onset
here
      14  stim

annotations (onset s, duration s, description):
`
	for i := range 20 {
		d := "stim"
		if i%3 == 0 {
			d = "seizure\tonset\nhere"
		}
		want += fmt.Sprintf("  %10.3f  %8.3f  %s\n", float64(i)/8, 0.5, d)
	}
	want += "  … 2 more (--annotations lists all)\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	b.Reset()
	in = &Inspection{Path: "quiet.edf", Recording: newFake(0, 0)}
	in.Recording.Info().StartTime = time.Time{}
	in.Write(&b)
	if got := b.String(); strings.Contains(got, "start:") || strings.Contains(got, "annotation counts") || !strings.HasSuffix(got, "0.1250\n") {
		t.Errorf("without start or annotations:\n%s", got)
	}
}

func TestInspectionWriteAnnotations(t *testing.T) {
	var b strings.Builder
	in := &Inspection{Recording: newFake(10, 2)}
	if err := in.WriteAnnotations(&b); err != nil {
		t.Fatal(err)
	}
	if want := "onset\tduration\tdescription\n0\t0.5\tseizure onset here\n0.125\t0.5\tstim\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestInspectionWriteCSV(t *testing.T) {
	const n = 2*csvBlock + 3 // three reads, the last short
	rec := newFake(n, 0)
	in := &Inspection{Recording: rec}
	path := filepath.Join(t.TempDir(), "s.csv")
	if err := in.WriteCSVFile(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != n+1 || lines[0] != `Fp1,"MEG ""0113"", x"` || lines[1] != "0,1" || lines[2] != "0.25,1.25" || lines[n] != "2048.5,2049.5" {
		t.Errorf("%d lines; header %q, rows %q %q … %q", len(lines), lines[0], lines[1], lines[2], lines[len(lines)-1])
	}
	if rec.reads != 3 {
		t.Errorf("%d reads, want 3 blocks", rec.reads)
	}
	if err := in.WriteCSVFile(filepath.Join(t.TempDir(), "no", "such", "dir.csv")); err == nil {
		t.Error("writing into a missing folder succeeded")
	}
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.txt")
	os.WriteFile(p, []byte("1\n2\n3\n"), 0o644)
	if _, err := Inspect(p, Options{}); err == nil || !strings.Contains(err.Error(), "Options.SampleRate") {
		t.Errorf("text file without a rate: %v", err)
	}
	opt := Options{}
	opt.Text.SampleRate = 10
	in, err := Inspect(p, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if in.Path != p || in.Recording.Info().NSamples != 3 {
		t.Errorf("path %q, %d samples", in.Path, in.Recording.Info().NSamples)
	}
}
