package edf

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// seedFiles returns small synthetic files (and, when the shared data is
// there, the first 64 KiB of each real EDF/BDF) for the fuzz corpora.
func seedFiles(f *testing.F) [][]byte {
	ramp := func(rec, i int) int32 { return int32(rec*7919+i*31) % 40000 }
	seeds := [][]byte{
		rawFile{records: 2, reserved: "EDF+C", sigs: []rawSignal{
			{label: "Fz", dim: "uV", n: 8, digital: ramp},
			{label: "Resp", dim: "mV", n: 2, digital: ramp},
			{label: "Status", n: 3, digital: ramp},
			{label: "EDF Annotations", n: 16, tal: func(rec int) string { return "+" + string(rune('0'+rec)) + "\x14\x14\x00+0.5\x151\x14A\x14\x00" }},
		}}.bytes(),
		rawFile{records: 3, bdf: true, reserved: "BDF+D", sigs: []rawSignal{
			{label: "A1", dim: "uV", n: 4, digital: ramp},
			{label: "BDF Annotations", n: 8, tal: func(int) string { return "+0.25\x14\x14\x00" }},
		}}.bytes(),
		rawFile{records: 1, dur: "0", sigs: []rawSignal{{label: "EDF Annotations", n: 10, tal: func(int) string { return "+0\x14\x14\x00" }}}}.bytes(),
	}
	// One large record: annotations are read span by span.
	large := []rawSignal{{label: "EDF Annotations", n: 8, tal: func(int) string { return "+0\x14\x14\x00" }}}
	for c := 0; c < 17; c++ {
		large = append(large, rawSignal{label: "C", dim: "uV", n: 2000, digital: ramp})
	}
	large[0], large[17] = large[17], large[0]
	seeds = append(seeds, rawFile{records: 1, reserved: "EDF+C", sigs: large}.bytes())
	var buf bytes.Buffer
	writeTestFile(f, &buf, 2, 2, time.Date(2020, 1, 1, 0, 0, 0, 5e8, time.UTC), roundTripChannels, roundTripAnnotations)
	seeds = append(seeds, buf.Bytes())

	var real []string
	filepath.WalkDir(formatstest.SeedDir(), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if ext := strings.ToLower(filepath.Ext(p)); ext == ".edf" || ext == ".bdf" {
				real = append(real, p)
			}
		}
		return nil
	})
	sort.Strings(real)
	for _, p := range real {
		b, err := os.ReadFile(p)
		if err == nil {
			seeds = append(seeds, b[:min(len(b), 64<<10)])
		}
	}
	return seeds
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range seedFiles(f) {
		f.Add(s[:min(len(s), 8<<10)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			var fe *formats.Error
			if !errors.As(err, &fe) || fe.Field == "" {
				t.Fatalf("error %v does not name a field", err)
			}
			return
		}
		if h.HeaderBytes != 256*(len(h.Signals)+1) || h.HeaderBytes > len(b) || h.RecordDuration < 0 {
			t.Fatalf("accepted an inconsistent header: %d bytes, %d signals, duration %v", h.HeaderBytes, len(h.Signals), h.RecordDuration)
		}
	})
}

func FuzzTAL(f *testing.F) {
	for _, c := range talCases {
		f.Add([]byte(c.stream))
	}
	f.Add([]byte("+0.3945312\x14\x14\x00+2.3457031\x14XLSpike\x14\x00+1\x14A@@A\x14A@@B\x14\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		res := parseTAL(b, map[string]bool{"A": true, "B": true})
		for i := 1; i < len(res.anns); i++ {
			if res.anns[i].Onset < res.anns[i-1].Onset {
				t.Fatalf("not sorted: %v", res.anns)
			}
		}
		for _, a := range cropAnnotations(res.anns, 10) {
			if a.Onset < 0 || a.Onset > 10 || a.Duration < 0 {
				t.Fatalf("cropped annotation %v outside [0, 10]", a)
			}
		}
	})
}

func FuzzOpen(f *testing.F) {
	for _, s := range seedFiles(f) {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, b []byte, bdfName bool) {
		name := "fuzz.edf"
		if bdfName {
			name = "fuzz.bdf"
		}
		r, err := NewReader(bytes.NewReader(b), int64(len(b)), name)
		if err != nil {
			var fe *formats.Error
			if !errors.As(err, &fe) || fe.File != name {
				t.Fatalf("error %v is not a *formats.Error naming the file", err)
			}
			return
		}
		info := r.Info()
		n := info.NSamples
		if n < 0 || int64(len(info.Channels))*n > 1<<22 {
			return // a valid file too large to read whole in a fuzz run
		}
		for _, rg := range [][2]int64{{0, min(n, 7)}, {max(n-5, 0), n}, {n / 2, min(n/2+3, n)}} {
			dst := make([][]float64, len(info.Channels))
			for c := range dst {
				dst[c] = make([]float64, rg[1]-rg[0])
			}
			if err := r.ReadSamples(dst, rg[0], rg[1]); err != nil {
				var fe *formats.Error
				if !errors.As(err, &fe) {
					t.Fatalf("ReadSamples error %v is not a *formats.Error", err)
				}
			}
		}
	})
}
