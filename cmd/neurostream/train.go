package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/models/ssvep"
)

func newTrainCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train decoders from labelled calibration recordings",
	}
	cmd.AddCommand(newTrainSSVEPCmd())
	cmd.AddCommand(newTrainSeizureCmd())
	cmd.AddCommand(newTrainTokenizerCmd())
	return cmd
}

// trainSSVEPOptions are the flags of `neurostream train ssvep`.
type trainSSVEPOptions struct {
	data      []string
	events    string
	rest      []string
	offset    float64
	length    float64
	method    string
	channels  []string
	out       string
	notch     float64
	noControl string
	subBands  int
	noCV      bool
}

func newTrainSSVEPCmd() *cobra.Command {
	var o trainSSVEPOptions
	cmd := &cobra.Command{
		Use:   "ssvep --data FILES|DIRS --events CODE=FREQ,... --length S --out MODEL.json",
		Short: "Train a TRCA or ensemble TRCA SSVEP model from calibration trials",
		Long: "ssvep cuts a trial of --length seconds at every listed event's onset plus --offset seconds from each\n" +
			"recording (events are annotations whose description is the code: FIF -eve.fif events, EDF+/GDF\n" +
			"annotations, simulated \"ssvep/<f>Hz\" trials), trains TRCA or ensemble TRCA with the default filter\n" +
			"bank (Chen's 5 sub-bands, zero-phase) and writes the versioned model file (models/ssvep, LoadTRCA).\n" +
			"Trials of --rest codes calibrate a no-control rule (--no-control) for asynchronous use.\n\n" +
			"It prints the trials per class and a leave-one-trial-out accuracy estimate over the target trials\n" +
			"(argmax, no rest detection; one model trained per held-out trial, --no-cv skips it).\n\n" +
			"TRCA needs stimulation phase-locked to the event onsets: on recordings without it (the exoskeleton\n" +
			"data) its accuracy stays at chance, and the training-free fbcca stage is the decoder (docs/ssvep.md).",
		Example: "  neurostream simulate --out calibration.edf --duration 146 --ssvep 8,11,13,15 --seed 1\n" +
			"  neurostream train ssvep --data calibration.edf --events 'ssvep/8Hz=8,ssvep/11Hz=11,ssvep/13Hz=13,ssvep/15Hz=15' \\\n" +
			"      --notch 50 --offset 0.1 --length 2 --method etrca --out ssvep.json\n" +
			"  neurostream train ssvep --data subject01/ --events 2=13,3=21,4=17 --rest 1 --notch 50 \\\n" +
			"      --offset 0.14 --length 4 --method etrca --out subject01.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrainSSVEP(cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.data, "data", nil, "calibration recordings: files or folders (searched recursively)")
	f.StringVar(&o.events, "events", "", "event codes and their stimulus frequencies in Hz: CODE=FREQ,...")
	f.StringSliceVar(&o.rest, "rest", nil, "event codes of no-control (rest) trials")
	f.Float64Var(&o.offset, "offset", 0, "trial start after the event onset in s (visual latency)")
	f.Float64Var(&o.length, "length", 0, "trial length in s: the decision window the model scores")
	f.StringVar(&o.method, "method", "etrca", "trca or etrca (ensemble TRCA)")
	f.StringSliceVar(&o.channels, "channels", nil, "channels to use, in this order (default: every EEG channel)")
	f.StringVar(&o.out, "out", "", "model file to write (JSON)")
	f.Float64Var(&o.notch, "notch", 0, "mains frequency in Hz to notch (causal, Q 30) before cutting trials; 0: none")
	f.StringVar(&o.noControl, "no-control", "margin", "no-control rule calibrated on --rest trials: top or margin")
	f.IntVar(&o.subBands, "sub-bands", 0, "filter-bank sub-bands (default 5; 1 is plain TRCA on [6, 90] Hz)")
	f.BoolVar(&o.noCV, "no-cv", false, "skip the leave-one-trial-out accuracy estimate")
	return cmd
}

// parseSSVEPEvents parses CODE=FREQ,... and the rest codes into a code →
// label map and the ascending distinct frequencies the labels index.
func parseSSVEPEvents(spec string, rest []string) (map[string]int, []float64, error) {
	byCode := map[string]float64{}
	var freqs []float64
	for item := range strings.SplitSeq(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		i := strings.LastIndex(item, "=")
		if i <= 0 {
			return nil, nil, fmt.Errorf("--events %q: want CODE=FREQ", item)
		}
		code := item[:i]
		f, err := strconv.ParseFloat(strings.TrimSpace(item[i+1:]), 64)
		if err != nil || !(f > 0) {
			return nil, nil, fmt.Errorf("--events %q: frequency must be a positive number", item)
		}
		if _, dup := byCode[code]; dup {
			return nil, nil, fmt.Errorf("--events: code %q given twice", code)
		}
		byCode[code] = f
		if !slices.Contains(freqs, f) {
			freqs = append(freqs, f)
		}
	}
	if len(freqs) < 2 {
		return nil, nil, errors.New("--events: give at least two target frequencies (CODE=FREQ,...)")
	}
	slices.Sort(freqs)
	codes := map[string]int{}
	for c, f := range byCode {
		codes[c] = slices.Index(freqs, f)
	}
	for _, c := range rest {
		if _, dup := codes[c]; dup {
			return nil, nil, fmt.Errorf("--rest %q is also a target code", c)
		}
		codes[c] = ssvep.Rest
	}
	return codes, freqs, nil
}

// ssvepCalibration is every trial cut from the calibration recordings.
type ssvepCalibration struct {
	rate     float64
	channels []string
	files    int // recordings with trials
	trials   [][][]float64
	labels   []int
}

// add reads the picked channels of path (every EEG channel
// when picks is empty), notches them, and cuts its trials.
func (c *ssvepCalibration) add(path string, o trainSSVEPOptions, codes map[string]int, stderr io.Writer) error {
	if open.Detect(path) == open.KindText {
		return fmt.Errorf("%s: a plain-text recording carries no sample rate, and train ssvep takes none: give recordings that do (EDF, BrainVision, GDF, FIF)", path)
	}
	r, err := open.File(path, open.Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	info := r.Info()
	n := 0
	for _, a := range info.Annotations {
		if _, ok := codes[a.Description]; ok {
			n++
		}
	}
	if n == 0 {
		fmt.Fprintf(stderr, "note: %s: none of the listed events, skipped\n", path)
		return nil
	}
	idx, labels, err := pickChannels(info, o.channels, path)
	if err != nil {
		return err
	}
	if c.channels == nil {
		c.rate, c.channels = info.SampleRate, labels
	} else if info.SampleRate != c.rate || !slices.Equal(labels, c.channels) {
		return fmt.Errorf("%s: %v Hz, channels %s; earlier recordings: %v Hz, channels %s",
			path, info.SampleRate, strings.Join(labels, ","), c.rate, strings.Join(c.channels, ","))
	}
	all, err := formats.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	data := make([][]float64, len(idx))
	for i, k := range idx {
		data[i] = all[k]
	}
	if o.notch > 0 {
		sos, err := dsp.Notch(o.notch, 30, info.SampleRate)
		if err != nil {
			return fmt.Errorf("--notch: %w", err)
		}
		f, err := dsp.NewSOSFilter(sos, len(data), dsp.InitSteady)
		if err != nil {
			return err
		}
		f.FilterChannels(data, data)
	}
	trials, tl, skipped := ssvep.EventTrials(data, info.SampleRate, info.Annotations, codes, o.offset, o.length)
	if skipped > 0 {
		fmt.Fprintf(stderr, "note: %s: %d trials run past the recording, skipped\n", path, skipped)
	}
	c.trials = append(c.trials, trials...)
	c.labels = append(c.labels, tl...)
	c.files++
	return nil
}

func runTrainSSVEP(stdout, stderr io.Writer, o trainSSVEPOptions) error {
	if len(o.data) == 0 || o.events == "" || o.out == "" {
		return errors.New("give --data, --events and --out")
	}
	if !(o.length > 0) {
		return errors.New("--length: give the trial length in s (> 0)")
	}
	var ensemble bool
	switch o.method {
	case "trca":
	case "etrca":
		ensemble = true
	default:
		return fmt.Errorf("--method %q: want trca or etrca", o.method)
	}
	codes, freqs, err := parseSSVEPEvents(o.events, o.rest)
	if err != nil {
		return err
	}
	cfg := ssvep.TRCAConfig{Freqs: freqs, Ensemble: ensemble, FilterBank: ssvep.FilterBankConfig{SubBands: o.subBands}}
	if len(o.rest) > 0 {
		cfg.NoControl = ssvep.NoControlRule(o.noControl)
		if cfg.NoControl == ssvep.NoControlNone || !cfg.NoControl.Valid() {
			return fmt.Errorf("--no-control %q: want top or margin", o.noControl)
		}
	}
	var files []string
	for _, d := range o.data {
		fs, err := open.Recordings(d)
		if err != nil {
			return err
		}
		files = append(files, fs...)
	}
	var cal ssvepCalibration
	for _, f := range files {
		if err := cal.add(f, o, codes, stderr); err != nil {
			return err
		}
	}
	if len(cal.trials) == 0 {
		return errors.New("no trials: none of the recordings holds the listed events")
	}
	cfg.SampleRate, cfg.Channels = cal.rate, cal.channels

	counts := make([]int, len(freqs))
	rest := 0
	for _, l := range cal.labels {
		if l == ssvep.Rest {
			rest++
		} else {
			counts[l]++
		}
	}
	fmt.Fprintf(stdout, "%d recordings, %d trials of %v s at %v Hz, %d channels (%s)\n",
		cal.files, len(cal.trials), o.length, cal.rate, len(cal.channels), strings.Join(cal.channels, ","))
	for k, f := range freqs {
		fmt.Fprintf(stdout, "  %v Hz: %d trials\n", f, counts[k])
	}
	if len(o.rest) > 0 {
		fmt.Fprintf(stdout, "  rest: %d trials\n", rest)
	}

	model, err := ssvep.TrainTRCA(cfg, cal.trials, cal.labels)
	if err != nil {
		return err
	}
	if !o.noCV {
		correct, total, err := leaveOneTrialOut(cfg, cal.trials, cal.labels)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "leave-one-trial-out accuracy (%s, targets only): %d/%d = %.1f%% (chance %.1f%%)\n",
			o.method, correct, total, 100*float64(correct)/float64(total), 100/float64(len(freqs)))
	}
	if nc := model.NoControl(); nc.Rule != ssvep.NoControlNone {
		fmt.Fprintf(stdout, "no-control rule %s, threshold %.6g\n", nc.Rule, nc.Threshold)
	}
	if err := writeFile(o.out, model.Save); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "model written to %s\n", o.out)
	return nil
}

