package ssvep_test

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"github.com/neurostream/neurostream/dsp"
	"github.com/neurostream/neurostream/formats/open"
	"github.com/neurostream/neurostream/internal/testenv"
	"github.com/neurostream/neurostream/models/riemann"
	"github.com/neurostream/neurostream/models/ssvep"
	"gonum.org/v1/gonum/mat"
)

// riemannSession is one exoskeleton recording cut into trials, with the
// extended covariance of every trial computed three ways.
type riemannSession struct {
	subject string
	trials  [][][]float64 // raw (notched) trials
	labels  []int
	// covs[variant][i]: "window" filters each trial alone (zero-phase,
	// what Riemann.Scores does); "stream" filters the continuous
	// recording causally and cuts the bands (a streaming stage's filters,
	// which carry their state); "offline" filters the continuous recording
	// zero-phase (MOABB's way, not causal).
	covs map[string][]*mat.SymDense
}

var riemannVariants = []string{"window", "stream", "offline"}

// exoRiemannSessions loads every exoskeleton session with trials of each
// of lengths s starting delay s after each event: out[j] holds the
// sessions cut to lengths[j]. The continuous recordings are filtered once
// for all lengths.
func exoRiemannSessions(t testing.TB, cfg ssvep.RiemannConfig, delay float64, lengths []float64, variants []string) [][]*riemannSession {
	t.Helper()
	dir := filepath.Join(testenv.DataDir(t), "ssvep-exoskeleton")
	files, _ := filepath.Glob(filepath.Join(dir, "subject*", "*_raw.fif"))
	if len(files) == 0 {
		t.Fatalf("no exoskeleton recordings in %s", dir)
	}
	sort.Strings(files)
	if cfg.Estimator == "" {
		cfg.Estimator = riemann.OAS // RiemannConfig's default
	}
	out := make([][]*riemannSession, len(lengths))
	for _, f := range files {
		info, data := recording(t, f, open.Options{}, nil, exoMains)
		ext, err := riemann.NewExtended(riemann.ExtendedConfig{Freqs: exoFreqs, SampleRate: info.SampleRate, Channels: len(data),
			BandWidth: cfg.BandWidth, Harmonics: cfg.Harmonics, Order: cfg.Order, Broadband: cfg.Broadband})
		if err != nil {
			t.Fatal(err)
		}
		// filtered[variant][band] is the continuous recording's band.
		filtered := map[string][][][]float64{}
		for _, v := range variants {
			if v == "window" {
				continue
			}
			for k := range ext.Bands() {
				b := make([][]float64, len(data))
				if v == "stream" {
					sf, err := dsp.NewSOSFilter(ext.SOS(k), len(data), dsp.InitSteady)
					if err != nil {
						t.Fatal(err)
					}
					sf.FilterChannels(b, data)
				} else {
					for c := range data {
						if b[c], err = dsp.SOSFiltFilt(nil, data[c], ext.SOS(k)); err != nil {
							t.Fatal(err)
						}
					}
				}
				filtered[v] = append(filtered[v], b)
			}
		}
		for j, length := range lengths {
			s := &riemannSession{subject: filepath.Base(filepath.Dir(f)), covs: map[string][]*mat.SymDense{}}
			s.trials, s.labels, _ = ssvep.EventTrials(data, info.SampleRate, info.Annotations, exoCodes, delay, length)
			for _, x := range s.trials {
				c, err := ext.Covariance(nil, x, cfg.Estimator)
				if err != nil {
					t.Fatal(err)
				}
				s.covs["window"] = append(s.covs["window"], c)
			}
			for v, bands := range filtered {
				var cut [][][][]float64 // [band][trial][channel][sample]
				for _, b := range bands {
					bt, _, _ := ssvep.EventTrials(b, info.SampleRate, info.Annotations, exoCodes, delay, length)
					cut = append(cut, bt)
				}
				for i := range s.trials {
					b := make([][][]float64, len(cut))
					for k := range cut {
						b[k] = cut[k][i]
					}
					c, err := ext.StackCovariance(nil, s.trials[i], b, cfg.Estimator)
					if err != nil {
						t.Fatal(err)
					}
					s.covs[v] = append(s.covs[v], c)
				}
			}
			out[j] = append(out[j], s)
		}
	}
	return out
}

// confusion counts decisions per true class (row: Rest, then targets).
type confusion struct {
	n       int // targets
	counts  [][]int
	correct int
	total   int
}

