package fif

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// tagAt returns the byte offset of the first tag of the given kind,
// walking the sequential tag chain of a test-writer file.
func tagAt(t *testing.T, b []byte, kind int32) int {
	t.Helper()
	for pos := 0; pos+tagHeaderLen <= len(b); {
		if int32(binary.BigEndian.Uint32(b[pos:])) == kind {
			return pos
		}
		pos += tagHeaderLen + int(binary.BigEndian.Uint32(b[pos+8:]))
	}
	t.Fatalf("no tag of kind %d", kind)
	return 0
}

func put32(b []byte, off int, v uint32) []byte {
	c := bytes.Clone(b)
	binary.BigEndian.PutUint32(c[off:], v)
	return c
}

// wantError checks that err is a *formats.Error naming field (a substring)
// at offset (-2: any offset) and saying msg (a substring).
func wantError(t *testing.T, err error, field string, offset int64, msg string) {
	t.Helper()
	var fe *formats.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *formats.Error", err, err)
	}
	if !strings.Contains(fe.Field, field) || (offset != -2 && fe.Offset != offset) || !strings.Contains(fe.Error(), msg) {
		t.Errorf("error %q (field %q, offset %d), want field %q, offset %d, message containing %q", fe, fe.Field, fe.Offset, field, offset, msg)
	}
}

func baseFile() []byte {
	s := synth{sfreq: 100, chs: eegChannels(2), parts: []synthBuf{{typ: typeFloat, data: ramp(10, 2, 0)}}}
	return s.bytes()
}

