package brainvision

import (
	"fmt"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// TestAllocBoundedByFileSize opens and streams recordings whose headers
// claim huge counts, rates and lengths, and checks that the reader
// allocates in proportion to the files, not to what the header says.
func TestAllocBoundedByFileSize(t *testing.T) {
	replace := func(orient Orientation, pairs ...string) synth {
		s := newSynth(t, "INT_16", orient, 50)
		s.vhdr = strings.NewReplacer(pairs...).Replace(s.vhdr)
		return s
	}
	many := newSynth(t, "INT_16", Multiplexed, 3)
	var chans strings.Builder
	for c := 1; c <= 3000; c++ {
		fmt.Fprintf(&chans, "Ch%d=E%d,,0.1,µV\n", c, c)
	}
	many.vhdr = strings.NewReplacer("NumberOfChannels=4", "NumberOfChannels=3000",
		"Ch1=Fp1,,0.5,µV\nCh2=HEOGL,,1,nV\nCh3=GSR,,2,µS\nCh4=Temp\\1x,,0.25,C\n", chans.String()).Replace(many.vhdr)
	cases := []struct {
		name string
		s    synth
	}{
		{"huge channel count", replace(Multiplexed, "NumberOfChannels=4", "NumberOfChannels=999999999")},
		{"many channels, few samples", many},
		{"huge DataPoints, vectorized", replace(Vectorized, "NumberOfChannels=4", "NumberOfChannels=4\nDataPoints=999999999999")},
		{"huge DataPoints, multiplexed", replace(Multiplexed, "NumberOfChannels=4", "NumberOfChannels=4\nDataPoints=999999999999")},
		{"tiny sampling interval", replace(Multiplexed, "SamplingInterval=2000", "SamplingInterval=1e-300")},
		{"huge marker position and size", func() synth {
			s := newSynth(t, "INT_16", Multiplexed, 50)
			s.vmrk += "Mk6=Stimulus,S  9,999999999999999,999999999999999,0\r\n"
			return s
		}()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.s.write(t, t.TempDir(), "s")
			size := int64(len(c.s.vhdr) + len(c.s.vmrk) + len(c.s.eeg))
			used := formatstest.CheckAllocs(t, size, func() (formats.Recording, error) { return Open(p) })
			t.Logf("%d bytes: %d allocated", size, used)
		})
	}
}