func newConfusion(targets int) *confusion {
	c := &confusion{n: targets, counts: make([][]int, targets+1)}
	for i := range c.counts {
		c.counts[i] = make([]int, targets+1)
	}
	return c
}

func (c *confusion) add(label, decision int) {
	c.counts[label+1][decision+1]++
	c.total++
	if label == decision {
		c.correct++
	}
}

func (c *confusion) accuracy() float64 { return float64(c.correct) / float64(c.total) }

// balanced returns the mean over the classes present of their recall.
func (c *confusion) balanced() float64 {
	var s float64
	var k int
	for i, row := range c.counts {
		n := 0
		for _, v := range row {
			n += v
		}
		if n > 0 {
			s += float64(row[i]) / float64(n)
			k++
		}
	}
	return s / float64(k)
}

// riemannLOSO evaluates decide leave-one-session-out within each subject:
// for every session, a model trained on the subject's other sessions
// decides its trials. train returns a decision function for one held-out
// session.
func riemannLOSO(t *testing.T, sessions []*riemannSession, train func(tr []*riemannSession) func(s *riemannSession, i int) int) map[string]*confusion {
	out := map[string]*confusion{}
	for hi, held := range sessions {
		var tr []*riemannSession
		for j, s := range sessions {
			if j != hi && s.subject == held.subject {
				tr = append(tr, s)
			}
		}
		if len(tr) == 0 {
			t.Fatalf("%s: one session only", held.subject)
		}
		decide := train(tr)
		c := out[held.subject]
		if c == nil {
			c = newConfusion(len(exoFreqs))
			out[held.subject] = c
		}
		for i, l := range held.labels {
			c.add(l, decide(held, i))
		}
	}
	return out
}

// riemannEvalConfigs are the extended covariances evaluated: MOABB's
// (bands [f − 0.5, f + 0.5] Hz) and wider bands at the stimulus
// frequencies and their second harmonics.
var riemannEvalConfigs = []struct {
	name string
	cfg  ssvep.RiemannConfig
}{
	{"moabb", ssvep.RiemannConfig{}},
	{"2 Hz, 2 harmonics", ssvep.RiemannConfig{BandWidth: 2, Harmonics: 2}},
}

// riemannRow formats one method's per-subject figures and returns the
// mean accuracy.
func riemannRow(tb *table, subjects []string, res map[string]*confusion, length float64, cells ...string) float64 {
	var acc, bal, itr float64
	for _, sub := range subjects {
		c := res[sub]
		r := ssvep.ITR(4, c.accuracy(), length+gazeShift)
		cells = append(cells, fmt.Sprintf("%.2f / %.2f / %.1f", c.accuracy(), c.balanced(), r))
		acc += c.accuracy() / float64(len(subjects))
		bal += c.balanced() / float64(len(subjects))
		itr += r / float64(len(subjects))
	}
	tb.add(append(cells, fmt.Sprintf("%.3f", acc), fmt.Sprintf("%.3f", bal), fmt.Sprintf("%.1f", itr))...)
	return acc
}