func TestMalformed(t *testing.T) {
	b := baseFile()
	buf := tagAt(t, b, kindDataBuffer)
	nchan := tagAt(t, b, kindNChan)
	sfreq := tagAt(t, b, kindSFreq)
	edf := append([]byte("0       X X X X"), make([]byte, 240)...)
	oddRows := synth{sfreq: 100, chs: eegChannels(2), parts: []synthBuf{{typ: typeFloat, data: ramp(5, 3, 0)}}}
	noRaw := synth{sfreq: 100, chs: eegChannels(2), block: 999, parts: []synthBuf{{typ: typeFloat, data: ramp(5, 2, 0)}}}
	noBuf := synth{sfreq: 100, chs: eegChannels(2), firstSample: 3}
	cases := []struct {
		name   string
		data   []byte
		field  string
		offset int64
		msg    string
	}{
		{"empty", nil, "file id tag", 0, "too short"},
		{"truncated header", b[:10], "file id tag", 0, "too short"},
		{"not FIF", edf, "file id tag", 0, "not a FIF file"},
		{"gzip", append([]byte{0x1f, 0x8b, 8, 0}, make([]byte, 40)...), "file id tag", 0, "decompress it first"},
		{"no directory pointer", put32(b, 36, 999), "directory pointer", 36, "FIFF_DIR_POINTER"},
		{"truncated data", b[:buf+40], "tag size", int64(buf + 8), "truncated"},
		{"negative tag size", put32(b, sfreq+8, 0xFFFFFFFB), "tag size", int64(sfreq + 8), "negative size"},
		{"tag chain loops", put32(b, sfreq+12, 40), "tag next", int64(sfreq + 12), "points back"},
		{"channel count", put32(b, nchan+16, 5), "FIFF_CH_INFO", -1, "2 channel definitions for FIFF_NCHAN 5"},
		{"zero rate", put32(b, sfreq+16, 0), "FIFF_SFREQ", int64(sfreq + 16), "want a positive number"},
		{"rate not one value", put32(b, sfreq+4, typeShort), "FIFF_SFREQ", int64(sfreq + 8), "want exactly one"},
		{"complex buffer", put32(b, buf+4, typeComplexFloat), "FIFF_DATA_BUFFER", int64(buf + 4), "complex"},
		{"byte buffer", put32(b, buf+4, typeByte), "FIFF_DATA_BUFFER", int64(buf + 4), "type 1"},
		{"partial sample", oddRows.bytes(), "FIFF_DATA_BUFFER", int64(tagAt(t, oddRows.bytes(), kindDataBuffer) + 8), "not a whole number"},
		{"event file", eventFile(1, 0, 1), "FIFFB_MEAS", -1, "0 measurement blocks"},
		{"no raw data block", noRaw.bytes(), "FIFFB_RAW_DATA", -1, "no raw data block"},
		{"no data buffers", noBuf.bytes(), "FIFFB_RAW_DATA", -1, "no data buffers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tc.data), int64(len(tc.data)), "bad_raw.fif")
			wantError(t, err, tc.field, tc.offset, tc.msg)
			if err != nil && !strings.HasPrefix(err.Error(), "bad_raw.fif") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

// TestBadDirectory checks that an unusable tag directory falls back to
// walking the tags, as MNE does for a missing one.
func TestBadDirectory(t *testing.T) {
	s := synth{sfreq: 100, chs: eegChannels(2), dir: true, parts: []synthBuf{{typ: typeFloat, data: ramp(10, 2, 7)}}}
	b := s.bytes()
	const ptr = 36 + tagHeaderLen // FIFF_DIR_POINTER's data
	dir := int(binary.BigEndian.Uint32(b[ptr:]))
	if dir <= 0 {
		t.Fatal("the test file has no directory")
	}
	for name, data := range map[string][]byte{
		"good":             b,
		"wrong type":       put32(b, dir+4, typeInt),
		"entry past end":   put32(b, dir+16+8, 1<<30),
		"pointer past end": put32(b, ptr, uint32(len(b)+100)),
	} {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(bytes.NewReader(data), int64(len(data)), "dir_raw.fif")
			if err != nil {
				t.Fatal(err)
			}
			dst := [][]float64{make([]float64, 10), make([]float64, 10)}
			if err := r.ReadSamples(dst, 0, 10); err != nil {
				t.Fatal(err)
			}
			want := expand([]seg{{10, 7}}, s.chs)
			for c := range dst {
				for i, v := range dst[c] {
					if v != want[c][i] {
						t.Fatalf("channel %d sample %d = %v, want %v", c, i, v, want[c][i])
					}
				}
			}
		})
	}
}

// failingReader serves reads until fail is set, as a file that goes away
// (or a disk that fails) after Open.
type failingReader struct {
	r    io.ReaderAt
	fail bool
}

func (f *failingReader) ReadAt(p []byte, off int64) (int, error) {
	if f.fail {
		return 0, errors.New("input/output error")
	}
	return f.r.ReadAt(p, off)
}

func TestReadSamplesErrors(t *testing.T) {
	b := baseFile()
	fr := &failingReader{r: bytes.NewReader(b)}
	r, err := NewReader(fr, int64(len(b)), "gone_raw.fif")
	if err != nil {
		t.Fatal(err)
	}
	dst := [][]float64{make([]float64, 4), make([]float64, 4)}
	if err := r.ReadSamples(dst, 8, 12); err == nil {
		t.Error("ReadSamples past the end: no error")
	}
	if err := r.ReadSamples([][]float64{{}, {}}, -1, -1); err == nil {
		t.Error("ReadSamples before the start: no error")
	}
	fr.fail = true
	err = r.ReadSamples(dst, 2, 6)
	wantError(t, err, "FIFF_DATA_BUFFER", int64(tagAt(t, b, kindDataBuffer)+tagHeaderLen+2*2*4), "input/output error")
}

func TestEventErrors(t *testing.T) {
	cases := []struct {
		name  string
		data  []byte
		field string
		msg   string
	}{
		{"not a multiple of 3", eventFile(1, 0, 1, 5), "FIFF_MNE_EVENT_LIST", "not a whole number"},
		{"empty list", eventFile(), "FIFF_MNE_EVENT_LIST", "no events"},
		{"raw file", baseFile(), "FIFFB_MNE_EVENTS", "not an event file"},
		{"truncated", eventFile(1, 0, 1)[:96], "tag size", "truncated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadEventsFrom(bytes.NewReader(tc.data), int64(len(tc.data)), "x-eve.fif")
			wantError(t, err, tc.field, -2, tc.msg)
		})
	}
	if _, err := ReadEvents(filepath.Join(t.TempDir(), "none-eve.fif")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadEvents of a missing file: %v", err)
	}
}

