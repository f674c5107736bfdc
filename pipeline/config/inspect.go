package config

import (
	"github.com/neurostream/neurostream/formats/open"
)

// Inspect opens the recording at path for open.Inspect as source.files
// reads it: a plain-text file with f's options (f.Paths is not used).
// Errors call those options by names, the caller's words for them.
func (f Files) Inspect(path string, names TextOptionNames) (*open.Inspection, error) {
	in, err := open.Inspect(path, f.OpenOptions())
	return in, names.Rename(err)
}
