package ssvep_test

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"
	"strings"
	"testing"

	"github.com/neurostream/neurostream/models/ssvep"
)

// Evaluation conventions (docs/ssvep.md):
const (
	// visualDelay is the latency between stimulus onset and the start of a
	// trial window: 0.14 s, the visual latency of Nakanishi et al. 2018.
	visualDelay = 0.14
	// gazeShift is the time per selection added to the window for ITR:
	// 0.5 s, as in Chen et al. 2015 and Nakanishi et al. 2018.
	gazeShift = 0.5
)

// noControlRule is the rest-detection rule of the 4-class evaluation.
var noControlRule = ssvep.NoControlMargin

// result is one accuracy figure.
type result struct {
	tally
	classes int
	window  float64 // seconds
}

func (r result) itr() float64 {
	return ssvep.ITR(r.classes, r.acc(), r.window+gazeShift)
}

func (r result) String() string {
	if r.total == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%% (%.1f)", 100*r.acc(), r.itr())
}

func merge(a, b tally) tally { return tally{a.correct + b.correct, a.total + b.total} }

// table formats rows of cells as markdown.
type table struct {
	head []string
	rows [][]string
}

func (tb *table) add(cells ...string) { tb.rows = append(tb.rows, cells) }

func (tb *table) String() string {
	var b strings.Builder
	b.WriteString("\n| " + strings.Join(tb.head, " | ") + " |\n|")
	for range tb.head {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range tb.rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}

func ccaConfig(freqs []float64, rate float64, n, channels int) ssvep.CCAConfig {
	return ssvep.CCAConfig{Freqs: freqs, SampleRate: rate, Samples: n, Channels: channels}
}

// trainingFreeMethods name the decoders trainingFree returns.
var trainingFreeMethods = []string{"CCA", "CCA 6–90 Hz", "FBCCA"}

// trainingFree returns, with default settings, CCA on the raw window, CCA
// on the window band-passed to Chen's first sub-band (an FBCCA of one
// sub-band: its score ranks targets as CCA of the filtered window does),
// and FBCCA with 5 sub-bands.
func trainingFree(t testing.TB, cfg ssvep.CCAConfig) []scorer {
	t.Helper()
	c, err := ssvep.NewCCA(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bp, err := ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cfg, FilterBank: ssvep.FilterBankConfig{SubBands: 1}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := ssvep.NewFBCCA(ssvep.FBCCAConfig{CCAConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return []scorer{c, bp, f}
}

func TestReport(t *testing.T) {
	if testing.Short() {
		t.Skip("the offline evaluation on the shared recordings takes ~20 s")
	}
	t.Run("exoskeleton", reportExoskeleton)
	t.Run("muse", reportMuse)
	t.Run("marley", reportMarley)
	t.Run("speller40", reportSpeller40)
}

// check fails the test when got < want, naming what was checked.
func check(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !(got >= want) {
		t.Errorf("%s: %.3f, want ≥ %.3f", what, got, want)
	}
}

// reportExoskeleton: per subject, both sessions; CCA/FBCCA are
// training-free (the no-control threshold is calibrated on the subject's
// other session); TRCA/eTRCA are trained on the other session
// (leave-one-session-out).
func reportExoskeleton(t *testing.T) {
	sessions := exoSessions(t, visualDelay, 4)
	methods := append(slices.Clone(trainingFreeMethods), "TRCA", "eTRCA")
	windows := []float64{1, 2, 3, 4}
	subjects := []string{}
	for _, s := range sessions {
		if !slices.Contains(subjects, s.subject) {
			subjects = append(subjects, s.subject)
		}
	}
	// acc3[w][m][subject], acc4 likewise.
	acc3 := make([][]map[string]tally, len(windows))
	acc4 := make([][]map[string]tally, len(windows))
	for wi, win := range windows {
		acc3[wi] = make([]map[string]tally, len(methods))
		acc4[wi] = make([]map[string]tally, len(methods))
		for m := range methods {
			acc3[wi][m] = map[string]tally{}
			acc4[wi][m] = map[string]tally{}
		}
		for _, test := range sessions {
			var other *session
			for _, s := range sessions {
				if s.subject == test.subject && s != test {
					other = s
				}
			}
			n := int(math.Round(win * test.rate))
			testX, calX := truncate(test.trials, n), truncate(other.trials, n)
			var decoders []scorer
			var rules []ssvep.NoControl
			for _, d := range trainingFree(t, ccaConfig(exoFreqs, test.rate, n, len(test.channels))) {
				nc, err := ssvep.CalibrateNoControl(noControlRule, scoreAll(t, d, calX), other.labels)
				if err != nil {
					t.Fatal(err)
				}
				decoders, rules = append(decoders, d), append(rules, nc)
			}
			for _, ens := range []bool{false, true} {
				m, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: other.rate, Freqs: exoFreqs, Ensemble: ens, NoControl: noControlRule}, calX, other.labels)
				if err != nil {
					t.Fatal(err)
				}
				decoders, rules = append(decoders, m), append(rules, m.NoControl())
			}
			for mi, d := range decoders {
				var a3, a4 tally
				for i, s := range scoreAll(t, d, testX) {
					l := test.labels[i]
					if l != ssvep.Rest {
						a3.add(ssvep.Argmax(s) == l)
					}
					a4.add(rules[mi].Decide(s) == l)
				}
				acc3[wi][mi][test.subject] = merge(acc3[wi][mi][test.subject], a3)
				acc4[wi][mi][test.subject] = merge(acc4[wi][mi][test.subject], a4)
			}
		}
	}
	pooled := func(acc [][]map[string]tally, wi, mi int) float64 {
		var a tally
		for _, v := range acc[wi][mi] {
			a = merge(a, v)
		}
		return a.acc()
	}
	// Loose sanity bounds: pooled over 288 target trials (384 with rest),
	// the SD of a chance-level accuracy is about 0.03; the bounds sit
	// 0.25-0.3 above chance, the measured values 0.4-0.5 above (see
	// docs/ssvep.md).
	const cca, fbcca, trca, etrca = 0, 2, 3, 4
	check(t, "FBCCA 3-class at 4 s", pooled(acc3, 3, fbcca), 1.0/3+0.30)
	check(t, "CCA 3-class at 4 s", pooled(acc3, 3, cca), 1.0/3+0.25)
	check(t, "FBCCA 4-class at 4 s", pooled(acc4, 3, fbcca), 0.25+0.25)
	check(t, "FBCCA 3-class gain from 1 s to 4 s", pooled(acc3, 3, fbcca)-pooled(acc3, 0, fbcca), 0.2)
	// TRCA needs stimulus-locked phases; these recordings do not have them
	// (see exoPhaseLocking), and TRCA/eTRCA stay near chance. The docs say
	// so; this keeps the statement true.
	for _, mi := range []int{trca, etrca} {
		if a := pooled(acc3, 3, mi); math.Abs(a-1.0/3) > 0.15 {
			t.Errorf("%s 3-class at 4 s: %.3f, documented as near chance (1/3 ± 0.15)", methods[mi], a)
		}
	}
	exoPhaseLocking(t, sessions)

	for _, spec := range []struct {
		name    string
		acc     [][]map[string]tally
		classes int
	}{{"3 targets (13, 17, 21 Hz), chance 33.3%", acc3, 3}, {"4 classes (rest + 3 targets, rule " + string(noControlRule) + "), chance 25%", acc4, 4}} {
		for wi, win := range windows {
			tb := &table{head: append([]string{"subject"}, methods...)}
			for _, subj := range append(slices.Clone(subjects), "all") {
				row := []string{subj}
				for mi := range methods {
					var a tally
					for s, v := range spec.acc[wi][mi] {
						if subj == "all" || s == subj {
							a = merge(a, v)
						}
					}
					row = append(row, result{a, spec.classes, win}.String())
				}
				tb.add(row...)
			}
			t.Logf("exoskeleton, %s, %.0f s windows: accuracy (ITR bits/min)%v", spec.name, win, tb)
		}
	}
}

// exoPhaseLocking logs the inter-trial phase-locking value at the stimulus
// frequency on Oz over the first 4 s of each session's trials of each
// target, |mean_h exp(iφ_h)|, and checks that it is low: free-running LEDs
// relative to the event markers. With 8 trials of random phase the
// expected PLV is about √(π/4/8) ≈ 0.31; a phase-locked response gives
// values near 1.
func exoPhaseLocking(t *testing.T, sessions []*session) {
	tb := &table{head: []string{"session", "13 Hz", "17 Hz", "21 Hz"}}
	var all []float64
	for _, s := range sessions {
		row := []string{s.subject + " " + s.name[8:27]}
		for k, f := range exoFreqs {
			var sum complex128
			n := 0
			for i, x := range s.trials {
				if s.labels[i] != k {
					continue
				}
				var z complex128
				for j, v := range x[0] {
					z += complex(v, 0) * cmplx.Exp(complex(0, -2*math.Pi*f*float64(j)/s.rate))
				}
				sum += z / complex(cmplx.Abs(z), 0)
				n++
			}
			plv := cmplx.Abs(sum) / float64(n)
			all = append(all, plv)
			row = append(row, fmt.Sprintf("%.2f", plv))
		}
		tb.add(row...)
	}
	slices.Sort(all)
	med := all[len(all)/2]
	t.Logf("exoskeleton: inter-trial phase-locking value on Oz at the stimulus frequency (4 s from onset + %.2f s); median %.2f%v", visualDelay, med, tb)
	if med > 0.5 {
		t.Errorf("median PLV %.2f: the stimulation looks phase-locked, so docs/ssvep.md's explanation of TRCA's results is out of date", med)
	}
}

// reportMuse: per subject, every file; CCA/FBCCA training-free,
// TRCA/eTRCA trained on the subject's other files (leave-one-file-out).
func reportMuse(t *testing.T) {
	sessions := museSessions(t, visualDelay, 2.8)
	methods := append(slices.Clone(trainingFreeMethods), "TRCA", "eTRCA")
	windows := []float64{1, 2, 2.8}
	subjects := []string{}
	for _, s := range sessions {
		if !slices.Contains(subjects, s.subject) {
			subjects = append(subjects, s.subject)
		}
	}
	acc := map[string][][]tally{} // [subject][window][method]
	balance := map[string][2]int{}
	for _, subj := range subjects {
		acc[subj] = make([][]tally, len(windows))
		for wi := range windows {
			acc[subj][wi] = make([]tally, len(methods))
		}
	}
	for wi, win := range windows {
		for _, test := range sessions {
			n := int(math.Round(win * test.rate))
			var trainX [][][]float64
			var trainL []int
			for _, s := range sessions {
				if s.subject == test.subject && s != test {
					trainX = append(trainX, truncate(s.trials, n)...)
					trainL = append(trainL, s.labels...)
				}
			}
			decoders := trainingFree(t, ccaConfig(museFreqs, test.rate, n, len(test.channels)))
			for _, ens := range []bool{false, true} {
				m, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: test.rate, Freqs: museFreqs, Ensemble: ens}, trainX, trainL)
				if err != nil {
					t.Fatal(err)
				}
				decoders = append(decoders, m)
			}
			for mi, d := range decoders {
				for i, s := range scoreAll(t, d, truncate(test.trials, n)) {
					acc[test.subject][wi][mi].add(ssvep.Argmax(s) == test.labels[i])
				}
			}
			if wi == 0 {
				b := balance[test.subject]
				for _, l := range test.labels {
					b[l]++
				}
				balance[test.subject] = b
			}
		}
	}
	for _, subj := range subjects {
		b := balance[subj]
		tb := &table{head: append([]string{"window"}, methods...)}
		for wi, win := range windows {
			row := []string{fmt.Sprintf("%.1f s", win)}
			for mi := range methods {
				row = append(row, result{acc[subj][wi][mi], 2, win}.String())
			}
			tb.add(row...)
		}
		t.Logf("muse %s: 30 vs 20 Hz, %d+%d trials, chance 50%% (majority class %.1f%%): accuracy (ITR bits/min)%v",
			subj, b[0], b[1], 100*float64(max(b[0], b[1]))/float64(b[0]+b[1]), tb)
	}
	// Subject 1 (192 trials, chance SD ≈ 0.036): bounds 0.3 and 0.15 above
	// chance, measured about 0.44 and 0.3 above. Subject 4 is the
	// documented hard case (SOURCES.md: SNR 0.41-0.75); no bound.
	check(t, "muse subject1 CCA at 2 s", acc["subject1"][1][0].acc(), 0.5+0.3)
	check(t, "muse subject1 FBCCA at 2 s", acc["subject1"][1][2].acc(), 0.5+0.3)
	check(t, "muse subject1 eTRCA at 2.8 s", acc["subject1"][2][4].acc(), 0.5+0.15)
}

