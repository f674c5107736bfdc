package brainvision

import (
	"bytes"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats/formatstest"
)

// Damaged copies of the shared recordings: each reads with a warning
// saying what was done, or fails naming the field, never silently wrong.
var (
	// Multiplexed INT_16, 32 channels (64-byte samples), 7900 samples at
	// 1000 Hz, 13 markers after the New Segment, up to sample 7700.
	multiplexed = []string{"format-samples/brainvision/test.vhdr", "format-samples/brainvision/test.vmrk", "format-samples/brainvision/test.eeg"}
	// Vectorized IEEE_FLOAT_32, 29 channels, no DataPoints.
	vectorized = []string{"format-samples/brainvision/test_old_layout_latin1_software_filter.vhdr",
		"format-samples/brainvision/test_old_layout_latin1_software_filter.vmrk",
		"format-samples/brainvision/test_old_layout_latin1_software_filter.eeg"}
)

// edits applies f to the file of the given extension.
func edits(ext string, f func([]byte) []byte) func(string, []byte) []byte {
	return func(name string, b []byte) []byte {
		if strings.HasSuffix(name, ext) {
			return f(b)
		}
		return b
	}
}

// both chains two edits.
func both(a, b func(string, []byte) []byte) func(string, []byte) []byte {
	return func(name string, x []byte) []byte { return b(name, a(name, x)) }
}

func TestTruncatedMultiplexed(t *testing.T) {
	sound := formatstest.Damage(t, edits("", func(b []byte) []byte { return b }), multiplexed...)
	r, err := Open(sound[0])
	if err != nil {
		t.Fatal(err)
	}
	want := formatstest.ReadAll(t, r)
	if len(r.Info().Warnings) != 0 {
		t.Errorf("sound file warns: %q", r.Info().Warnings)
	}
	r.Close()
	cases := []struct {
		name     string
		edit     func(string, []byte) []byte
		n        int64
		warnings [][]string
	}{
		// 1.58 s of 7.9 s, cut between samples: only the markers tell.
		{"cut between samples", edits(".eeg", func(b []byte) []byte { return b[:1580*64] }), 1580, [][]string{
			{"test.eeg: data: ends at 1.58 s, but 11 markers lie after it (the last at 7.699 s) and are dropped: the file may be truncated"}}},
		{"cut within a sample", edits(".eeg", func(b []byte) []byte { return b[:1580*64+10] }), 1580, [][]string{
			{"test.eeg: data: the file ends with 10 of a sample's 64 bytes (all channels): it is truncated; reading the 1580 whole samples (1.58 s)"},
			{"but 11 markers lie after it"}}},
		// MNE ignores DataPoints for multiplexed files; it is a second
		// witness.
		{"cut, with DataPoints", both(edits(".eeg", func(b []byte) []byte { return b[:1580*64] }),
			edits(".vhdr", func(b []byte) []byte {
				return bytes.Replace(b, []byte("NumberOfChannels=32"), []byte("NumberOfChannels=32\nDataPoints=7900"), 1)
			})), 1580, [][]string{
			{"test.eeg: DataPoints: the header says 7900 samples (7.9 s), the data file holds 1580 (1.58 s); reading 1580, as MNE does"},
			{"but 11 markers lie after it"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := formatstest.Damage(t, c.edit, multiplexed...)
			r, err := Open(p[0])
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			info := r.Info()
			if info.NSamples != c.n {
				t.Errorf("%d samples, want %d", info.NSamples, c.n)
			}
			for _, w := range c.warnings {
				formatstest.HasWarning(t, info, w...)
			}
			if len(info.Warnings) != len(c.warnings) {
				t.Errorf("warnings %q, want %d", info.Warnings, len(c.warnings))
			}
			got := formatstest.ReadAll(t, r)
			for ch := range got {
				for i, v := range got[ch] {
					if v != want[ch][i] {
						t.Fatalf("channel %d sample %d = %v, the whole file has %v", ch, i, v, want[ch][i])
					}
				}
			}
		})
	}
}

// TestTruncatedVectorized: in a vectorized file the sample count places
// every channel, so a count the file cannot honour is an error.
func TestTruncatedVectorized(t *testing.T) {
	const frame = 29 * 4
	cases := []struct {
		name, msg string
		edit      func(string, []byte) []byte
	}{
		{"cut, no DataPoints", "without DataPoints where each channel starts is unknown",
			edits(".eeg", func(b []byte) []byte { return b[:len(b)-10] })},
		{"cut, with DataPoints", "DataPoints=251 of 29 vectorized channels need 29116 bytes, the file has 29000: it is truncated",
			both(edits(".eeg", func(b []byte) []byte { return b[:len(b)-frame] }),
				edits(".vhdr", func(b []byte) []byte {
					return bytes.Replace(b, []byte("NumberOfChannels=29"), []byte("NumberOfChannels=29\nDataPoints=251"), 1)
				}))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := formatstest.Damage(t, c.edit, vectorized...)
			r, err := Open(p[0])
			if err == nil {
				r.Close()
				t.Fatalf("opened: %d samples, warnings %q", r.Info().NSamples, r.Info().Warnings)
			}
			fe := formatstest.AsError(t, err)
			if fe.File != p[2] || fe.Field != "data" || !strings.Contains(fe.Msg, c.msg) {
				t.Errorf("error %q, want file %s, field data, message with %q", err, p[2], c.msg)
			}
		})
	}
}
