package fif

import (
	"bytes"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// TestAllocBoundedByFileSize opens and streams files whose tags claim
// huge counts, rates and lengths, and checks that the reader allocates in
// proportion to the file, not to what the tags say.
func TestAllocBoundedByFileSize(t *testing.T) {
	b := baseFile()
	nchan := tagAt(t, b, kindNChan)
	sfreq := tagAt(t, b, kindSFreq)
	buf := tagAt(t, b, kindDataBuffer)
	skips := synth{sfreq: 100, chs: eegChannels(2), parts: []synthBuf{
		{typ: typeFloat, data: ramp(10, 2, 0)}, {skip: 1<<31 - 1}, {typ: typeFloat, data: ramp(10, 2, 0)}}}
	many := synth{sfreq: 100, chs: eegChannels(1), parts: []synthBuf{{typ: typeFloat, data: ramp(1, 1, 0)}}}
	for range 2000 {
		many.parts = append(many.parts, synthBuf{typ: typeShort, data: ramp(1, 1, 0)})
	}
	cases := []struct {
		name string
		b    []byte
	}{
		{"huge channel count", put32(b, nchan+16, 1<<30)},
		{"huge tag size", put32(b, buf+8, 1<<30)},
		{"huge skip", skips.bytes()},
		{"many one-sample buffers", many.bytes()},
		{"tiny rate", put32(b, sfreq+16, 1)},
		{"huge rate", put32(b, sfreq+16, 0x7f7fffff)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			used := formatstest.CheckAllocs(t, int64(len(c.b)), func() (formats.Recording, error) {
				return NewReader(bytes.NewReader(c.b), int64(len(c.b)), "crafted_raw.fif")
			})
			t.Logf("%d bytes: %d allocated", len(c.b), used)
		})
	}
}
