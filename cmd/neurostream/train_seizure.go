package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/models/metrics"
	"github.com/neurostream/neurostream/models/seizure"
)

// trainSeizureOptions are the flags of `neurostream train seizure`.
type trainSeizureOptions struct {
	data       []string
	labels     []string
	eventsTSV  string
	window     float64
	hop        float64
	channels   []string
	lambda     float64
	coherence  bool
	folds      int
	seed       uint64
	noCV       bool
	out        string
	reference  string
	classifier string
	extended   bool
}

func newTrainSeizureCmd() *cobra.Command {
	var o trainSeizureOptions
	cmd := &cobra.Command{
		Use:   "seizure --data FILES|DIRS --window S --hop S --out MODEL.json",
		Short: "Train a seizure detector (logistic regression on window features) from annotated recordings",
		Long: "seizure cuts windows of --window seconds every --hop seconds from each recording. Seizure spans are\n" +
			"annotations whose description is one of --labels (EDF+/GDF annotations, simulated \"seizure\") and the\n" +
			"seizure rows (eventType sz*) of an SzCORE events TSV: <name>_events.tsv next to the recording (a\n" +
			"trailing _eeg of the name dropped), or in --events-tsv DIR. A window fully inside a span is ictal,\n" +
			"one touching no span is background, and windows partly overlapping a span are skipped.\n\n" +
			"It trains a class-balanced L2 logistic regression (models/seizure) on all windows, writes the\n" +
			"versioned model file (seizure.Load), prints the windows per class and a k-fold cross-validated\n" +
			"balanced accuracy (threshold 0.5) and AUROC over the pooled out-of-fold windows, folds grouped by\n" +
			"recording when there are at least k recordings, otherwise by contiguous blocks of windows.",
		Example: "  neurostream train seizure --data sessions/ --window 4 --hop 2 --out seizure.json\n" +
			"  neurostream train seizure --data sub-01/ --events-tsv annotations/ --channels Fp1,Fp2,T3,T4 --out m.json",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrainSeizure(cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.data, "data", nil, "recordings: files or folders (searched recursively)")
	f.StringSliceVar(&o.labels, "labels", []string{"seizure"}, "annotation descriptions that mark seizures (case-insensitive)")
	f.StringVar(&o.eventsTSV, "events-tsv", "", "folder of SzCORE <name>_events.tsv files (default: next to each recording)")
	f.Float64Var(&o.window, "window", 4, "window length in s")
	f.Float64Var(&o.hop, "hop", 2, "hop between window starts in s")
	f.StringSliceVar(&o.channels, "channels", nil, "channels to use, in this order (default: every EEG channel)")
	f.Float64Var(&o.lambda, "lambda", 0.01, "L2 penalty on the z-scored feature weights")
	f.BoolVar(&o.coherence, "coherence", false, "add inter-channel theta and alpha coherence features")
	f.IntVar(&o.folds, "folds", 5, "cross-validation folds")
	f.Uint64Var(&o.seed, "seed", 1, "seed of the fold assignment")
	f.BoolVar(&o.noCV, "no-cv", false, "skip the cross-validated estimate")
	f.StringVar(&o.out, "out", "", "model file to write (JSON)")
	f.StringVar(&o.classifier, "classifier", "logreg", "logreg (L2 logistic regression) or gbt (gradient-boosted trees, 200 of depth 3; --lambda unused)")
	f.BoolVar(&o.extended, "extended", false, "add the extended per-channel features (models/seizure FeatureConfig.Extended)")
	f.StringVar(&o.reference, "reference", "", "re-reference before the features: average (common average of the EEG channels, as the pipeline's reference step); default: as recorded")
	return cmd
}

// seizureSpan is a labelled seizure in seconds from the recording start.
type seizureSpan struct{ on, off float64 }

// mergeSpans sorts spans and merges the overlapping and touching ones.
func mergeSpans(spans []seizureSpan) []seizureSpan {
	slices.SortFunc(spans, func(a, b seizureSpan) int {
		switch {
		case a.on < b.on:
			return -1
		case a.on > b.on:
			return 1
		}
		return 0
	})
	var out []seizureSpan
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
func windowClass(t0, t1 float64, spans []seizureSpan) int {
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

// seizureSet is every window cut from the training recordings.
type seizureSet struct {
	rate     float64
	nch      int
	channels []string
	ext      *seizure.Extractor
	files    int
	X        [][]float64
	y        []bool
	rec      []int // recording index of each window
	pos      []int // window index within its recording
}

func (s *seizureSet) add(path string, o trainSeizureOptions, stderr io.Writer) error {
	if open.Detect(path) == open.KindText {
		return fmt.Errorf("%s: a plain-text recording carries no sample rate, and train seizure takes none: give recordings that do (EDF, BrainVision, GDF, FIF)", path)
	}
	r, err := open.File(path, open.Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	info := r.Info()

	var spans []seizureSpan
	for _, a := range info.Annotations {
		for _, l := range o.labels {
			if strings.EqualFold(strings.TrimSpace(a.Description), strings.TrimSpace(l)) {
				spans = append(spans, seizureSpan{a.Onset, a.Onset + a.Duration})
				break
			}
		}
	}
	if tsv := szcoreSibling(path, o.eventsTSV); tsv != "" {
		evs, err := szcore.ReadFile(tsv)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if szcore.IsSeizure(e.EventType) {
				spans = append(spans, seizureSpan{e.Onset, e.Offset()})
			}
		}
	} else if o.eventsTSV != "" {
		fmt.Fprintf(stderr, "note: %s: no events TSV in %s\n", path, o.eventsTSV)
	}
	spans = mergeSpans(spans)

	idx, labels, err := pickChannels(info, o.channels, path)
	if err != nil {
		return err
	}
	if s.ext == nil {
		w := int(math.Round(o.window * info.SampleRate))
		ext, err := seizure.NewExtractor(seizure.FeatureConfig{
			SampleRate: info.SampleRate, WindowLen: w, Channels: len(idx), Coherence: o.coherence,
			Extended: o.extended,
		})
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		s.rate, s.nch, s.channels, s.ext = info.SampleRate, len(idx), labels, ext
	} else if info.SampleRate != s.rate || len(idx) != s.nch {
		return fmt.Errorf("%s: %v Hz, %d channels; earlier recordings: %v Hz, %d channels",
			path, info.SampleRate, len(idx), s.rate, s.nch)
	}

	all, err := formats.ReadAll(r)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if o.reference == "average" {
		// As the pipeline's reference step: EEG channels re-referenced to
		// their mean, other channels untouched.
		ref := dsp.AverageReference{Exclude: make([]bool, len(info.Channels)), KeepExcluded: true}
		for i, ch := range info.Channels {
			ref.Exclude[i] = ch.Type != formats.EEG
		}
		if _, err := ref.Apply(all, all); err != nil {
			return fmt.Errorf("%s: --reference average: %w", path, err)
		}
	}
	wlen := s.ext.Config().WindowLen
	hop := max(1, int(math.Round(o.hop*s.rate)))
	win := make([][]float64, len(idx))
	rec := s.files
	n := 0
	for start := 0; int64(start+wlen) <= info.NSamples; start += hop {
		c := windowClass(float64(start)/s.rate, float64(start+wlen)/s.rate, spans)
		if c < 0 {
			n++
			continue
		}
		for i, k := range idx {
			win[i] = all[k][start : start+wlen]
		}
		s.X = append(s.X, s.ext.Features(nil, win))
		s.y = append(s.y, c == 1)
		s.rec = append(s.rec, rec)
		s.pos = append(s.pos, n)
		n++
	}
	if n == 0 {
		fmt.Fprintf(stderr, "note: %s: shorter than one window, skipped\n", path)
		return nil
	}
	if len(spans) == 0 {
		fmt.Fprintf(stderr, "note: %s: no seizure labels, background windows only\n", path)
	}
	s.files++
	return nil
}

func runTrainSeizure(stdout, stderr io.Writer, o trainSeizureOptions) error {
	if len(o.data) == 0 || o.out == "" {
		return errors.New("give --data and --out")
	}
	if o.classifier != "logreg" && o.classifier != "gbt" {
		return fmt.Errorf("--classifier %q: want logreg or gbt", o.classifier)
	}
	if o.reference != "" && o.reference != "average" {
		return fmt.Errorf("--reference %q: want average (or nothing: as recorded)", o.reference)
	}
	if !(o.window > 0) || !(o.hop > 0) {
		return errors.New("--window and --hop: give lengths in s (> 0)")
	}
	if !(o.lambda >= 0) {
		return errors.New("--lambda must be ≥ 0")
	}
	if !o.noCV && o.folds < 2 {
		return errors.New("--folds must be at least 2")
	}
	if len(o.labels) == 0 {
		return errors.New("--labels: give at least one annotation description")
	}
	var files []string
	for _, d := range o.data {
		fs, err := open.Recordings(d)
		if err != nil {
			return err
		}
		files = append(files, fs...)
	}
	if len(files) == 0 {
		return errors.New("--data: no recordings found")
	}
	var set seizureSet
	for _, f := range files {
		if err := set.add(f, o, stderr); err != nil {
			return err
		}
	}
	nIctal := 0
	for _, l := range set.y {
		if l {
			nIctal++
		}
	}
	nBack := len(set.y) - nIctal
	fmt.Fprintf(stdout, "%d recordings, %d windows of %v s every %v s at %v Hz, %d channels (%s)\n",
		set.files, len(set.y), o.window, o.hop, set.rate, set.nch, strings.Join(set.channels, ","))
	fmt.Fprintf(stdout, "  seizure: %d windows\n  background: %d windows\n", nIctal, nBack)
	if nIctal == 0 || nBack == 0 {
		return fmt.Errorf("need windows of both classes (seizure %d, background %d); check --labels and the events TSV", nIctal, nBack)
	}

	spec := set.ext.Config()
	tc := seizure.TrainConfig{Lambda: o.lambda, Balanced: true}
	if o.classifier == "gbt" {
		tc.Boost = &seizure.BoostConfig{}
	}
	if o.lambda == 0 {
		tc.Lambda = math.SmallestNonzeroFloat64 // 0 takes the default
	}
	model, err := seizure.Train(spec, set.X, set.y, tc)
	if err != nil {
		return err
	}
	if !o.noCV {
		if err := crossValidateSeizure(stdout, stderr, spec, tc, &set, o); err != nil {
			return err
		}
	}
	if err := writeFile(o.out, model.Save); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "model written to %s\n", o.out)
	return nil
}

// crossValidateSeizure prints the k-fold balanced accuracy and AUROC of the
// pooled out-of-fold windows. Groups are recordings when there are at least
// k of them, otherwise blocks of consecutive same-class windows of one
// recording (at most 2·ceil(window/hop) windows each).
func crossValidateSeizure(stdout, stderr io.Writer, spec seizure.FeatureConfig, tc seizure.TrainConfig, set *seizureSet, o trainSeizureOptions) error {
	k := o.folds
	group := make([]int, len(set.y))
	var groupLabel []bool
	var how string
	if set.files >= k {
		groupLabel = make([]bool, set.files)
		for i, r := range set.rec {
			group[i] = r
			groupLabel[r] = groupLabel[r] || set.y[i]
		}
		how = "grouped by recording"
	} else {
		block := 2 * int(math.Ceil(o.window/o.hop))
		g, size := -1, 0
		for i := range set.y {
			if i == 0 || set.rec[i] != set.rec[i-1] || set.y[i] != set.y[i-1] ||
				set.pos[i] != set.pos[i-1]+1 || size == block {
				g++
				size = 0
				groupLabel = append(groupLabel, set.y[i])
			}
			group[i] = g
			size++
		}
		how = fmt.Sprintf("grouped by contiguous blocks of ≤ %d windows, fewer than %d recordings", block, k)
	}
	var pos, neg int
	for _, l := range groupLabel {
		if l {
			pos++
		} else {
			neg++
		}
	}
	if pos < 2 || neg < 2 {
		fmt.Fprintf(stderr, "note: cross-validation skipped: %d seizure and %d background groups (need 2 each)\n", pos, neg)
		return nil
	}
	cls := make([]int, len(groupLabel))
	for g, l := range groupLabel {
		if !l {
			cls[g] = 1
		}
	}
	fold := metrics.StratifiedGroupFoldsPerClass(cls, k, o.seed)
	scores := make([]float64, len(set.y))
	for f := range k {
		var trX [][]float64
		var trY []bool
		held := false
		for i, row := range set.X {
			if fold[group[i]] != f {
				trX, trY = append(trX, row), append(trY, set.y[i])
			} else {
				held = true
			}
		}
		if !held {
			continue
		}
		m, err := seizure.Train(spec, trX, trY, tc)
		if err != nil {
			return fmt.Errorf("cross-validation fold %d: %w (--no-cv skips the estimate)", f, err)
		}
		for i, row := range set.X {
			if fold[group[i]] == f {
				scores[i] = m.Probability(row)
			}
		}
	}
	ba := seizure.BalancedAccuracy(scores, set.y, 0.5)
	auc := seizure.AUROC(scores, set.y)
	fmt.Fprintf(stdout, "%d-fold cross-validated (%s): balanced accuracy %.1f%%, AUROC %.4f\n", k, how, 100*ba, auc)
	return nil
}
