package recordings

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
)

func TestPickChannels(t *testing.T) {
	info := &formats.Info{Channels: []formats.Channel{
		{Label: "Fz", Type: formats.EEG}, {Label: "EOG", Type: formats.EOG}, {Label: "Cz", Type: formats.EEG}}}
	idx, labels, err := PickChannels(info, nil, "x.edf")
	if err != nil || !slices.Equal(idx, []int{0, 2}) || !slices.Equal(labels, []string{"Fz", "Cz"}) {
		t.Errorf("every EEG channel: %v %v %v", idx, labels, err)
	}
	idx, labels, err = PickChannels(info, []string{"Cz", "EOG"}, "x.edf")
	if err != nil || !slices.Equal(idx, []int{2, 1}) || !slices.Equal(labels, []string{"Cz", "EOG"}) {
		t.Errorf("named: %v %v %v", idx, labels, err)
	}
	if _, _, err := PickChannels(info, []string{"Pz"}, "x.edf"); err == nil || err.Error() != `x.edf: no channel "Pz" (channels: Fz,EOG,Cz)` {
		t.Errorf("missing channel: %v", err)
	}
	noEEG := &formats.Info{Channels: []formats.Channel{{Label: "EOG", Type: formats.EOG}}}
	if _, _, err := PickChannels(noEEG, nil, "x.edf"); err == nil || !strings.Contains(err.Error(), "x.edf: no EEG channels") {
		t.Errorf("no EEG: %v", err)
	}
}

func TestFilesAndOpen(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.edf", "a/c.txt", "notes.md"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, n)), 0o755)
		os.WriteFile(filepath.Join(dir, n), []byte("1\n"), 0o644)
	}
	files, err := Files([]string{filepath.Join(dir, "b.edf"), dir})
	want := []string{filepath.Join(dir, "b.edf"), filepath.Join(dir, "a", "c.txt"), filepath.Join(dir, "b.edf")}
	if err != nil || !slices.Equal(files, want) {
		t.Errorf("files %v, %v; want %v", files, err, want)
	}
	if _, err := Files([]string{filepath.Join(dir, "nope")}); err == nil {
		t.Error("a missing path is no error")
	}
	_, err = Open(filepath.Join(dir, "a", "c.txt"), "seizure training")
	if err == nil || !strings.Contains(err.Error(), "c.txt: a plain-text recording carries no sample rate, and seizure training takes none") {
		t.Errorf("text: %v", err)
	}
}