// reportMarley: one stimulus per file, consecutive windows; training-free
// decoders only (one run per class gives no independent calibration
// trials). The EPOC files are the documented hard case.
func reportMarley(t *testing.T) {
	windows := []float64{1, 2, 4}
	for _, set := range []struct {
		name  string
		freqs []float64
		load  func(testing.TB, float64) *session
		bound bool
	}{{"DSI-24 (wearable_demo_trial2), 8/10/12 Hz, P3 P4 O1 O2 T5 T6", marleyFreqs, marleySession, true},
		{"Emotiv EPOC, 6.67/7.5/10 Hz, P7 O1 O2 P8", epocFreqs, epocSession, false}} {
		tb := &table{head: append([]string{"window", "windows"}, trainingFreeMethods...)}
		var at2 [3]float64
		for _, win := range windows {
			s := set.load(t, win)
			n := len(s.trials[0][0])
			row := []string{fmt.Sprintf("%.0f s", win), fmt.Sprint(len(s.trials))}
			for mi, d := range trainingFree(t, ccaConfig(set.freqs, s.rate, n, len(s.channels))) {
				var a tally
				for i, sc := range scoreAll(t, d, s.trials) {
					a.add(ssvep.Argmax(sc) == s.labels[i])
				}
				row = append(row, result{a, 3, win}.String())
				if win == 2 {
					at2[mi] = a.acc()
				}
			}
			tb.add(row...)
		}
		t.Logf("marley %s, chance 33.3%%: accuracy (ITR bits/min)%v", set.name, tb)
		if set.bound {
			// 42 windows of 2 s (chance SD ≈ 0.07): bound 0.4 above
			// chance, measured about 0.6 above.
			check(t, "marley CCA at 2 s", at2[0], 1.0/3+0.4)
			check(t, "marley FBCCA at 2 s", at2[2], 1.0/3+0.4)
		}
	}
}

