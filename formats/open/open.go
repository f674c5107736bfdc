// Package open picks the reader for a recorded-data file by its name and
// first bytes, so callers open any supported recording with one call.
//
// Supported: EDF/EDF+/BDF/BDF+ (.edf, .bdf), BrainVision (.vhdr), GDF
// (.gdf), FIF raw (*.fif; a sibling *-eve.fif adds its events as
// annotations), XDF (.xdf, LabRecorder's multi-stream files: one stream is
// the recording, marker streams its annotations; see formats/xdf), and
// plain text/CSV samples (.txt, .csv, .inp, .tsv) with a caller-given
// sample rate. BIDS and SzCORE sidecar tables (NAME_events.tsv, …) are
// recognised as such and never taken for plain-text recordings, so a
// folder may hold them beside its recordings. KIT (.con, .sqd) and MATLAB (.mat) files are
// recognised and rejected with an error saying what to do instead.
package open

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/brainvision"
	"github.com/neurostream/neurostream/formats/edf"
	"github.com/neurostream/neurostream/formats/fif"
	"github.com/neurostream/neurostream/formats/gdf"
	"github.com/neurostream/neurostream/formats/reject"
	"github.com/neurostream/neurostream/formats/text"
	"github.com/neurostream/neurostream/formats/xdf"
)

// Options are what some formats need from the caller.
type Options struct {
	// Text configures plain-text files; Text.SampleRate is required for
	// them unless a time column gives it.
	Text text.Options
	// NoEvents skips the sibling -eve.fif of a FIF file.
	NoEvents bool
	// XDF picks the streams of an XDF file (the session stream, the
	// marker streams) and its clock synchronisation.
	XDF xdf.Options
	// ChannelFiles reads recordings stored one channel per file: a
	// file-name pattern (filepath.Match, e.g. "ch*.inp"). A folder that
	// holds files matching it is then one plain-text recording whose
	// channels are those files in name order (text.OpenChannels with
	// Text); its other files (a README) are not read. Default: "", a
	// folder is not a recording.
	ChannelFiles string
}

// Kind is a recognised file kind.
type Kind string

// Kinds Detect returns.
const (
	KindEDF         Kind = "edf"
	KindBrainVision Kind = "brainvision"
	KindGDF         Kind = "gdf"
	KindFIF         Kind = "fif"
	KindFIFEvents   Kind = "fif-events"
	KindXDF         Kind = "xdf"
	KindText        Kind = "text"
	// KindSidecar is a BIDS or SzCORE table that lies next to recordings
	// but holds none: NAME_events.tsv (SzCORE annotations), _channels,
	// _electrodes, _scans, _sessions and participants.tsv.
	KindSidecar  Kind = "sidecar"
	KindRejected Kind = "rejected"
	KindUnknown  Kind = ""
)

// Detect names the kind of file at path from its name (and, for EDF-like
// files, its first bytes). Companion files (.vmrk, .eeg of BrainVision)
// are KindUnknown: open the .vhdr.
func Detect(path string) Kind {
	name := strings.ToLower(filepath.Base(path))
	ext := filepath.Ext(name)
	switch {
	case strings.HasSuffix(name, "-eve.fif") || strings.HasSuffix(name, "_eve.fif"):
		return KindFIFEvents
	case ext == ".edf" || ext == ".bdf" || ext == ".rec":
		return KindEDF
	case ext == ".vhdr":
		return KindBrainVision
	case ext == ".gdf":
		return KindGDF
	case ext == ".fif" || strings.HasSuffix(name, ".fif.gz"):
		return KindFIF
	case ext == ".xdf":
		return KindXDF
	case isSidecar(name):
		return KindSidecar
	case ext == ".txt" || ext == ".csv" || ext == ".tsv" || ext == ".inp":
		return KindText
	case ext == ".con" || ext == ".sqd" || ext == ".mat":
		return KindRejected
	}
	return sniff(path)
}

// sidecarSuffixes end the names of BIDS sidecar tables (lower case).
var sidecarSuffixes = []string{"_events.tsv", "_channels.tsv", "_electrodes.tsv", "_scans.tsv", "_sessions.tsv"}

// isSidecar reports whether the lower-case file name is a BIDS or SzCORE
// sidecar table, which a folder of recordings holds beside them.
func isSidecar(name string) bool {
	if name == "participants.tsv" {
		return true
	}
	for _, s := range sidecarSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// sniff recognises EDF/BDF and GDF by their version field, XDF by its
// magic bytes.
func sniff(path string) Kind {
	f, err := os.Open(path)
	if err != nil {
		return KindUnknown
	}
	defer f.Close()
	var b [8]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return KindUnknown
	}
	switch {
	case bytes.Equal(b[:], []byte("0       ")) || (b[0] == 0xff && bytes.Equal(b[1:], []byte("BIOSEMI"))):
		return KindEDF
	case bytes.HasPrefix(b[:], []byte("GDF ")):
		return KindGDF
	case bytes.HasPrefix(b[:], []byte("XDF:")):
		return KindXDF
	}
	return KindUnknown
}

