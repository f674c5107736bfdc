// Package bids finds the EEG recordings of a BIDS dataset (Brain Imaging
// Data Structure, EEG extension) and their SzCORE event annotations: the
// files sub-<label>/[ses-<label>/]eeg/sub-<label>[_ses-<label>]_task-<label>
// [_acq-<label>][_run-<index>]_eeg.<ext> below a dataset root, each with the
// sibling _events.tsv of the same name, as SzCORE datasets (e.g. those
// converted by epilepsy2bids) are laid out.
//
// Walk validates what it lists rather than skipping what it cannot parse:
// a recording whose name breaks the entity rules, or whose subject or
// session disagrees with its folders, is an error naming the file, because
// a silently dropped recording would bias every score computed over the
// dataset. Sidecars (*.json, *_channels.tsv, *_electrodes.tsv …), companion
// files (BrainVision .vmrk/.eeg, EEGLAB .fdt) and folders other than eeg
// (anat, beh …) are not recordings and are ignored, as are top-level
// folders that are not sub-* (derivatives, sourcedata, code).
//
// BIDS' inheritance principle (an events file higher in the tree applying
// to several recordings) is not followed: SzCORE datasets keep one events
// file beside each recording.
package bids

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/formats/szcore"
)

// Extensions are the EEG data file extensions of BIDS-EEG, in lower case:
// EDF, BDF, BrainVision header and EEGLAB. formats/open reads all but .set.
var Extensions = []string{".edf", ".bdf", ".vhdr", ".set"}

// Entities are the BIDS key-value pairs of an EEG file name, values
// without their keys ("01" for sub-01). Session, Acquisition and Run are
// empty when absent.
type Entities struct {
	Subject, Session, Task, Acquisition, Run string
}

// ID joins the entities in BIDS order, "sub-01_ses-01_task-szMonitoring_run-00":
// the file name without suffix and extension, which names the recording
// uniquely within a dataset.
func (e Entities) ID() string {
	parts := []string{"sub-" + e.Subject}
	if e.Session != "" {
		parts = append(parts, "ses-"+e.Session)
	}
	parts = append(parts, "task-"+e.Task)
	if e.Acquisition != "" {
		parts = append(parts, "acq-"+e.Acquisition)
	}
	if e.Run != "" {
		parts = append(parts, "run-"+e.Run)
	}
	return strings.Join(parts, "_")
}

// entityOrder is the order BIDS requires; task is the only one besides sub
// that EEG file names must have.
var entityOrder = []string{"sub", "ses", "task", "acq", "run"}

// ParseName parses an EEG data file name (no folders), e.g.
// "sub-01_ses-01_task-szMonitoring_run-00_eeg.edf", into its entities and
// extension (lower case, with the dot). Errors say what is wrong: a suffix
// other than _eeg, an extension not in Extensions, an unknown, repeated,
// misplaced or missing entity (sub and task are required), or a value that
// is not alphanumeric (run: digits only).
func ParseName(name string) (Entities, string, error) {
	var e Entities
	ext := strings.ToLower(path.Ext(name))
	if !slices.Contains(Extensions, ext) {
		return e, "", fmt.Errorf("extension %q is not a BIDS EEG data format (%s)", path.Ext(name), strings.Join(Extensions, ", "))
	}
	stem := name[:len(name)-len(ext)]
	fields := strings.Split(stem, "_")
	if len(fields) < 2 || fields[len(fields)-1] != "eeg" {
		return e, "", fmt.Errorf("name must end in _eeg%s (BIDS suffix eeg)", ext)
	}
	next := 0 // index in entityOrder of the earliest entity allowed next
	for _, f := range fields[:len(fields)-1] {
		key, val, ok := strings.Cut(f, "-")
		if !ok {
			return e, "", fmt.Errorf("%q is not a key-value entity (like task-rest)", f)
		}
		i := slices.Index(entityOrder, key)
		switch {
		case i < 0:
			return e, "", fmt.Errorf("entity %q is not one of %s", key, strings.Join(entityOrder, ", "))
		case i < next:
			return e, "", fmt.Errorf("entity %s- is repeated or out of order (BIDS order: %s)", key, strings.Join(entityOrder, ", "))
		case val == "":
			return e, "", fmt.Errorf("entity %s- has an empty value", key)
		}
		for _, c := range val {
			if !(c >= '0' && c <= '9' || key != "run" && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')) {
				if key == "run" {
					return e, "", fmt.Errorf("run-%s: a run is an index, digits only", val)
				}
				return e, "", fmt.Errorf("%s-%s: a label is letters and digits only", key, val)
			}
		}
		next = i + 1
		switch key {
		case "sub":
			e.Subject = val
		case "ses":
			e.Session = val
		case "task":
			e.Task = val
		case "acq":
			e.Acquisition = val
		case "run":
			e.Run = val
		}
	}
	switch {
	case e.Subject == "":
		return e, "", errors.New("the sub- entity is missing")
	case e.Task == "":
		return e, "", errors.New("the task- entity is missing")
	}
	return e, ext, nil
}

// Recording is one EEG recording of a dataset.
type Recording struct {
	Entities
	// EEG is the data file's path: below the root given to Walk, or a
	// slash-separated path within the fs.FS given to WalkFS.
	EEG string
	// Events is the sibling <ID>_events.tsv, the same kind of path as EEG;
	// empty when the recording has none.
	Events string
}