// TestRiemannExoskeleton logs the 4-class (rest as a class) accuracy,
// balanced accuracy and ITR of the Riemannian decoders on the shared
// exoskeleton subjects 01–06, leave-one-session-out within subject,
// windows [0.5, 2.5] s and [0.5, 4.5] s after the cue: mdm and ts-lr with
// rest as a class, and a 3-class ts-lr or FBCCA (3 harmonics, as the
// issue's baseline) with a RestDetector (calibrated by TrainWithRest, 4
// folds of the training session). It checks only a
// sanity lower bound (well above the 0.25 of chance); the figures are in
// docs/ssvep.md.
func TestRiemannExoskeleton(t *testing.T) {
	if testing.Short() {
		t.Skip("the evaluation on the shared recordings takes ~1 min")
	}
	const delay, rate = 0.5, 256.0
	means := map[string]float64{}
	lengths := []float64{2, 4}
	tables := make([]*table, len(lengths))
	subjects := make([][]string, len(lengths))
	for _, ec := range riemannEvalConfigs {
		all := exoRiemannSessions(t, ec.cfg, delay, lengths, riemannVariants)
		for j, length := range lengths {
			sessions := all[j]
			if tables[j] == nil {
				tables[j] = &table{head: []string{"bands", "method", "filtering"}}
			}
			tb := tables[j]
			if subjects[j] == nil {
				for _, s := range sessions {
					if len(subjects[j]) == 0 || subjects[j][len(subjects[j])-1] != s.subject {
						subjects[j] = append(subjects[j], s.subject)
					}
				}
				tb.head = append(append(tb.head, subjects[j]...), "mean acc", "mean bal. acc", "mean ITR")
			}
			for _, variant := range riemannVariants {
				for _, method := range []string{ssvep.MethodMDM, ssvep.MethodTSLR} {
					res := riemannLOSO(t, sessions, func(tr []*riemannSession) func(*riemannSession, int) int {
						var covs []*mat.SymDense
						var labels []int
						for _, s := range tr {
							covs = append(covs, s.covs[variant]...)
							labels = append(labels, s.labels...)
						}
						cfg := ec.cfg
						cfg.Method, cfg.SampleRate, cfg.Freqs = method, rate, exoFreqs
						d, err := ssvep.TrainRiemannCovariances(cfg, len(tr[0].trials[0]), covs, labels)
						if err != nil {
							t.Fatal(err)
						}
						return func(s *riemannSession, i int) int {
							l, err := d.DecideCovariance(s.covs[variant][i])
							if err != nil {
								t.Fatal(err)
							}
							return l
						}
					})
					acc := riemannRow(tb, subjects[j], res, length, ec.name, method, variant)
					means[fmt.Sprintf("%s %s %s %gs", ec.name, method, variant, length)] = acc
				}
			}
			res := riemannLOSO(t, sessions, func(tr []*riemannSession) func(*riemannSession, int) int {
				var trials [][][]float64
				var labels, folds []int
				for _, s := range tr {
					trials = append(trials, s.trials...)
					labels = append(labels, s.labels...)
				}
				for i := range trials {
					folds = append(folds, i%4)
				}
				cfg := ssvep.TrainConfig{Method: ssvep.MethodTSLR, SampleRate: rate, Freqs: exoFreqs, Riemann: ec.cfg}
				rc := ssvep.RestConfig{BandWidth: ec.cfg.BandWidth, Harmonics: ec.cfg.Harmonics}
				d, err := ssvep.TrainWithRest(cfg, rc, trials, labels, folds)
				if err != nil {
					t.Fatal(err)
				}
				return func(s *riemannSession, i int) int {
					l, err := d.Decide(s.trials[i])
					if err != nil {
						t.Fatal(err)
					}
					return l
				}
			})
			means[fmt.Sprintf("%s ts-lr+rest window %gs", ec.name, length)] = riemannRow(tb, subjects[j], res, length, ec.name, "ts-lr + rest detector", "window")
			res = riemannLOSO(t, sessions, func(tr []*riemannSession) func(*riemannSession, int) int {
				var trials [][][]float64
				var labels, folds []int
				for _, s := range tr {
					trials = append(trials, s.trials...)
					labels = append(labels, s.labels...)
				}
				for i := range trials {
					folds = append(folds, i%4)
				}
				cfg := ssvep.TrainConfig{Method: "fbcca", SampleRate: rate, Freqs: exoFreqs, FBCCA: ssvep.FBCCAConfig{CCAConfig: ssvep.CCAConfig{Harmonics: 3}}}
				rc := ssvep.RestConfig{BandWidth: ec.cfg.BandWidth, Harmonics: ec.cfg.Harmonics}
				d, err := ssvep.TrainWithRest(cfg, rc, trials, labels, folds)
				if err != nil {
					t.Fatal(err)
				}
				return func(s *riemannSession, i int) int {
					l, err := d.Decide(s.trials[i])
					if err != nil {
						t.Fatal(err)
					}
					return l
				}
			})
			means[fmt.Sprintf("%s fbcca+rest window %gs", ec.name, length)] = riemannRow(tb, subjects[j], res, length, ec.name, "fbcca (3 harmonics) + rest detector", "window")
		}
	}
	for j, length := range lengths {
		t.Logf("exoskeleton, 4 classes, window [%g, %g] s, per subject accuracy / balanced accuracy / ITR (bits/min):%v", delay, delay+length, tables[j])
	}
	// Sanity bounds only: chance is 0.25.
	check(t, "moabb ts-lr offline 4 s mean accuracy", means["moabb ts-lr offline 4s"], 0.5)
	check(t, "moabb mdm window 4 s mean accuracy", means["moabb mdm window 4s"], 0.5)
	check(t, "2 Hz, 2 harmonics ts-lr window 4 s mean accuracy", means["2 Hz, 2 harmonics ts-lr window 4s"], 0.5)
	check(t, "moabb fbcca+rest window 2 s mean accuracy", means["moabb fbcca+rest window 2s"], 0.5)
}
