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

// exoRiemannSessions loads every exoskeleton session with trials of
// length s starting delay s after each event.
func exoRiemannSessions(t testing.TB, cfg ssvep.RiemannConfig, delay, length float64) []*riemannSession {
	t.Helper()
	dir := filepath.Join(testenv.DataDir(t), "ssvep-exoskeleton")
	files, _ := filepath.Glob(filepath.Join(dir, "subject*", "*_raw.fif"))
	if len(files) == 0 {
		t.Fatalf("no exoskeleton recordings in %s", dir)
	}
	sort.Strings(files)
	var out []*riemannSession
	for _, f := range files {
		info, data := recording(t, f, open.Options{}, nil, exoMains)
		s := &riemannSession{subject: filepath.Base(filepath.Dir(f)), covs: map[string][]*mat.SymDense{}}
		s.trials, s.labels, _ = ssvep.EventTrials(data, info.SampleRate, info.Annotations, exoCodes, delay, length)
		ecfg := riemann.ExtendedConfig{Freqs: exoFreqs, SampleRate: info.SampleRate, Channels: len(data),
			BandWidth: cfg.BandWidth, Order: cfg.Order, Broadband: cfg.Broadband}
		ext, err := riemann.NewExtended(ecfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range s.trials {
			c, err := ext.Covariance(nil, x, cfg.Estimator)
			if err != nil {
				t.Fatal(err)
			}
			s.covs["window"] = append(s.covs["window"], c)
		}
		for _, v := range []string{"stream", "offline"} {
			var bands [][][][]float64 // [band][trial][channel][sample]
			for k := range ext.Bands() {
				filtered := make([][]float64, len(data))
				if v == "stream" {
					f, err := dsp.NewSOSFilter(ext.SOS(k), len(data), dsp.InitSteady)
					if err != nil {
						t.Fatal(err)
					}
					f.FilterChannels(filtered, data)
				} else {
					for c := range data {
						if filtered[c], err = dsp.SOSFiltFilt(nil, data[c], ext.SOS(k)); err != nil {
							t.Fatal(err)
						}
					}
				}
				bt, _, _ := ssvep.EventTrials(filtered, info.SampleRate, info.Annotations, exoCodes, delay, length)
				bands = append(bands, bt)
			}
			for i := range s.trials {
				b := make([][][]float64, len(bands))
				for k := range bands {
					b[k] = bands[k][i]
				}
				c, err := ext.StackCovariance(nil, s.trials[i], b, cfg.Estimator)
				if err != nil {
					t.Fatal(err)
				}
				s.covs[v] = append(s.covs[v], c)
			}
		}
		out = append(out, s)
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

// TestRiemannExoskeleton logs the 4-class (rest as a class) accuracy,
// balanced accuracy and ITR of the Riemannian decoders on the shared
// exoskeleton subjects 01–06, leave-one-session-out within subject,
// windows [0.5, 2.5] s and [0.5, 4.5] s after the cue. It checks only a
// sanity lower bound (well above the 0.25 of chance); the figures are in
// docs/ssvep.md.
func TestRiemannExoskeleton(t *testing.T) {
	if testing.Short() {
		t.Skip("the evaluation on the shared recordings takes ~30 s")
	}
	const delay = 0.5
	type method struct {
		name    string
		variant string
		cfg     ssvep.RiemannConfig
	}
	var methods []method
	for _, v := range riemannVariants {
		methods = append(methods,
			method{"mdm", v, ssvep.RiemannConfig{Method: ssvep.MethodMDM}},
			method{"ts-lr", v, ssvep.RiemannConfig{Method: ssvep.MethodTSLR}})
	}
	means := map[string]float64{}
	for _, length := range []float64{2, 4} {
		sessions := exoRiemannSessions(t, ssvep.RiemannConfig{Estimator: riemann.OAS}, delay, length)
		rate := 256.0
		tb := &table{head: []string{"method", "filtering"}}
		subjects := []string{}
		for _, s := range sessions {
			if len(subjects) == 0 || subjects[len(subjects)-1] != s.subject {
				subjects = append(subjects, s.subject)
				tb.head = append(tb.head, s.subject)
			}
		}
		tb.head = append(tb.head, "mean acc", "mean bal. acc", "mean ITR")
		for _, m := range methods {
			res := riemannLOSO(t, sessions, func(tr []*riemannSession) func(*riemannSession, int) int {
				var covs []*mat.SymDense
				var labels []int
				for _, s := range tr {
					covs = append(covs, s.covs[m.variant]...)
					labels = append(labels, s.labels...)
				}
				cfg := m.cfg
				cfg.SampleRate, cfg.Freqs = rate, exoFreqs
				d, err := ssvep.TrainRiemannCovariances(cfg, len(tr[0].trials[0]), covs, labels)
				if err != nil {
					t.Fatal(err)
				}
				return func(s *riemannSession, i int) int {
					l, err := d.DecideCovariance(s.covs[m.variant][i])
					if err != nil {
						t.Fatal(err)
					}
					return l
				}
			})
			row := []string{m.name, m.variant}
			var acc, bal, itr float64
			for _, sub := range subjects {
				c := res[sub]
				r := ssvep.ITR(4, c.accuracy(), length+gazeShift)
				row = append(row, fmt.Sprintf("%.2f / %.2f / %.1f", c.accuracy(), c.balanced(), r))
				acc += c.accuracy() / float64(len(subjects))
				bal += c.balanced() / float64(len(subjects))
				itr += r / float64(len(subjects))
			}
			row = append(row, fmt.Sprintf("%.3f", acc), fmt.Sprintf("%.3f", bal), fmt.Sprintf("%.1f", itr))
			tb.add(row...)
			means[fmt.Sprintf("%s %s %gs", m.name, m.variant, length)] = acc
		}
		t.Logf("exoskeleton, 4 classes (rest as a class), window [%g, %g] s, per subject accuracy / balanced accuracy / ITR (bits/min):%v", delay, delay+length, tb)
	}
	// Sanity bound only: chance is 0.25.
	check(t, "ts-lr stream 4 s mean accuracy", means["ts-lr stream 4s"], 0.5)
	check(t, "mdm stream 4 s mean accuracy", means["mdm stream 4s"], 0.5)
}