// leaveOneTrialOut trains one model per target trial on the other target
// trials (rest trials and no-control aside) and counts the held-out trials
// whose top score is their target.
func leaveOneTrialOut(cfg ssvep.TRCAConfig, trials [][][]float64, labels []int) (correct, total int, err error) {
	cfg.NoControl = ssvep.NoControlNone
	var x [][][]float64
	var y []int
	for i, l := range labels {
		if l != ssvep.Rest {
			x, y = append(x, trials[i]), append(y, l)
		}
	}
	tx := make([][][]float64, 0, len(x)-1)
	ty := make([]int, 0, len(y)-1)
	var scores []float64
	for i := range x {
		tx, ty = append(append(tx[:0], x[:i]...), x[i+1:]...), append(append(ty[:0], y[:i]...), y[i+1:]...)
		m, err := ssvep.TrainTRCA(cfg, tx, ty)
		if err != nil {
			return 0, 0, fmt.Errorf("leave-one-trial-out (trial %d held out): %w (--no-cv skips the estimate)", i, err)
		}
		scores, err = m.Scores(scores, x[i])
		if err != nil {
			return 0, 0, err
		}
		if ssvep.Argmax(scores) == y[i] {
			correct++
		}
		total++
	}
	return correct, total, nil
}

// writeFile creates path and writes it with write; a failed close is an
// error too (the data may not be on disk).
func writeFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	return write(f)
}

// pickChannels returns the indices and labels of the named channels of a
// recording, or of all its EEG channels when names is empty.
func pickChannels(info *formats.Info, names []string, path string) (idx []int, labels []string, err error) {
	if len(names) == 0 {
		for i, ch := range info.Channels {
			if ch.Type == formats.EEG {
				idx = append(idx, i)
				labels = append(labels, ch.Label)
			}
		}
		if len(idx) == 0 {
			return nil, nil, fmt.Errorf("%s: no EEG channels; name them with --channels", path)
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
