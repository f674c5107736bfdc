package seizure

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/models/internal/recordings"
)

// DatasetConfig configures ReadDataset: which windows are cut from the
// recordings, how they are labelled and which features they give. Zero
// fields take the defaults.
type DatasetConfig struct {
	// Window is the window length in s. Default: 4.
	Window float64
	// Hop is the time between window starts in s. Default: 2.
	Hop float64
	// Labels are the annotation descriptions that mark seizures, compared
	// case-insensitively, surrounding spaces ignored. Default:
	// ["seizure"], what simulated sessions carry.
	Labels []string
	// EventsDir is a folder of SzCORE <name>_events.tsv files, whose
	// seizure rows are seizure spans too. Default: "", the events file next
	// to each recording.
	EventsDir string
	// Channels are the channels to use, in this order. Default: every EEG
	// channel.
	Channels []string
	// Reference "average" re-references the EEG channels to their mean
	// before the features, as the pipeline's reference step. Default: "",
	// as recorded.
	Reference string
	// Coherence and Extended add those features (FeatureConfig). Default:
	// false.
	Coherence, Extended bool
	// Notes receives a line for each recording skipped or lacking labels.
	// Default: nil, discarded.
	Notes io.Writer
}

// Dataset is every labelled window cut from a set of recordings, as
// feature vectors, with where each window came from (for grouped
// cross-validation).
type Dataset struct {
	// Window and Hop are the window length and hop in s.
	Window, Hop float64
	// Features is the feature spec of the windows (the first recording's
	// rate, the picked channels), defaults filled in.
	Features FeatureConfig
	// Channels are the picked channels' labels, of the first recording.
	Channels []string
	// Recordings counts the recordings that gave windows.
	Recordings int
	// X and Y are the windows' features and labels (true = seizure).
	X [][]float64
	Y []bool
	// Recording is the index (among Recordings) of each window's
	// recording; Position its index among that recording's windows,
	// skipped windows included.
	Recording, Position []int
}