// reportSpeller40 runs the simulated 40-target set (8-15.8 Hz in 0.2 Hz
// steps, phases in steps of 0.5π, 64 channels, 250 Hz; synth in
// synth_test.go): accuracy vs window length. eTRCA is trained on 2
// phase-locked trials per target.
func reportSpeller40(t *testing.T) {
	freqs := speller40()
	const rate, channels = 250.0, 64
	tb := &table{head: append(append([]string{"window"}, trainingFreeMethods...), "eTRCA")}
	var accs [][]float64
	for _, win := range []float64{0.5, 1, 2} {
		n := int(win * rate)
		s := newSynth(freqs, 0.5*math.Pi, rate, channels, 0.12, 7)
		train, labels := s.trials(2, n)
		test, testLabels := s.trials(1, n)
		decoders := trainingFree(t, ccaConfig(freqs, rate, n, channels))
		m, err := ssvep.TrainTRCA(ssvep.TRCAConfig{SampleRate: rate, Freqs: freqs, Ensemble: true}, train, labels)
		if err != nil {
			t.Fatal(err)
		}
		row := []string{fmt.Sprintf("%.1f s", win)}
		var acc []float64
		for _, d := range append(decoders, m) {
			var a tally
			for i, sc := range scoreAll(t, d, test) {
				a.add(ssvep.Argmax(sc) == testLabels[i])
			}
			row = append(row, result{a, 40, win}.String())
			acc = append(acc, a.acc())
		}
		accs = append(accs, acc)
		tb.add(row...)
	}
	t.Logf("simulated 40 targets, 64 channels, 40 test windows per length, chance 2.5%%: accuracy (ITR bits/min)%v", tb)
	check(t, "speller40 eTRCA at 1 s", accs[1][3], 0.5)
	check(t, "speller40 FBCCA at 2 s", accs[2][2], 0.5)
}