// TestSplit reads a recording split across two files, named either by
// FIFF_REF_FILE_NAME or by part number.
func TestSplit(t *testing.T) {
	chs := eegChannels(2)
	for _, byNum := range []bool{false, true} {
		dir := t.TempDir()
		p1 := synth{sfreq: 50, chs: chs, firstSample: 10, measDate: []int32{1500000000, 0},
			parts: []synthBuf{{typ: typeFloat, data: ramp(6, 2, 0)}, {typ: typeFloat, data: ramp(6, 2, 100)}}}
		if byNum {
			p1.nextNum = 1
		} else {
			p1.next = "rec_raw-1.fif"
		}
		p2 := synth{sfreq: 50, chs: chs, firstSample: 22, measDate: []int32{1500000000, 0},
			parts: []synthBuf{{typ: typeShort, data: ramp(5, 2, 200)}, {skip: 1}, {typ: typeDouble, data: ramp(5, 2, 300)}}}
		first := formatstest.WriteFile(t, dir, "rec_raw.fif", p1.bytes())
		second := formatstest.WriteFile(t, dir, "rec_raw-1.fif", p2.bytes())
		r, err := Open(first)
		if err != nil {
			t.Fatal(err)
		}
		want := expand([]seg{{6, 0}, {6, 100}, {5, 200}, {5, math.NaN()}, {5, 300}}, chs)
		n := int64(len(want[0]))
		if r.Info().NSamples != n || r.FirstSample() != 10 {
			t.Fatalf("NSamples %d, FirstSample %d; want %d, 10", r.Info().NSamples, r.FirstSample(), n)
		}
		dst := [][]float64{make([]float64, n), make([]float64, n)}
		if err := r.ReadSamples(dst, 0, n); err != nil {
			t.Fatal(err)
		}
		for c := range dst {
			for i, v := range dst[c] {
				if v != want[c][i] {
					t.Fatalf("channel %d sample %d = %v, want %v", c, i, v, want[c][i])
				}
			}
		}
		ann := r.Info().Annotations
		if len(ann) != 1 || ann[0].Description != "BAD_ACQ_SKIP" || math.Abs(ann[0].Onset-17.0/50) > 1e-12 || math.Abs(ann[0].Duration-5.0/50) > 1e-12 {
			t.Errorf("annotations %+v, want one BAD_ACQ_SKIP at 0.34 s for 0.1 s", ann)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}

		b, _ := os.ReadFile(first)
		_, err = NewReader(bytes.NewReader(b), int64(len(b)), first)
		wantError(t, err, "next split file", -1, `"rec_raw-1.fif"`)

		os.Remove(second)
		_, err = Open(first)
		wantError(t, err, "next split file", -1, "rec_raw-1.fif")
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("missing part: %v does not wrap os.ErrNotExist", err)
		}
	}
}

// TestSplitLoop checks that a part naming itself as the next part is an
// error, not an endless chain.
func TestSplitLoop(t *testing.T) {
	s := synth{sfreq: 10, chs: eegChannels(1), next: "loop_raw.fif", parts: []synthBuf{{typ: typeFloat, data: ramp(2, 1, 0)}}}
	path := formatstest.WriteFile(t, t.TempDir(), "loop_raw.fif", s.bytes())
	_, err := Open(path)
	wantError(t, err, "split files", -1, "loops back")
}

func TestSplitName(t *testing.T) {
	for _, c := range []struct {
		base string
		num  int64
		want string
	}{
		{"rec_raw.fif", 1, "rec_raw-1.fif"},
		{"rec_raw-1.fif", 2, "rec_raw-2.fif"},
		{"rec-a_raw.fif", 1, "rec-a_raw-1.fif"},
		{"rec_raw.fif.gz", 1, "rec_raw-1.fif.gz"},
	} {
		if got := splitName(c.base, c.num); got != c.want {
			t.Errorf("splitName(%q, %d) = %q, want %q", c.base, c.num, got, c.want)
		}
	}
}