// Recordable reports whether File can open path as a recording (events
// files, rejected formats and companion files are not).
func Recordable(path string) bool {
	switch Detect(path) {
	case KindEDF, KindBrainVision, KindGDF, KindFIF, KindXDF, KindText:
		return true
	}
	return false
}

// File opens the recording at path with the reader its kind needs; with
// opt.ChannelFiles, a folder is the recording of its channel files.
func File(path string, opt Options) (formats.Recording, error) {
	if opt.ChannelFiles != "" {
		if st, err := os.Stat(path); err == nil && st.IsDir() {
			files, err := ChannelFiles(path, opt.ChannelFiles)
			if err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, &formats.Error{File: path, Offset: -1, Msg: fmt.Sprintf("no channel files matching %q in this folder", opt.ChannelFiles)}
			}
			return text.OpenChannels(files, opt.Text)
		}
	}
	switch Detect(path) {
	case KindEDF:
		return edf.Open(path)
	case KindBrainVision:
		return brainvision.Open(path)
	case KindGDF:
		return gdf.Open(path)
	case KindFIF:
		r, err := fif.Open(path)
		if err != nil || opt.NoEvents {
			return r, err
		}
		return withEvents(r, path)
	case KindXDF:
		return xdf.Open(path, opt.XDF)
	case KindText:
		return text.Open(path, opt.Text)
	case KindFIFEvents:
		return nil, &formats.Error{File: path, Offset: -1, Msg: "an events file, not a recording: open the matching _raw.fif (its events are added from here)"}
	case KindSidecar:
		return nil, &formats.Error{File: path, Offset: -1, Msg: "a BIDS/SzCORE sidecar table (events, channels, scans), not a recording: open the recording beside it"}
	case KindRejected:
		if err := reject.Check(path); err != nil {
			return nil, err
		}
	}
	return nil, &formats.Error{File: path, Offset: -1, Msg: "unknown file type: want .edf, .bdf, .vhdr, .gdf, .fif, .xdf, .txt, .csv, .tsv or .inp"}
}

// withEvents adds the events of a sibling NAME-eve.fif (for NAME_raw.fif
// or NAME.fif) to the recording's annotations.
func withEvents(r *fif.Reader, path string) (formats.Recording, error) {
	base := strings.TrimSuffix(strings.TrimSuffix(path, ".fif"), "_raw")
	evPath := base + "-eve.fif"
	if _, err := os.Stat(evPath); err != nil {
		return r, nil
	}
	ev, err := fif.ReadEvents(evPath)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("events for %s: %w", path, err)
	}
	a := &annotated{Recording: r, info: *r.Info()}
	a.info.Annotations = formats.MergeAnnotations(a.info.Annotations,
		fif.EventsToAnnotations(ev, r.FirstSample(), a.info.SampleRate))
	return a, nil
}

// annotated is a recording with annotations added from elsewhere.
type annotated struct {
	formats.Recording
	info formats.Info
}

func (a *annotated) Info() *formats.Info { return &a.info }

// Find is Recordings with opt's channel files: with opt.ChannelFiles,
// the folders under path (itself included, recursively, in name order)
// that hold channel files, each one recording for File; a path that is
// a file stays itself. No such folder is an error.
func Find(path string, opt Options) ([]string, error) {
	if opt.ChannelFiles == "" {
		return Recordings(path)
	}
	if _, err := filepath.Match(opt.ChannelFiles, ""); err != nil {
		return nil, fmt.Errorf("channel files %q: %w", opt.ChannelFiles, err)
	}
	out, folder, err := under(path, func(p string, d fs.DirEntry) (bool, error) {
		if !d.IsDir() {
			return false, nil
		}
		files, err := ChannelFiles(p, opt.ChannelFiles)
		return len(files) > 0, err
	})
	if folder && err == nil && len(out) == 0 {
		return nil, fmt.Errorf("%s: no folder here holds channel files matching %q", path, opt.ChannelFiles)
	}
	return out, err
}

// under returns path itself when it is a file; under a folder, the paths
// keep takes as filepath.WalkDir visits them (the folder itself first),
// and folder true.
func under(path string, keep func(p string, d fs.DirEntry) (bool, error)) (out []string, folder bool, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, false, err
	}
	if !st.IsDir() {
		return []string{path}, false, nil
	}
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		ok, err := keep(p, d)
		if ok {
			out = append(out, p)
		}
		return err
	})
	if err != nil {
		return nil, true, err
	}
	return out, true, nil
}

// ChannelFiles returns the files directly in dir whose names match
// pattern, in name order.
func ChannelFiles(dir, pattern string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if ok, _ := filepath.Match(pattern, e.Name()); ok && !e.IsDir() {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	return files, nil
}

// Recordings returns path itself, or the recordings under a folder
// (recursively, those File can open) in name order; an empty folder is an
// error.
func Recordings(path string) ([]string, error) {
	out, folder, err := under(path, func(p string, d fs.DirEntry) (bool, error) { return !d.IsDir() && Recordable(p), nil })
	if err != nil {
		return nil, err
	}
	if folder && len(out) == 0 {
		return nil, fmt.Errorf("%s: no recordings in this folder", path)
	}
	sort.Strings(out)
	return out, nil
}
