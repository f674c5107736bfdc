// Package recordings finds, opens and picks the channels of the labelled
// recordings that the file-level trainers of models/seizure (ReadDataset)
// and models/ssvep (ReadCalibration) learn from, so that both take the
// same files, refuse the same ones and pick channels alike.
package recordings

import (
	"fmt"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
)

// Files returns the recordings of paths in order: a file itself, a
// folder's recordings (recursively, in name order).
func Files(paths []string) ([]string, error) {
	var files []string
	for _, d := range paths {
		fs, err := open.Recordings(d)
		if err != nil {
			return nil, err
		}
		files = append(files, fs...)
	}
	return files, nil
}

// Open opens the recording at path. A plain-text recording is refused:
// it carries no sample rate, and the trainers take none. what names the
// trainer in that error ("SSVEP calibration").
func Open(path, what string) (formats.Recording, error) {
	if open.Detect(path) == open.KindText {
		return nil, fmt.Errorf("%s: a plain-text recording carries no sample rate, and %s takes none: give recordings that do (EDF, BrainVision, GDF, FIF)", path, what)
	}
	return open.File(path, open.Options{})
}

// PickChannels returns the indices and labels of the named channels of a
// recording, or of all its EEG channels when names is empty; path names
// the recording in errors.
func PickChannels(info *formats.Info, names []string, path string) (idx []int, labels []string, err error) {
	if len(names) == 0 {
		for i, ch := range info.Channels {
			if ch.Type == formats.EEG {
				idx = append(idx, i)
				labels = append(labels, ch.Label)
			}
		}
		if len(idx) == 0 {
			return nil, nil, fmt.Errorf("%s: no EEG channels; name the channels to use", path)
		}
		return idx, labels, nil
	}
	all := info.Labels()
	for _, want := range names {
		i := slices.Index(all, want)
		if i < 0 {
			return nil, nil, fmt.Errorf("%s: no channel %q (channels: %s)", path, want, strings.Join(all, ","))
		}
		idx = append(idx, i)
		labels = append(labels, want)
	}
	return idx, labels, nil
}
