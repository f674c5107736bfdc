package edf

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// TestAllocBoundedByFileSize opens and streams files whose headers claim
// huge counts, rates and lengths, and checks that the reader allocates in
// proportion to the file, not to what the header says.
func TestAllocBoundedByFileSize(t *testing.T) {
	noise := func(rec, i int) int32 { return int32((rec*7919 + i*104729) % 20000) }
	slow := func(n, fastN, records int, bdf bool) rawFile {
		// n signals at 1 sample per record beside one at fastN: today's
		// whole-recording upsampling held n × records·fastN floats.
		f := rawFile{records: records, bdf: bdf}
		for c := 0; c < n; c++ {
			f.sigs = append(f.sigs, rawSignal{label: fmt.Sprint("S", c), dim: "uV", n: 1, digital: noise})
		}
		f.sigs = append(f.sigs, rawSignal{label: "Fast", dim: "uV", n: fastN, digital: noise})
		return f
	}
	patch := func(f rawFile, off int, field string) []byte {
		b := f.bytes()
		copy(b[off:], field)
		return b
	}
	one := rawFile{records: 3, sigs: []rawSignal{{label: "A", dim: "uV", n: 100, digital: noise}}}
	cases := []struct {
		name string
		b    []byte
	}{
		{"many lower-rate channels", slow(200, 2000, 16, false).bytes()},
		{"many lower-rate channels, BDF", slow(150, 1500, 12, true).bytes()},
		{"lower-rate channel of prime length", rawFile{records: 1, sigs: []rawSignal{
			{label: "Slow", dim: "uV", n: 7919, digital: noise}, {label: "Fast", dim: "uV", n: 60000, digital: noise}}}.bytes()},
		{"lower-rate channel filling the file", rawFile{records: 3, sigs: []rawSignal{
			{label: "Slow", dim: "uV", n: 40000, digital: noise}, {label: "Fast", dim: "uV", n: 40001, digital: noise}}}.bytes()},
		{"lower-rate channel of prime length filling the file", rawFile{records: 1, sigs: []rawSignal{
			{label: "Slow", dim: "uV", n: 119993, digital: noise}, {label: "Fast", dim: "uV", n: 119994, digital: noise}}}.bytes()},
		{"lower-rate stim channel", rawFile{records: 2, sigs: []rawSignal{
			{label: "Status", n: 1, digital: noise}, {label: "Fast", dim: "uV", n: 50000, digital: noise}}}.bytes()},
		{"huge samples per record", rawFile{records: 0, sigs: []rawSignal{{label: "A", dim: "uV", n: 99999999}}}.bytes()},
		{"huge record count", func() []byte { f := one; f.nrec = "99999999"; return f.bytes() }()},
		{"huge signal count", patch(one, 252, "9999")},
		{"huge header length", func() []byte { f := one; f.headerBytes = "99999999"; return f.bytes() }()},
		{"tiny record duration", func() []byte { f := one; f.dur = "1e-300"; return f.bytes() }()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			used := formatstest.CheckAllocs(t, int64(len(c.b)), func() (formats.Recording, error) {
				return NewReader(bytes.NewReader(c.b), int64(len(c.b)), "crafted.edf")
			})
			t.Logf("%d bytes: %d allocated", len(c.b), used)
		})
	}
}