// ReadDataset cuts windows of cfg.Window s every cfg.Hop s from each
// recording of paths (files, or folders searched recursively). A window
// fully inside a seizure span is ictal, one touching no span is
// background, and windows partly overlapping a span are skipped. Seizure
// spans are the annotations whose description is one of cfg.Labels and
// the seizure rows (eventType sz*) of the recording's SzCORE events file:
// <name>_events.tsv next to it (a trailing _eeg of the name dropped) or in
// cfg.EventsDir. All recordings must share the sample rate and the number
// of channels picked.
func ReadDataset(paths []string, cfg DatasetConfig) (*Dataset, error) {
	cfg = cfg.withDefaults()
	if !(cfg.Window > 0) || !(cfg.Hop > 0) {
		return nil, fmt.Errorf("seizure: window %v s, hop %v s: want lengths > 0", cfg.Window, cfg.Hop)
	}
	if cfg.Reference != "" && cfg.Reference != "average" {
		return nil, fmt.Errorf("seizure: reference %q: want average (or nothing: as recorded)", cfg.Reference)
	}
	files, err := recordings.Files(paths)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("seizure: no recordings found")
	}
	d := &Dataset{Window: cfg.Window, Hop: cfg.Hop}
	var ext *Extractor
	for _, f := range files {
		if err := d.add(f, cfg, &ext); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (c DatasetConfig) withDefaults() DatasetConfig {
	if c.Window == 0 {
		c.Window = 4
	}
	if c.Hop == 0 {
		c.Hop = 2
	}
	if len(c.Labels) == 0 {
		c.Labels = []string{"seizure"}
	}
	if c.Notes == nil {
		c.Notes = io.Discard
	}
	return c
}

// Counts returns the number of seizure and background windows.
func (d *Dataset) Counts() (seizure, background int) {
	for _, l := range d.Y {
		if l {
			seizure++
		}
	}
	return seizure, len(d.Y) - seizure
}

// String summarises d: recordings, windows per class, rate and channels.
func (d *Dataset) String() string {
	ictal, back := d.Counts()
	return fmt.Sprintf("%d recordings, %d windows of %v s every %v s at %v Hz, %d channels (%s)\n  seizure: %d windows\n  background: %d windows",
		d.Recordings, len(d.Y), d.Window, d.Hop, d.Features.SampleRate, d.Features.Channels, strings.Join(d.Channels, ","), ictal, back)
}

// add cuts the windows of the recording at path; *ext is the feature plan,
// made from the first recording.
func (d *Dataset) add(path string, cfg DatasetConfig, ext **Extractor) error {
	r, err := recordings.Open(path, "seizure training")
	if err != nil {
		return err
	}
	defer r.Close()
	info := r.Info()
	spans, err := seizureSpans(path, info.Annotations, cfg)
	if err != nil {
		return err
	}
	idx, labels, err := recordings.PickChannels(info, cfg.Channels, path)
	if err != nil {
		return err
	}
	if *ext == nil {
		w := int(math.Round(cfg.Window * info.SampleRate))
		e, err := NewExtractor(FeatureConfig{SampleRate: info.SampleRate, WindowLen: w, Channels: len(idx),
			Coherence: cfg.Coherence, Extended: cfg.Extended})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		*ext, d.Features, d.Channels = e, e.Config(), labels
	} else if info.SampleRate != d.Features.SampleRate || len(idx) != d.Features.Channels {
		return fmt.Errorf("%s: %v Hz, %d channels; earlier recordings: %v Hz, %d channels",
			path, info.SampleRate, len(idx), d.Features.SampleRate, d.Features.Channels)
	}
	all, err := formats.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if cfg.Reference == "average" {
		// As the pipeline's reference step: EEG channels re-referenced to
		// their mean, other channels untouched.
		ref := dsp.AverageReference{Exclude: make([]bool, len(info.Channels)), KeepExcluded: true}
		for i, ch := range info.Channels {
			ref.Exclude[i] = ch.Type != formats.EEG
		}
		if _, err := ref.Apply(all, all); err != nil {
			return fmt.Errorf("%s: reference average: %w", path, err)
		}
	}
	picked := make([][]float64, len(idx))
	for i, k := range idx {
		picked[i] = all[k]
	}
	if d.cut(*ext, picked, spans, cfg.Hop) == 0 {
		fmt.Fprintf(cfg.Notes, "note: %s: shorter than one window, skipped\n", path)
		return nil
	}
	if len(spans) == 0 {
		fmt.Fprintf(cfg.Notes, "note: %s: no seizure labels, background windows only\n", path)
	}
	d.Recordings++
	return nil
}

// cut appends the labelled windows of one recording's picked channels
// and returns how many windows it holds, skipped ones included.
func (d *Dataset) cut(ext *Extractor, data [][]float64, spans []span, hopSeconds float64) int {
	rate := d.Features.SampleRate
	wlen := d.Features.WindowLen
	hop := max(1, int(math.Round(hopSeconds*rate)))
	win := make([][]float64, len(data))
	n := 0
	for start := 0; len(data) > 0 && start+wlen <= len(data[0]); start += hop {
		c := windowClass(float64(start)/rate, float64(start+wlen)/rate, spans)
		if c >= 0 {
			for i, x := range data {
				win[i] = x[start : start+wlen]
			}
			d.X = append(d.X, ext.Features(nil, win))
			d.Y = append(d.Y, c == 1)
			d.Recording = append(d.Recording, d.Recordings)
			d.Position = append(d.Position, n)
		}
		n++
	}
	return n
}

// span is a labelled seizure in seconds from the recording start.
type span struct{ on, off float64 }

// seizureSpans returns the merged seizure spans of a recording: its
// annotations with a seizure label and the seizure rows of its SzCORE
// events file.
func seizureSpans(path string, annotations []formats.Annotation, cfg DatasetConfig) ([]span, error) {
	var spans []span
	for _, a := range annotations {
		for _, l := range cfg.Labels {
			if strings.EqualFold(strings.TrimSpace(a.Description), strings.TrimSpace(l)) {
				spans = append(spans, span{a.Onset, a.Onset + a.Duration})
				break
			}
		}
	}
	if tsv := szcoreSibling(path, cfg.EventsDir); tsv != "" {
		evs, err := szcore.ReadFile(tsv)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if szcore.IsSeizure(e.EventType) {
				spans = append(spans, span{e.Onset, e.Offset()})
			}
		}
	} else if cfg.EventsDir != "" {
		fmt.Fprintf(cfg.Notes, "note: %s: no events TSV in %s\n", path, cfg.EventsDir)
	}
	return mergeSpans(spans), nil
}

// mergeSpans sorts spans and merges the overlapping and touching ones.
func mergeSpans(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.on, b.on) })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 && s.on <= out[n-1].off {
			out[n-1].off = max(out[n-1].off, s.off)
			continue
		}
		out = append(out, s)
	}
	return out
}

// windowClass returns 1 for a window [t0, t1) s fully inside a span, 0 for
// one touching no span and -1 (skip) otherwise. spans are merged.
func windowClass(t0, t1 float64, spans []span) int {
	for _, s := range spans {
		if t0 >= s.on && t1 <= s.off {
			return 1
		}
		if t0 < s.off && t1 > s.on {
			return -1
		}
	}
	return 0
}

// szcoreSibling returns the SzCORE events file of recording path: in dir
// when given, else next to it; "" when there is none.
func szcoreSibling(path, dir string) string {
	base := filepath.Base(path)
	base = strings.TrimSuffix(base, filepath.Ext(base))
	if dir == "" {
		dir = filepath.Dir(path)
	}
	names := []string{base + "_events.tsv"}
	if b, ok := strings.CutSuffix(base, "_eeg"); ok {
		names = append(names, b+"_events.tsv")
	}
	for _, n := range names {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return ""
}
