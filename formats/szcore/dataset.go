package szcore

import (
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Subject is one sub-* folder of a dataset and its annotation files.
type Subject struct {
	// Name is the folder name, e.g. "sub-01".
	Name string
	// Files are the annotation files below it, as slash-separated paths
	// relative to the dataset root, sorted.
	Files []string
}

// sidecars are BIDS tabular files that are not event annotations.
var sidecars = []string{
	"_channels.tsv", "_electrodes.tsv", "_scans.tsv", "_sessions.tsv", "_optodes.tsv",
	"_beh.tsv", "_motion.tsv", "_physio.tsv", "_stim.tsv", "_blood.tsv",
}

// IsAnnotationFile reports whether a file name is taken as an annotation
// file in a dataset: it ends in .tsv and is not one of BIDS' other tabular
// sidecars (_channels.tsv, _electrodes.tsv, _scans.tsv, …).
func IsAnnotationFile(name string) bool {
	if !strings.HasSuffix(name, ".tsv") {
		return false
	}
	for _, s := range sidecars {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

// ListDataset lists the subjects of an SzCORE/BIDS dataset and their
// annotation files, the way szcore-evaluation 0.0.7 walks a reference
// folder: each top-level folder matching sub-* is a subject, and every
// annotation file anywhere below it (typically
// sub-*/ses-*/eeg/sub-*_ses-*_task-*_run-*_events.tsv) is a recording.
// szcore-evaluation takes every *.tsv, so it would also try to read BIDS
// sidecars such as *_channels.tsv as annotations and fail; those are
// skipped here (see IsAnnotationFile). Subjects are sorted by name and may
// have no files. Symbolic links to files count; links to folders are not
// followed.
func ListDataset(fsys fs.FS) ([]Subject, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, err
	}
	var subjects []Subject
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "sub-") {
			continue
		}
		s := Subject{Name: e.Name()}
		err := fs.WalkDir(fsys, e.Name(), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !IsAnnotationFile(path.Base(p)) {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 { // a link to a file counts, as in Python's glob
				info, err := fs.Stat(fsys, p)
				if err != nil || !info.Mode().IsRegular() {
					return nil
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			s.Files = append(s.Files, p)
			return nil
		})
		if err != nil {
			return nil, err
		}
		slices.Sort(s.Files)
		subjects = append(subjects, s)
	}
	slices.SortFunc(subjects, func(a, b Subject) int { return strings.Compare(a.Name, b.Name) })
	return subjects, nil
}
