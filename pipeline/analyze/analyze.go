// Package analyze plans what `neurostream analyze` runs on a recording:
// the pipeline configurations (package config) a user would write for it,
// chosen from what the recording holds, so that one command goes from "I
// have an EDF" to numbers; Run plans and runs them over recordings as the
// command does.
//
// Every recording gets the spectral pipeline: Welch PSD and band powers of
// its data channels (EEG, MEG) in 2 s windows every 1 s, nperseg 2 s of
// samples at the recording's own rate (0.5 Hz bins), the standard bands
// less those above its Nyquist frequency; with SSVEP target frequencies, an
// FBCCA ssvep stage too. A recording with the 19 EEG channels of the 10-20
// system also gets the seizure pipeline, the shipped example model
// (configs.SeizureSimModel) on its own windows, rate and reference, as
// configs/seizure-monitor.yaml runs it; otherwise the plan says why not.
package analyze

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/neurostream/neurostream/configs"
	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/models/seizure"
	"github.com/neurostream/neurostream/pipeline"
	"github.com/neurostream/neurostream/pipeline/config"
	"github.com/neurostream/neurostream/pipeline/stages"
)

// The spectral pipeline's window: 2 s windows every 1 s, the psd stage's
// default nperseg (2 s of samples) fitting once.
const (
	WindowSeconds = 2
	HopSeconds    = 1
)

// PSDMaxFrequency crops the psd rows (not the band powers) at 100 Hz, or
// the Nyquist frequency below it, so that a 20 kHz recording does not
// write 20 001 bins per channel and window.
const PSDMaxFrequency = 100

// ModelDisclaimer is said wherever the shipped seizure model is run.
const ModelDisclaimer = "the shipped seizure model (configs/models/seizure-sim.json) is an example trained on simulated EEG, not a clinical detector: its events show the pipeline at work and are no diagnosis; train one on your own labelled recordings with `neurostream train seizure`"

// Montage1020 are the seizure model's channels in its order: the 19 EEG
// electrodes of the 10-20 system of the SzCORE montage, in the old names
// T3, T4, T5, T6.
var Montage1020 = []string{"Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8", "T3", "C3", "Cz", "C4", "T4", "T5", "P3", "Pz", "P4", "T6", "O1", "O2"}

