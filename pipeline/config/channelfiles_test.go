package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats/formatstest"
)

// malowLabels are the Malow record's channels (SOURCES.md §2).
var malowLabels = []string{"Fp1", "Fp2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2",
	"SP1", "SP2", "F7", "F8", "T3", "T4", "T5", "T6", "Fz", "Cz", "Pz"}

// TestChannelFiles: with source.files.channel_files the Malow record, a
// folder of 21 one-channel text files beside a README, is one 500 s
// recording of 21 channels named by source.files.channel_labels; without
// it the folder cannot be read as a whole.
func TestChannelFiles(t *testing.T) {
	dir := filepath.Join(formatstest.DataDir(t), "malow-seizure-eeg")
	c := Default()
	c.Source.Files = Files{Paths: []string{dir}, SampleRate: 100, Unit: "uV", ChannelFiles: "ch*.inp", ChannelLabels: malowLabels}
	specs, err := c.Recordings()
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 1 || specs[0].Session != "malow-seizure-eeg" {
		t.Fatalf("sessions %+v, want one named malow-seizure-eeg", specs)
	}
	rec, err := specs[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	info := rec.Info()
	if len(info.Channels) != 21 || info.NSamples != 50000 || info.SampleRate != 100 || info.Channels[20].Label != "Pz" {
		t.Errorf("%d channels (last %q), %d samples at %v Hz", len(info.Channels), info.Channels[len(info.Channels)-1].Label, info.NSamples, info.SampleRate)
	}

	// Errors: a bad pattern, no rate, a folder without such files.
	bad := Default()
	bad.Source.Files = Files{Paths: []string{dir}, Unit: "uV", ChannelFiles: "ch[*.inp"}
	bad.Source.Simulate.Sessions = 0
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "source.files.channel_files: want a file-name pattern") {
		t.Errorf("bad pattern: %v", err)
	}
	bad.Source.Files.ChannelFiles = "ch*.inp"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "source.files.sample_rate: required for recordings of plain-text channel files") {
		t.Errorf("no rate: %v", err)
	}
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "README.txt"), []byte("x\n"), 0o644)
	if _, err := (Files{Paths: []string{empty}, SampleRate: 1, ChannelFiles: "ch*.inp"}).Recordings(SessionIDs{}); err == nil || !strings.Contains(err.Error(), `no folder here holds channel files matching "ch*.inp"`) {
		t.Errorf("no channel files: %v", err)
	}
}
