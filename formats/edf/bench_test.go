package edf

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/neurostream/neurostream/formats"
)

// benchReader returns a reader over a synthetic EDF+C written with
// Writer: nc channels at 256 Hz, 1 s records, 120 s.
func benchReader(b *testing.B, nc int) *Reader {
	chans := make([]formats.Channel, nc)
	for c := range chans {
		chans[c] = formats.Channel{Label: fmt.Sprint("E", c), Unit: "V", SampleRate: 256}
	}
	h := WriterHeader{Start: time.Unix(0, 0), RecordDuration: 1, NRecords: 120, Channels: chans,
		Annotations: []formats.Annotation{{Onset: 3, Description: "x"}}}
	data := make([][]float64, nc)
	for c := range chans {
		h.PhysMin = append(h.PhysMin, -1e-3)
		h.PhysMax = append(h.PhysMax, 1e-3)
		data[c] = make([]float64, 256)
		for i := range data[c] {
			data[c][i] = float64(i-128) * 1e-6
		}
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, h)
	if err != nil {
		b.Fatal(err)
	}
	for range 120 {
		if err := w.WriteRecord(data); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "bench.edf")
	if err != nil {
		b.Fatal(err)
	}
	return r
}

func benchRead(b *testing.B, r formats.Recording, chunk int64) {
	info := r.Info()
	dst := make([][]float64, len(info.Channels))
	for c := range dst {
		dst[c] = make([]float64, chunk)
	}
	b.SetBytes(chunk * int64(len(dst)) * 8)
	b.ReportAllocs()
	start := int64(0)
	for b.Loop() {
		if start+chunk > info.NSamples {
			start = 0
		}
		if err := r.ReadSamples(dst, start, start+chunk); err != nil {
			b.Fatal(err)
		}
		start += chunk
	}
}

func BenchmarkReadSamples(b *testing.B) {
	for _, nc := range []int{8, 64} {
		for _, chunk := range []int64{100, 256, 2560} {
			b.Run(fmt.Sprintf("EDF/ch=%d/chunk=%d", nc, chunk), func(b *testing.B) {
				benchRead(b, benchReader(b, nc), chunk)
			})
		}
	}
	// BDF: 64 channels plus Status at 2048 Hz, built byte by byte.
	sigs := make([]rawSignal, 65)
	for c := range sigs {
		sigs[c] = rawSignal{label: fmt.Sprint("A", c), dim: "uV", pmin: "-262144", pmax: "262143", dmin: "-8388608", dmax: "8388607", n: 2048,
			digital: func(rec, i int) int32 { return int32(rec*1000 + i) }}
	}
	sigs[64].label = "Status"
	raw := rawFile{records: 30, bdf: true, reserved: "24BIT", sigs: sigs}.bytes()
	r, err := NewReader(bytes.NewReader(raw), int64(len(raw)), "bench.bdf")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("BDF/ch=65/chunk=2048", func(b *testing.B) { benchRead(b, r, 2048) })
}

// BenchmarkMixedRates streams a sleep-study layout, two 100 Hz EEG
// channels and three 1 Hz channels over 8 hours, in 30 s windows: the
// 1 Hz channels are upsampled block by block.
func BenchmarkMixedRates(b *testing.B) {
	noise := func(rec, i int) int32 { return int32((rec*7919 + i*104729) % 20000) }
	f := rawFile{records: 8 * 3600}
	for _, s := range []struct {
		label string
		n     int
	}{{"EEG Fpz-Cz", 100}, {"EEG Pz-Oz", 100}, {"Resp", 1}, {"EMG", 1}, {"Temp", 1}} {
		f.sigs = append(f.sigs, rawSignal{label: s.label, dim: "uV", n: s.n, digital: noise})
	}
	raw := f.bytes()
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(raw), int64(len(raw)), "sleep.edf")
		if err != nil {
			b.Fatal(err)
		}
		info := r.Info()
		dst := make([][]float64, len(info.Channels))
		for c := range dst {
			dst[c] = make([]float64, 3000)
		}
		for start := int64(0); start < info.NSamples; start += 3000 {
			if err := r.ReadSamples(dst, start, start+3000); err != nil {
				b.Fatal(err)
			}
		}
	}
}