// aliases1010 are the 10-10 system's names of the 10-20 electrodes it
// renamed (same positions; MNE's standard_1020 montage holds both).
var aliases1010 = map[string]string{"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}

// maxResampleFactor bounds up and down of the resampling to the model's
// rate: beyond it the polyphase filter grows needlessly long, and a rate
// such as 173.61 Hz has no ratio of small integers to 256 Hz.
const maxResampleFactor = 1000

// Options configure the analysis of one recording.
type Options struct {
	// Out is the recording's results folder: the spectral pipeline's
	// files, and the seizure pipeline's under Out/seizure. Required.
	Out string
	// SampleRate in Hz of plain-text recordings, which carry none;
	// required for them. Unit of their values (V, mV, uV, nV).
	// Default: uV.
	SampleRate float64
	Unit       string
	// TimeColumn, MarkerColumn, ChannelFiles and ChannelLabels are
	// source.files' options of the same names (config.Files): CSV time
	// and marker columns, recordings stored one channel per file (a
	// folder of them is one recording), channel labels of plain-text
	// recordings. Default: none.
	TimeColumn, MarkerColumn, ChannelFiles string
	ChannelLabels                          []string
	// TextNames are what the user calls the plain-text options, for
	// errors. Default: config.TextKeys.
	TextNames config.TextOptionNames
	// SSVEPFrequencies, when given, add an ssvep stage (FBCCA) with these
	// target frequencies in Hz.
	SSVEPFrequencies []float64
	// SSVEPChannels are the channels the ssvep stage decodes. Default:
	// the data channels.
	SSVEPChannels []string
}

// OptionError is a problem with the options, not with the recording:
// the command's usage error.
type OptionError struct{ Err error }

func (e *OptionError) Error() string { return e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

// Plan is the analysis of one recording.
type Plan struct {
	Path string
	// Out is Options.Out.
	Out string
	// Info is the recording's header: format, channels, rate, length,
	// and the reader's warnings about a damaged file.
	Info formats.Info
	// Spectral is the psd (and ssvep) pipeline, on the recording as it is.
	Spectral *config.Config
	// Seizure is the seizure pipeline, nil when the recording does not
	// allow it; SeizureSkipped then says why.
	Seizure        *config.Config
	SeizureSkipped string
	// SeizureNotes say what the seizure pipeline does to the recording
	// (channel names taken for the model's, resampling, reference).
	SeizureNotes []string
}

// New reads path's header and plans its analysis. When the seizure
// pipeline applies it writes the model into Out/seizure (the stage reads
// it from there, and the folder keeps the model its results came from).
// Both pipelines are checked as `config validate` does and as their
// stages will check the recording's first chunk, so that a plan that
// cannot run fails here, naming the problem.
func New(path string, opt Options) (*Plan, error) {
	if opt.Out == "" {
		return nil, &OptionError{errors.New("analyze: no output folder")}
	}
	names := opt.TextNames
	if names == (config.TextOptionNames{}) {
		names = config.TextKeys
	}
	unit := opt.Unit
	if unit == "" {
		unit = "uV"
	}
	if err := CheckOptions([]string{path}, opt); err != nil {
		return nil, err
	}
	files := config.Files{Paths: []string{path}, SampleRate: opt.SampleRate, Unit: unit, TimeColumn: opt.TimeColumn,
		MarkerColumn: opt.MarkerColumn, ChannelFiles: opt.ChannelFiles, ChannelLabels: opt.ChannelLabels}
	if recs, err := open.Find(path, files.OpenOptions()); err == nil && len(recs) > 1 {
		// The plan's source reads path as source.files does, which would
		// take the folders of channel files below it too.
		return nil, fmt.Errorf("%s: a folder of channel files with more such folders below it (%s): give them one by one", path, recs[1])
	}
	rec, err := open.File(path, files.OpenOptions())
	if err != nil {
		return nil, names.Rename(err)
	}
	info := *rec.Info()
	rec.Close()
	if !(info.SampleRate > 0) {
		return nil, fmt.Errorf("%s: no sample rate in the header", path)
	}
	if d := info.Duration(); d < WindowSeconds {
		return nil, fmt.Errorf("%s: %.3g s of signal, shorter than the %d s analysis window", path, d, WindowSeconds)
	}
	p := &Plan{Path: path, Out: opt.Out, Info: info}

	c := config.Default()
	c.Name = "analyze"
	c.Source.Files = files
	c.Window = config.Window{LengthSeconds: WindowSeconds, HopSeconds: HopSeconds}
	c.Stages = []config.Stage{{Type: "psd", Options: map[string]any{"fmax": PSDMaxFrequency}}}
	if len(opt.SSVEPFrequencies) > 0 {
		o := map[string]any{"method": "fbcca", "frequencies": opt.SSVEPFrequencies}
		if len(opt.SSVEPChannels) > 0 {
			o["channels"] = opt.SSVEPChannels
		}
		c.Stages = append(c.Stages, config.Stage{Type: "ssvep", Options: o})
	}
	c.Output.Dir = opt.Out
	if err := check(&c, &info); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p.Spectral = &c

	if err := p.planSeizure(files); err != nil {
		return nil, err
	}
	return p, nil
}

// CheckOptions reports, before anything runs, what the options lack for
// paths (a plain-text recording without a rate) or get wrong, as an
// OptionError.
func CheckOptions(paths []string, opt Options) error {
	names := opt.TextNames
	if names == (config.TextOptionNames{}) {
		names = config.TextKeys
	}
	if opt.SampleRate < 0 || math.IsNaN(opt.SampleRate) || math.IsInf(opt.SampleRate, 0) {
		return &OptionError{fmt.Errorf("%s %v: want a rate in Hz", names.SampleRate, opt.SampleRate)}
	}
	for _, path := range paths {
		if opt.SampleRate == 0 && opt.TimeColumn == "" && (open.Detect(path) == open.KindText || opt.ChannelFiles != "" && isDir(path)) {
			return &OptionError{fmt.Errorf("%s: a plain-text recording carries no sample rate: give it with %s (Hz)", path, names.SampleRate)}
		}
	}
	for i, f := range opt.SSVEPFrequencies {
		if !(f > 0) || math.IsInf(f, 0) {
			return &OptionError{fmt.Errorf("SSVEP frequency %d: want a frequency in Hz, got %g", i+1, f)}
		}
	}
	return nil
}

// planSeizure sets p.Seizure, or p.SeizureSkipped.
func (p *Plan) planSeizure(files config.Files) error {
	m, err := seizure.Load(strings.NewReader(string(configs.SeizureSimModel)))
	if err != nil {
		return fmt.Errorf("analyze: the shipped seizure model: %w", err) // a build problem
	}
	fc := m.Features
	labels, renamed, missing := MatchMontage(p.Info.Channels, Montage1020)
	if len(missing) > 0 {
		lacks := "lacks " + strings.Join(missing, ", ")
		if len(labels) == 0 {
			var eeg []string
			for _, ch := range p.Info.Channels {
				if ch.Type == formats.EEG {
					eeg = append(eeg, ch.Label)
				}
			}
			if len(eeg) > 6 {
				eeg = append(eeg[:6], "…")
			}
			lacks = "has none of them"
			if len(eeg) > 0 {
				lacks += " among its EEG channels (" + strings.Join(eeg, ", ") + ")"
			}
		}
		p.SeizureSkipped = fmt.Sprintf("the model needs the 19 EEG channels of the 10-20 system (%s; labels matched ignoring case and an \"EEG \" prefix, T7/T8/P7/P8 taken for T3/T4/T5/T6); this recording %s",
			strings.Join(Montage1020, " "), lacks)
		return nil
	}
	window := float64(fc.WindowLen) / fc.SampleRate
	if d := p.Info.Duration(); d < window {
		p.SeizureSkipped = fmt.Sprintf("%.3g s of signal is shorter than the model's %g s window", d, window)
		return nil
	}
	var pre []config.Stage
	rate := p.Info.SampleRate
	if rate != fc.SampleRate {
		up, down, ok := dsp.RateRatio(fc.SampleRate, rate, maxResampleFactor)
		if !ok {
			p.SeizureSkipped = fmt.Sprintf("the model is for %g Hz, and %g Hz cannot be resampled to it by a ratio of integers up to %d", fc.SampleRate, rate, maxResampleFactor)
			return nil
		}
		pre = append(pre, config.Stage{Type: "resample", Options: map[string]any{"up": up, "down": down}})
		p.SeizureNotes = append(p.SeizureNotes, fmt.Sprintf("resampled from %g Hz to the model's %g Hz (×%d/%d, as scipy.signal.resample_poly)", rate, fc.SampleRate, up, down))
	}
	// The model was trained on the common average of its 19 channels:
	// other EEG channels stay out of the average.
	var others []string
	for _, ch := range p.Info.Channels {
		if ch.Type == formats.EEG && !slices.Contains(labels, ch.Label) {
			others = append(others, ch.Label)
		}
	}
	ref := map[string]any{"types": []string{"eeg"}}
	if len(others) > 0 {
		ref["exclude"] = others
	}
	pre = append(pre, config.Stage{Type: "reference", Options: ref})
	note := "re-referenced to the common average of the 19 channels, as the model was trained"
	if len(others) > 0 {
		note += fmt.Sprintf(" (the other %d EEG channels left out of it)", len(others))
	}
	p.SeizureNotes = append(p.SeizureNotes, note)
	if len(renamed) > 0 {
		p.SeizureNotes = append(p.SeizureNotes, "channels "+strings.Join(renamed, ", "))
	}

	dir := filepath.Join(p.Out, "seizure")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	model := filepath.Join(dir, configs.SeizureSimModelName)
	if err := os.WriteFile(model, configs.SeizureSimModel, 0o644); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	c := config.Default()
	c.Name = "analyze-seizure"
	c.Source.Files = files
	c.Preprocess = pre
	c.Window = config.Window{LengthSeconds: window, HopSeconds: 1}
	c.Stages = []config.Stage{{Type: "seizure", Options: map[string]any{"model": model, "channels": labels}}}
	c.Output.Dir = dir
	c.Output.SzCORE = dir
	if err := check(&c, &p.Info); err != nil {
		p.SeizureSkipped = err.Error()
		return nil
	}
	p.Seizure = &c
	return nil
}

// check validates c as `config validate` does, then builds its steps and
// stages for a session with the recording's channels and rate, as the run
// does at the session's first chunk, and returns what they refuse.
func check(c *config.Config, in *formats.Info) error {
	if err := c.Validate(); err != nil {
		return err
	}
	si := pipeline.SessionInfo{Session: "check", SampleRate: in.SampleRate, Channels: in.Channels}
	for i, st := range c.Preprocess {
		p, errs := stages.BuildPreprocess(st.Type, st.Name, st.Options)
		if errs != nil {
			return fmt.Errorf("preprocess[%d]: %w", i, errors.Join(errs...))
		}
		var err error
		if _, si, err = p.NewSession(si); err != nil {
			return fmt.Errorf("preprocess[%d] (%s): %w", i, st.Type, err)
		}
	}
	si.WindowLength = int64(math.Round(c.Window.LengthSeconds * si.SampleRate))
	var errs []error
	for i, st := range c.Stages {
		sb, serrs := stages.Build(st.Type, st.Name, st.Options)
		if serrs != nil {
			errs = append(errs, fmt.Errorf("stages[%d] (%s): %w", i, st.Type, errors.Join(serrs...)))
			continue
		}
		if rc, ok := sb.(stages.RateChecker); ok {
			if rerrs := rc.CheckRate(si.SampleRate, si.WindowLength); len(rerrs) > 0 {
				errs = append(errs, fmt.Errorf("stages[%d] (%s): %w", i, st.Type, errors.Join(rerrs...)))
				continue
			}
		}
		if _, err := sb.NewSession(si); err != nil {
			errs = append(errs, fmt.Errorf("stages[%d] (%s): %w", i, st.Type, err))
		}
	}
	return errors.Join(errs...)
}

// MatchMontage finds want's channels among the EEG channels of chs by
// label, ignoring case (as MNE's set_montage with match_case=False), blanks
// around, EDF's type prefix ("EEG Fp1", as MNE's read_raw_edf with
// infer_types=True) and the trailing dots of PhysioNet's labels ("Fp1."
// as MNE's eegbci.standardize), and taking the 10-10 names T7, T8, P7, P8
// for T3, T4, T5, T6. A label with a reference ("Fp1-Pz", "FP1-REF") is
// a derivation the model was not trained on and does not match. labels are the recording's labels in want's order; renamed
// says which labels stood for another name ("T7 for T3"); missing lists
// want's names not found, or found twice.
func MatchMontage(chs []formats.Channel, want []string) (labels, renamed, missing []string) {
	norm := func(s string) string {
		s = strings.ToLower(strings.TrimRight(strings.TrimSpace(s), "."))
		return strings.TrimSpace(strings.TrimPrefix(s, "eeg "))
	}
	for _, w := range want {
		var found []string
		for _, name := range []string{w, aliases1010[w]} {
			if name == "" {
				continue
			}
			for _, ch := range chs {
				if ch.Type == formats.EEG && norm(ch.Label) == norm(name) && !slices.Contains(found, ch.Label) {
					found = append(found, ch.Label)
				}
			}
			if len(found) > 0 {
				break // the 10-20 name first; the 10-10 one only without it
			}
		}
		if len(found) != 1 {
			label := w
			if len(found) > 1 {
				label += " (ambiguous: " + strings.Join(found, ", ") + ")"
			}
			missing = append(missing, label)
			continue
		}
		labels = append(labels, found[0])
		if norm(found[0]) != norm(w) {
			renamed = append(renamed, found[0]+" for "+w)
		}
	}
	return labels, renamed, missing
}

// Describe is one line about the recording: format, channels per type,
// rate and length.
func (p *Plan) Describe() string {
	counts := map[formats.ChannelType]int{}
	var types []formats.ChannelType
	for _, ch := range p.Info.Channels {
		if counts[ch.Type] == 0 {
			types = append(types, ch.Type)
		}
		counts[ch.Type]++
	}
	var parts []string
	for _, t := range types {
		parts = append(parts, fmt.Sprintf("%d %s", counts[t], t))
	}
	n := fmt.Sprintf("%d channels", len(p.Info.Channels))
	if len(p.Info.Channels) == 1 {
		n = "1 channel"
	}
	return fmt.Sprintf("%s, %s (%s), %g Hz, %.1f s", p.Info.Format, n, strings.Join(parts, ", "), p.Info.SampleRate, p.Info.Duration())
}

// OutDirs returns the results folder of each recording: out/analyze-ID
// by default (out = ""), else out itself for a single recording and
// out/ID for several, ID being the session id config.SessionID gives the
// file name (made unique: a second "rec" is "rec-2").
func OutDirs(out string, paths []string) []string {
	ids := config.SessionIDs{}
	dirs := make([]string, len(paths))
	for i, p := range paths {
		id := ids.Unique(config.SessionID(p))
		switch {
		case out == "":
			dirs[i] = filepath.Join("out", "analyze-"+id)
		case len(paths) == 1:
			dirs[i] = out
		default:
			dirs[i] = filepath.Join(out, id)
		}
	}
	return dirs
}

// isDir reports whether path is a folder (with Options.ChannelFiles, a
// recording of plain-text channel files).
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// Recordings expands folders among paths into the recordings under them
// (as source.files.paths does, with channelFiles as source.files.
// channel_files: folders of channel files), keeping files as given.
func Recordings(paths []string, channelFiles string) ([]string, error) {
	var out []string
	for _, p := range paths {
		files, err := open.Find(p, open.Options{ChannelFiles: channelFiles})
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("%s: no recordings in this folder", p)
		}
		out = append(out, files...)
	}
	return out, nil
}

// implausibleShare is the share of a recording in seizure events past
// which the example model is taken not to fit the recording: seizures
// fill a few per cent of even an epilepsy monitoring recording, so a
// detector that calls most of one ictal is reading something else
// (amplitude scale, montage, artefacts) as seizure.
const implausibleShare = 0.5

// SeizureCaution reads the SzCORE annotation file the seizure pipeline
// wrote and returns a warning when its events cover more than half of the
// recording, or "" when they do not.
func (p *Plan) SeizureCaution() (string, error) {
	if p.Seizure == nil {
		return "", nil
	}
	var files []string
	err := filepath.WalkDir(p.Seizure.Output.SzCORE, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, "_events.tsv") {
			files = append(files, path)
		}
		return err
	})
	if err != nil || len(files) != 1 {
		return "", fmt.Errorf("analyze: the seizure pipeline's annotation file: %d files, %v", len(files), err)
	}
	evs, err := szcore.ReadFile(files[0])
	if err != nil {
		return "", err
	}
	var ictal, total float64
	for _, e := range evs {
		if szcore.IsSeizure(e.EventType) {
			ictal += e.Duration
		}
		total = e.RecordingDuration
	}
	if !(total > 0) || ictal <= implausibleShare*total {
		return "", nil
	}
	return fmt.Sprintf("the events cover %.0f%% of the recording: the example model, trained on simulated EEG, does not fit this recording (amplitude scale, montage, artefacts); read these events as meaningless", 100*ictal/total), nil
}
