package fif

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/neurostream/neurostream/formats/formatstest"
)

// realSeeds adds the first bytes of a few shared recordings when they are
// present; the fuzz targets must run without them.
func realSeeds(f *testing.F, n int, names ...string) {
	for _, name := range names {
		b, err := os.ReadFile(filepath.Join(formatstest.SeedDir(), name))
		if err != nil {
			continue
		}
		f.Add(b[:min(len(b), n)])
	}
}

// FuzzOpen feeds arbitrary bytes to the tag, directory, measurement info
// and raw data parsers: they must return a *formats.Error, never panic,
// and allocate no more than the input's size justifies; whatever opens
// must also read.
func FuzzOpen(f *testing.F) {
	for _, s := range synthFiles() {
		f.Add(s.bytes())
	}
	f.Add(baseFile())
	f.Add(eventFile(1, 0, 1))
	realSeeds(f, 4096, "sleep/yasa-excerpts/data_resting_EO_200Hz_raw.fif", "format-samples/meg/test_elekta_3ch_raw.fif")
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := NewReader(bytes.NewReader(b), int64(len(b)), "fuzz_raw.fif")
		if err != nil {
			formatstest.AsError(t, err)
			return
		}
		info := r.Info()
		if len(info.Channels) == 0 || !(info.SampleRate > 0) || info.NSamples < 0 {
			t.Fatalf("opened with %d channels at %v Hz, %d samples", len(info.Channels), info.SampleRate, info.NSamples)
		}
		for _, c := range info.Channels {
			if !c.Type.Valid() {
				t.Fatalf("channel %q has type %q", c.Label, c.Type)
			}
		}
		// Skips can make a tiny file describe a huge recording: read its
		// two ends only.
		n := min(info.NSamples, 512)
		dst := make([][]float64, len(info.Channels))
		for c := range dst {
			dst[c] = make([]float64, n)
		}
		if err := r.ReadSamples(dst, 0, n); err != nil {
			t.Fatalf("ReadSamples(0, %d): %v", n, err)
		}
		if err := r.ReadSamples(dst, info.NSamples-n, info.NSamples); err != nil {
			t.Fatalf("ReadSamples(%d, %d): %v", info.NSamples-n, info.NSamples, err)
		}
	})
}

// FuzzReadEvents feeds arbitrary bytes to the event file parser.
func FuzzReadEvents(f *testing.F) {
	f.Add(eventFile(10, 0, 1, 20, 1, 0))
	f.Add(eventFile(1, 2))
	f.Add(baseFile())
	realSeeds(f, 1024, "ssvep-exoskeleton/subject01/record-[2012.07.06-19.02.16]-eve.fif")
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := ReadEventsFrom(bytes.NewReader(b), int64(len(b)), "fuzz-eve.fif")
		if err != nil {
			formatstest.AsError(t, err)
			return
		}
		// An event is three values of at least one byte each (an event
		// list of type byte is read, as MNE reads any number type).
		if len(ev) == 0 || len(ev) > len(b)/3 {
			t.Fatalf("%d events from %d bytes", len(ev), len(b))
		}
	})
}