// Walk lists the EEG recordings below the BIDS root folder, sorted by ID
// (subject, session, task, acquisition, run). Paths are root joined with
// the file's place in the dataset. See WalkFS.
func Walk(root string) ([]Recording, error) {
	recs, err := WalkFS(os.DirFS(root))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", root, err)
	}
	for i := range recs {
		recs[i].EEG = filepath.Join(root, filepath.FromSlash(recs[i].EEG))
		if recs[i].Events != "" {
			recs[i].Events = filepath.Join(root, filepath.FromSlash(recs[i].Events))
		}
	}
	return recs, nil
}

// WalkFS lists the EEG recordings of the dataset rooted at fsys's ".":
// every data file (see Extensions) in a sub-<label>/eeg or
// sub-<label>/ses-<label>/eeg folder, with its events file. It is an error
// when there is no sub-* folder, when a data file's name does not parse
// (ParseName), when its sub- or ses- entity differs from its folders', and
// when two data files share an ID (e.g. the same recording as .edf and
// .bdf). A dataset with sub-* folders but no recordings is not an error.
func WalkFS(fsys fs.FS) ([]Recording, error) {
	top, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("bids: %w", err)
	}
	var recs []Recording
	subjects := 0
	for _, s := range top {
		if !s.IsDir() || !strings.HasPrefix(s.Name(), "sub-") {
			continue
		}
		subjects++
		sub := strings.TrimPrefix(s.Name(), "sub-")
		if !isLabel(sub) {
			return nil, fmt.Errorf("bids: folder %s: a subject label is letters and digits only", s.Name())
		}
		entries, err := fs.ReadDir(fsys, s.Name())
		if err != nil {
			return nil, fmt.Errorf("bids: %w", err)
		}
		for _, d := range entries {
			if !d.IsDir() {
				continue
			}
			switch {
			case d.Name() == "eeg":
				if recs, err = walkEEG(fsys, path.Join(s.Name(), "eeg"), sub, "", recs); err != nil {
					return nil, err
				}
			case strings.HasPrefix(d.Name(), "ses-"):
				ses := strings.TrimPrefix(d.Name(), "ses-")
				if !isLabel(ses) {
					return nil, fmt.Errorf("bids: folder %s/%s: a session label is letters and digits only", s.Name(), d.Name())
				}
				dir := path.Join(s.Name(), d.Name(), "eeg")
				if st, err := fs.Stat(fsys, dir); err != nil || !st.IsDir() {
					continue // a session without EEG (e.g. anat only)
				}
				if recs, err = walkEEG(fsys, dir, sub, ses, recs); err != nil {
					return nil, err
				}
			}
		}
	}
	if subjects == 0 {
		return nil, errors.New("bids: no sub-* folders: not a BIDS dataset root")
	}
	slices.SortFunc(recs, func(a, b Recording) int { return strings.Compare(a.ID(), b.ID()) })
	for i := 1; i < len(recs); i++ {
		if recs[i].ID() == recs[i-1].ID() {
			return nil, fmt.Errorf("bids: %s and %s are the same recording (%s)", recs[i-1].EEG, recs[i].EEG, recs[i].ID())
		}
	}
	return recs, nil
}

// walkEEG appends the recordings of one eeg folder of subject sub and
// session ses ("" without sessions) to recs.
func walkEEG(fsys fs.FS, dir, sub, ses string, recs []Recording) ([]Recording, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("bids: %w", err)
	}
	for _, f := range entries {
		ext := strings.ToLower(path.Ext(f.Name()))
		if f.IsDir() || !slices.Contains(Extensions, ext) {
			continue // sidecars, companions (.vmrk, .eeg, .fdt), events, other files
		}
		p := path.Join(dir, f.Name())
		e, _, err := ParseName(f.Name())
		if err != nil {
			return nil, fmt.Errorf("bids: %s: %w", p, err)
		}
		if e.Subject != sub {
			return nil, fmt.Errorf("bids: %s: sub-%s in the name, but the file is in folder sub-%s", p, e.Subject, sub)
		}
		if e.Session != ses {
			switch {
			case ses == "":
				return nil, fmt.Errorf("bids: %s: ses-%s in the name, but the file is not in a ses-%s folder", p, e.Session, e.Session)
			case e.Session == "":
				return nil, fmt.Errorf("bids: %s: no ses- entity in the name, but the file is in folder ses-%s", p, ses)
			default:
				return nil, fmt.Errorf("bids: %s: ses-%s in the name, but the file is in folder ses-%s", p, e.Session, ses)
			}
		}
		r := Recording{Entities: e, EEG: p}
		ev := path.Join(dir, e.ID()+"_events.tsv")
		if st, err := fs.Stat(fsys, ev); err == nil && st.Mode().IsRegular() {
			r.Events = ev
		}
		recs = append(recs, r)
	}
	return recs, nil
}

func isLabel(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// ReadEvents reads the recording's events file (a path from Walk, not
// WalkFS) with formats/szcore. A recording without one has no events and
// no error.
func (r Recording) ReadEvents() ([]szcore.Event, error) {
	if r.Events == "" {
		return nil, nil
	}
	return szcore.ReadFile(r.Events)
}
