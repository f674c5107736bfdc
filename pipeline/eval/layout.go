package eval

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/neurostream/neurostream/formats/bids"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/config"
	"github.com/neurostream/neurostream/pipeline/train"
)

// Recording is one recording of an evaluation folder and its place in the
// folder's layout.
type Recording struct {
	// Subject is the BIDS subject ("sub-01") of a BIDS file name, else the
	// name of the folder holding the recording ("subject01"), or of the
	// one above when that is a session folder (subject1/session1/).
	Subject string
	// Session is the rest of a BIDS file's entities ("ses-01_task-x"),
	// else the recording's file name without extension and _raw suffix
	// (config.SessionID), after its session folder's name if it has one
	// ("session1/data_2017").
	Session string
	// Spec is how run opens it; Spec.Name is its path.
	Spec pipeline.RecordingSpec
}

// Recordings lists the recordings of in.Files as run lists them
// (config.Config.Recordings), with their subject and session.
func Recordings(in train.Input) ([]Recording, error) {
	c := config.Default()
	c.Source.Files = in.Files
	if c.Source.Files.Unit == "" {
		c.Source.Files.Unit = "uV"
	}
	// Only the input is checked: any window will do.
	c.Window = config.Window{LengthSeconds: 1, HopSeconds: 1}
	if len(c.Source.Files.Paths) == 0 {
		return nil, in.Rename(fmt.Errorf("eval: no recordings: give source.files.paths"))
	}
	if err := c.ValidateInput(); err != nil {
		return nil, in.Rename(err)
	}
	specs, err := c.Recordings()
	if err != nil {
		return nil, in.Rename(err)
	}
	recs := make([]Recording, len(specs))
	for i, s := range specs {
		recs[i] = Recording{Spec: s}
		recs[i].Subject, recs[i].Session = layout(s.Name)
	}
	return recs, nil
}

// layout returns the subject and session of the recording at path: a
// BIDS name's entities, else the folder holding it and its name, or the
// folder above a session folder and session/name. The
// session id is run's without the suffix that keeps it unique in a run
// (another file of the same name elsewhere, a GDF twin): sessions are
// told apart within their subject.
func layout(path string) (subject, session string) {
	if e, _, err := bids.ParseName(filepath.Base(path)); err == nil {
		subject = "sub-" + e.Subject
		session = strings.TrimPrefix(strings.TrimPrefix(e.ID(), subject), "_")
		return subject, session
	}
	dir := filepath.Dir(path)
	if parent := filepath.Base(dir); sessionFolder.MatchString(parent) {
		return filepath.Base(filepath.Dir(dir)), parent + "/" + config.SessionID(path)
	}
	return filepath.Base(dir), config.SessionID(path)
}

// sessionFolder matches the name of a session folder inside a subject's
// (subject1/session1/, as the Muse set has).
var sessionFolder = regexp.MustCompile(`(?i)^(ses|session)[-_]?[a-z0-9]*$`)

// only returns in reading the one recording at path.
func only(in train.Input, path string) train.Input {
	in.Files.Paths = []string{path}
	return in
}
