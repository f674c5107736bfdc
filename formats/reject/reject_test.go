package reject

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/formatstest"
)

// matHeader builds a 128-byte MAT-file header with the given text,
// version and endian indicator, padded to size bytes.
func matHeader(text string, version uint16, endian string, size int) []byte {
	b := make([]byte, max(size, 128))
	copy(b, bytes.Repeat([]byte(" "), 116))
	copy(b, text)
	if endian == "IM" {
		binary.LittleEndian.PutUint16(b[124:], version)
	} else {
		binary.BigEndian.PutUint16(b[124:], version)
	}
	copy(b[126:], endian)
	return b
}

// kitHeader builds a KIT directory table of count entries whose second
// entry points at a system record (version, revision, system id, name).
func kitHeader(count int32, version, revision int32, system string) []byte {
	sysOff := 16 * count
	b := make([]byte, int(sysOff)+12+128+64)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 0)
	le.PutUint32(b[4:], 16)
	le.PutUint32(b[8:], uint32(count))
	le.PutUint32(b[12:], uint32(count))
	le.PutUint32(b[16:], uint32(sysOff))
	le.PutUint32(b[20:], 1248)
	le.PutUint32(b[24:], 1)
	le.PutUint32(b[28:], 1)
	le.PutUint32(b[sysOff:], uint32(version))
	le.PutUint32(b[sysOff+4:], uint32(revision))
	le.PutUint32(b[sysOff+8:], 403)
	copy(b[sysOff+12:], system)
	return b
}

func TestCheckReader(t *testing.T) {
	v73 := matHeader("MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Wed Aug 29 10:00:59 2018 HDF5 schema 1.00 .", 0x0200, "IM", 1024)
	copy(v73[512:], hdf5Sig)
	v73NoVersion := bytes.Clone(v73)
	binary.LittleEndian.PutUint16(v73NoVersion[124:], 0x0100)
	edf := append([]byte("0       "), bytes.Repeat([]byte(" "), 248)...)
	fif := []byte{0, 0, 0, 100, 0, 0, 0, 31, 0, 0, 0, 20, 0, 0, 0, 0}
	cases := []struct {
		name, file string
		data       []byte
		want       string // substring of the error; "" for nil
		offset     int64
	}{
		{"MAT v5 little-endian", "a.mat", matHeader("MATLAB 5.0 MAT-file, Platform: GLNXA64", 0x0100, "IM", 200), "MATLAB v5 MAT-file", 0},
		{"MAT v5 big-endian", "a.mat", matHeader("MATLAB 5.0 MAT-file, Platform: SOL2", 0x0100, "MI", 128), "MATLAB v5 MAT-file", 0},
		{"MAT v7.3", "b.mat", v73, "MATLAB v7.3 MAT-file (HDF5)", 0},
		{"MAT v7.3 by HDF5 signature", "b.mat", v73NoVersion, "v7.3", 0},
		{"MAT unknown version", "c.mat", matHeader("MATLAB 5.0 MAT-file", 0x0300, "IM", 128), "", 0},
		{"MAT bad endian", "c.mat", matHeader("MATLAB 5.0 MAT-file", 0x0100, "XX", 128), "", 0},
		{"MAT short", "c.mat", matHeader("MATLAB 5.0 MAT-file", 0x0100, "IM", 128)[:100], "", 0},
		{"KIT con", "x.con", kitHeader(32, 2, 4, "MACCS -- Macquarie\nsecond line"), `KIT/Yokogawa MEG .con file (format V2R004, system 403 "MACCS -- Macquarie")`, 512},
		{"KIT sqd old version", "x.sqd", kitHeader(32, 1, 2, ""), "KIT/Yokogawa MEG .sqd file (format V1R002, system 403)", 512},
		{"KIT content, other name", "x.bin", kitHeader(20, 2, 3, "s"), "KIT/Yokogawa MEG file", 320},
		{"KIT bad version", "x.con", kitHeader(32, 0, 4, "s"), "", 0},
		{"KIT bad directory", "x.con", kitHeader(1, 2, 4, "s"), "", 0},
		{"KIT truncated system record", "x.con", kitHeader(32, 2, 4, "s")[:520], "", 0},
		{"EDF", "x.edf", edf, "", 0},
		{"FIF", "x_raw.fif", fif, "", 0},
		{"empty", "x.con", nil, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckReader(bytes.NewReader(tc.data), int64(len(tc.data)), tc.file)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("error %v, want nil", err)
				}
				return
			}
			checkErr(t, err, tc.file, tc.want, tc.offset)
		})
	}
}

