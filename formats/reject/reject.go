// Package reject recognises recorded-data formats neurostream does not read
// — KIT/Yokogawa MEG (.con, .sqd) and MATLAB MAT-files (v5, and v7.3 which
// is HDF5) — so a caller can say what a file is and how to convert it with
// MNE-Python (to FIF or EDF) instead of reporting an unknown format.
//
// Recognition is by content, as MNE's KIT reader and MATLAB check it: the
// KIT directory table and system record, the MAT-file's 128-byte text
// header and, for v7.3, the HDF5 signature at byte 512. MAT v4 files have
// no header to recognise and are not detected.
package reject

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/neurostream/neurostream/formats"
)

// ErrUnsupported is wrapped by every error Check returns, so callers can
// tell "recognised but not supported" from a read failure.
var ErrUnsupported = errors.New("format not supported")

// Check returns a *formats.Error wrapping ErrUnsupported when the file at
// path is a KIT or MAT file, saying which format it is and how to convert
// it; nil when it is neither; or the error opening or reading it.
func Check(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return CheckReader(f, st.Size(), path)
}

// CheckReader is Check for an io.ReaderAt holding size bytes; name is used
// in the error and for its extension.
func CheckReader(r io.ReaderAt, size int64, name string) error {
	if err := checkMAT(r, size, name); err != nil {
		return err
	}
	return checkKIT(r, size, name)
}

// readAt reads len(p) bytes at off; ok is false when the file is shorter.
func readAt(r io.ReaderAt, size int64, p []byte, off int64) (bool, error) {
	if off < 0 || off+int64(len(p)) > size {
		return false, nil
	}
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return true, nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return false, nil
	}
	return false, err
}

func unsupported(name string, off int64, field, what, convert string) error {
	return &formats.Error{File: name, Offset: off, Field: field,
		Msg: what + " is not supported: " + convert, Err: ErrUnsupported}
}

// hdf5Sig is the HDF5 superblock signature; MAT v7.3 puts it at byte 512.
var hdf5Sig = []byte("\x89HDF\r\n\x1a\n")

// checkMAT recognises the MAT-file header: 116 bytes of text starting
// "MATLAB", 8 bytes of subsystem offset, a 2-byte version (0x0100 for v5,
// 0x0200 for v7.3) and the endian indicator "IM" or "MI".
func checkMAT(r io.ReaderAt, size int64, name string) error {
	var h [128]byte
	ok, err := readAt(r, size, h[:], 0)
	if err != nil || !ok {
		return err
	}
	text := string(h[:116])
	if !strings.HasPrefix(text, "MATLAB ") || !strings.Contains(text, "MAT-file") {
		return nil
	}
	var version uint16
	switch string(h[126:128]) {
	case "IM":
		version = binary.LittleEndian.Uint16(h[124:])
	case "MI":
		version = binary.BigEndian.Uint16(h[124:])
	default:
		return nil
	}
	var sig [8]byte
	isHDF5, err := readAt(r, size, sig[:], 512)
	if err != nil {
		return err
	}
	isHDF5 = isHDF5 && bytes.Equal(sig[:], hdf5Sig)
	const save = "then save it with MNE-Python as FIF (raw.save) or EDF (mne.export.export_raw)"
	switch {
	case version == 0x0200 || isHDF5:
		return unsupported(name, 0, "MAT-file header", "MATLAB v7.3 MAT-file (HDF5)",
			"load it with pymatreader or h5py (mne.io.read_raw_fieldtrip for FieldTrip data), "+save)
	case version == 0x0100:
		return unsupported(name, 0, "MAT-file header", "MATLAB v5 MAT-file",
			"load it with scipy.io.loadmat (mne.io.read_raw_fieldtrip for FieldTrip data), "+save)
	}
	return nil
}

// KIT files start with a table of 16-byte directory entries (offset, size,
// max count, count; little-endian), the first describing the table itself
// and the second pointing to the system record, which starts with the
// format version, revision and system id (MNE's get_kit_info).
const (
	kitDirLen     = 16
	kitMaxDirs    = 4096
	kitSysNameLen = 128
)

func checkKIT(r io.ReaderAt, size int64, name string) error {
	var d [2 * kitDirLen]byte
	ok, err := readAt(r, size, d[:], 0)
	if err != nil || !ok {
		return err
	}
	le := binary.LittleEndian
	dirSize := int32(le.Uint32(d[4:]))
	maxCount := int32(le.Uint32(d[8:]))
	count := int32(le.Uint32(d[12:]))
	sysOff := int64(le.Uint32(d[16:]))
	if dirSize != kitDirLen || count < 2 || count > maxCount || maxCount > kitMaxDirs || int64(count)*kitDirLen > size ||
		sysOff < int64(count)*kitDirLen {
		return nil
	}
	var sys [12 + kitSysNameLen]byte
	ok, err = readAt(r, size, sys[:], sysOff)
	if err != nil || !ok {
		return err
	}
	version := int32(le.Uint32(sys[0:]))
	revision := int32(le.Uint32(sys[4:]))
	sysID := int32(le.Uint32(sys[8:]))
	if version < 1 || version > 9 || revision < 0 || revision > 999 || sysID < 0 {
		return nil
	}
	system := string(sys[12:])
	if i := strings.IndexByte(system, 0); i >= 0 {
		system = system[:i]
	}
	system = strings.TrimSpace(strings.ToValidUTF8(system, "?"))
	if j := strings.IndexAny(system, "\r\n"); j >= 0 {
		system = system[:j]
	}
	what := fmt.Sprintf("KIT/Yokogawa MEG file (format V%dR%03d, system %d", version, revision, sysID)
	if system != "" {
		what += fmt.Sprintf(" %q", system)
	}
	what += ")"
	if ext := strings.ToLower(filepath.Ext(name)); ext == ".con" || ext == ".sqd" || ext == ".mrk" {
		what = strings.Replace(what, "file", ext+" file", 1)
	}
	const convert = `convert it with MNE-Python to FIF (raw = mne.io.read_raw_kit(path); raw.save("name_raw.fif"), ` +
		`which formats/fif reads) or to EDF (mne.export.export_raw("name.edf", raw))`
	return unsupported(name, sysOff, "KIT system record", what, convert)
}
