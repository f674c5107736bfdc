package edf

import (
	"fmt"
	"strings"
)

// rawSignal is one signal of a file built byte by byte in tests.
type rawSignal struct {
	label, dim             string
	pmin, pmax, dmin, dmax string
	n                      int
	digital                func(rec, i int) int32 // sample value; nil: 0
	tal                    func(rec int) string   // annotation bytes of a record
}

// rawFile describes a file built byte by byte, so tests can write
// headers our Writer never would (BDF, odd fields, broken fields).
type rawFile struct {
	version, date, time, reserved string
	nrec, dur                     string
	headerBytes                   string // "" = computed
	records                       int    // records of data actually written
	bdf                           bool
	sigs                          []rawSignal
}

func (f rawFile) bytes() []byte {
	var b strings.Builder
	pad := func(s string, n int) {
		if len(s) > n {
			s = s[:n]
		}
		b.WriteString(s + strings.Repeat(" ", n-len(s)))
	}
	def := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	ns := len(f.sigs)
	version := def(f.version, "0")
	if f.bdf && f.version == "" {
		version = "\xffBIOSEMI"
	}
	pad(version, 8)
	pad("X X X X", 80)
	pad("Startdate 02-JAN-2024 X X test", 80)
	pad(def(f.date, "02.01.24"), 8)
	pad(def(f.time, "10.20.30"), 8)
	pad(def(f.headerBytes, fmt.Sprint(256*(ns+1))), 8)
	pad(f.reserved, 44)
	pad(def(f.nrec, fmt.Sprint(f.records)), 8)
	pad(def(f.dur, "1"), 8)
	pad(fmt.Sprint(ns), 4)
	for _, s := range f.sigs {
		pad(s.label, 16)
	}
	for range f.sigs {
		pad("", 80)
	}
	for _, s := range f.sigs {
		pad(s.dim, 8)
	}
	for _, s := range f.sigs {
		pad(def(s.pmin, "-100"), 8)
	}
	for _, s := range f.sigs {
		pad(def(s.pmax, "100"), 8)
	}
	for _, s := range f.sigs {
		pad(def(s.dmin, "-32768"), 8)
	}
	for _, s := range f.sigs {
		pad(def(s.dmax, "32767"), 8)
	}
	for range f.sigs {
		pad("", 80)
	}
	for _, s := range f.sigs {
		pad(fmt.Sprint(s.n), 8)
	}
	for range f.sigs {
		pad("", 32)
	}
	bps := 2
	if f.bdf {
		bps = 3
	}
	for rec := 0; rec < f.records; rec++ {
		for _, s := range f.sigs {
			if s.tal != nil {
				t := []byte(s.tal(rec))
				t = append(t, make([]byte, s.n*bps)...)
				b.Write(t[:s.n*bps])
				continue
			}
			for i := 0; i < s.n; i++ {
				var v int32
				if s.digital != nil {
					v = s.digital(rec, i)
				}
				b.WriteByte(byte(v))
				b.WriteByte(byte(v >> 8))
				if f.bdf {
					b.WriteByte(byte(v >> 16))
				}
			}
		}
	}
	return []byte(b.String())
}