func checkErr(t *testing.T, err error, file, want string, offset int64) {
	t.Helper()
	var fe *formats.Error
	if !errors.As(err, &fe) || !errors.Is(err, ErrUnsupported) {
		t.Fatalf("error %v (%T), want a *formats.Error wrapping ErrUnsupported", err, err)
	}
	if fe.File != file || fe.Offset != offset || !strings.Contains(fe.Msg, want) {
		t.Errorf("error %q (offset %d), want file %q, offset %d, message containing %q", err, fe.Offset, file, offset, want)
	}
	if !strings.Contains(fe.Msg, "not supported") || !strings.Contains(fe.Msg, "MNE") || !strings.Contains(fe.Msg, "EDF") {
		t.Errorf("error %q does not say how to convert the file", err)
	}
}

// TestRealFiles checks the shared KIT and MAT samples, and that no other
// shared recording is mistaken for one.
func TestRealFiles(t *testing.T) {
	dir := formatstest.DataDir(t)
	want := map[string]string{
		"format-samples/meg/MQKIT_125_2sec.con":            "KIT/Yokogawa MEG .con file (format V2R004",
		"format-samples/mat/fieldtrip_CNT_epoched_v7.mat":  "MATLAB v5 MAT-file",
		"format-samples/mat/fieldtrip_CNT_epoched_v73.mat": "MATLAB v7.3 MAT-file (HDF5)",
	}
	var n int
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		err = Check(path)
		if w, ok := want[rel]; ok {
			n++
			off := int64(0)
			if strings.HasSuffix(rel, ".con") {
				off = 512
			}
			checkErr(t, err, path, w, off)
		} else if err != nil {
			t.Errorf("%s: %v, want nil", rel, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("found %d of the %d KIT and MAT samples", n, len(want))
	}
}

func TestCheckMissing(t *testing.T) {
	if err := Check(filepath.Join(t.TempDir(), "none.con")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Check of a missing file: %v, want os.ErrNotExist", err)
	}
}

// FuzzCheckReader: arbitrary bytes give nil or an ErrUnsupported
// *formats.Error, never a panic.
func FuzzCheckReader(f *testing.F) {
	f.Add(matHeader("MATLAB 5.0 MAT-file", 0x0100, "IM", 128), ".mat")
	f.Add(kitHeader(32, 2, 4, "MACCS"), ".con")
	f.Add([]byte("MATLAB"), ".mat")
	f.Fuzz(func(t *testing.T, b []byte, ext string) {
		err := CheckReader(bytes.NewReader(b), int64(len(b)), "fuzz"+ext)
		if err != nil && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("error %v does not wrap ErrUnsupported", err)
		}
	})
}

func ExampleCheck() {
	dir, _ := os.MkdirTemp("", "reject")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "epoched.mat")
	os.WriteFile(path, matHeader("MATLAB 5.0 MAT-file, Platform: GLNXA64", 0x0100, "IM", 128), 0o644)

	err := Check(path)
	fmt.Println(errors.Is(err, ErrUnsupported))
	var fe *formats.Error
	if errors.As(err, &fe) {
		fmt.Println(fe.Field+":", fe.Msg[:strings.Index(fe.Msg, ":")])
	}
	// Output:
	// true
	// MAT-file header: MATLAB v5 MAT-file is not supported
}
