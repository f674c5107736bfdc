package gdf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// TestAllocBoundedByFileSize opens and streams files whose headers claim
// huge counts, rates and lengths, and checks that the reader allocates in
// proportion to the file, not to what the header says.
func TestAllocBoundedByFileSize(t *testing.T) {
	// A signal at every rate below the fastest: an upsampling plan of the
	// record's length per rate would be quadratic in the record.
	rates := spec{version: "GDF 2.10", nrec: 1, dur: [2]uint32{1, 1}}
	for c := 1; c <= 100; c++ {
		rates.sigs = append(rates.sigs, sig{label: fmt.Sprint("S", c), pmin: -1, pmax: 1, dmin: -128, dmax: 127, spr: c, typ: Int8})
	}
	rates.sigs = append(rates.sigs, sig{label: "Fast", pmin: -1, pmax: 1, dmin: -128, dmax: 127, spr: 20000, typ: Int8})
	le := binary.LittleEndian
	edit := func(s spec, f func(b []byte)) []byte {
		b := s.bytes()
		f(b)
		return b
	}
	base := baseSpec("GDF 2.10", Int16)
	base.events = eventTable(2.1, 1, 8, testEvents)
	cases := []struct {
		name string
		b    []byte
	}{
		{"a signal at every lower rate", rates.bytes()},
		{"huge samples per record", edit(base, func(b []byte) { le.PutUint32(b[256+216*3:], 1<<30); le.PutUint64(b[236:], 0) })},
		{"huge record count", edit(base, func(b []byte) { le.PutUint64(b[236:], math.MaxInt64/2) })},
		{"huge signal count", edit(base, func(b []byte) { le.PutUint16(b[252:], 65535) })},
		{"huge header length", edit(base, func(b []byte) { le.PutUint16(b[184:], 65535) })},
		{"huge event count", edit(base, func(b []byte) { copy(b[1024+10*3*4*2+1:], []byte{0xff, 0xff, 0xff}) })},
		{"tiny record duration", edit(base, func(b []byte) { le.PutUint32(b[244:], 1); le.PutUint32(b[248:], math.MaxUint32) })},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			used := formatstest.CheckAllocs(t, int64(len(c.b)), func() (formats.Recording, error) {
				return NewReader(bytes.NewReader(c.b), int64(len(c.b)), "crafted.gdf")
			})
			t.Logf("%d bytes: %d allocated", len(c.b), used)
		})
	}
}
