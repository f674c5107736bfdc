package report

import (
	"cmp"
	"fmt"
	"image/color"
	"math"
	"regexp"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/neurostream/neurostream/models/ssvep"
)

// GazeShift is the time per selection added to the window length for the
// ITR: 0.5 s, as in Chen et al. 2015 and Nakanishi et al. 2018, and as the
// offline evaluation in models/ssvep (docs/ssvep.md) takes it.
const GazeShift = 0.5

// SSVEPScore is the trial-mode accuracy of one SSVEP decoder at one
// window length in one session.
type SSVEPScore struct {
	Session, Method string
	// WindowSeconds is the window length of the run that wrote the rows
	// (the files' provenance); NaN when the files do not say.
	WindowSeconds float64
	// Trials is the number of trial rows (one per stimulus onset);
	// Scored those whose true target is known, Correct those decided
	// right (rest for a rest trial is right).
	Trials, Scored, Correct int
	// Accuracy is Correct / Scored.
	Accuracy float64
	// Classes is the number of true classes: the targets, plus rest when
	// a trial's code is rest.
	Classes int
	// ITR is the Wolpaw information transfer rate in bits/min for
	// Classes, Accuracy and WindowSeconds + GazeShift per selection
	// (models/ssvep.ITR); NaN when the window length is unknown.
	ITR float64
	// Truth says how the true targets were found (see ssvepTruth).
	Truth string
}

// ssvepGroup is the trial rows of one decoder (method and targets) at one
// window length in one session, one per onset.
type ssvepGroup struct {
	method  string
	length  float64 // s; NaN unknown
	targets []float64
	trials  []ssvepPoint
}

// label is the group's method and length, "fbcca, 2 s".
func (g *ssvepGroup) label() string {
	if math.IsNaN(g.length) {
		return g.method + ", window length unknown"
	}
	return fmt.Sprintf("%s, %g s", g.method, g.length)
}

// ssvepGroups returns s's trial-mode rows grouped by decoder and window
// length, ordered by method, then length. A row repeated (the same onset
// in two files of one run, or a run resumed) counts once.
func ssvepGroups(s *session) []*ssvepGroup {
	var groups []*ssvepGroup
	seen := map[*ssvepGroup]map[int64]bool{}
	for _, p := range s.ssvep {
		if !p.hasCode {
			continue
		}
		length := math.NaN()
		if p.meta != nil {
			length = p.meta.windowSeconds(s)
		}
		i := slices.IndexFunc(groups, func(g *ssvepGroup) bool {
			return g.method == p.method && sameLength(g.length, length) && slices.Equal(g.targets, p.frequencies)
		})
		if i < 0 {
			groups = append(groups, &ssvepGroup{method: p.method, length: length, targets: p.frequencies})
			i = len(groups) - 1
			seen[groups[i]] = map[int64]bool{}
		}
		g := groups[i]
		if seen[g][p.window] {
			continue
		}
		seen[g][p.window] = true
		g.trials = append(g.trials, p)
	}
	slices.SortStableFunc(groups, func(a, b *ssvepGroup) int {
		if c := cmp.Compare(a.method, b.method); c != 0 {
			return c
		}
		return cmp.Compare(a.length, b.length) // NaN first
	})
	return groups
}

func sameLength(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// Classes of a trial's truth besides a target index.
const (
	truthRest    = -1
	truthUnknown = -2
)

var (
	hzDesc   = regexp.MustCompile(`(?i)([0-9]+(?:\.[0-9]+)?)\s*hz`)
	restDesc = regexp.MustCompile(`(?i)(^|[^a-z])(rest|no[-_ ]?control|idle)([^a-z]|$)`)
)

// ssvepTruth maps each event code of g's trials to its true class: a
// target index, truthRest or truthUnknown, and says how. The rows carry
// the code, not the target, so the target is found:
//
//  1. from the code's description in the run's source.stim events (the
//     files' provenance): a description naming a target's frequency
//     ("ssvep/8Hz", "12.5 Hz") is that target, one naming rest
//     ("rest", "no-control", "idle") is rest;
//  2. when no description names a class (a recording's own stim channel,
//     codes described as "1", "2", …) and the run's stim events, or else
//     the trials, have as many codes as there are targets: the codes in
//     ascending order are the targets in their order, the convention of
//     configs/ssvep-trials.yaml and of the exoskeleton recordings (codes
//     2, 3, 4 for 13, 21, 17 Hz).
//
// Any other code is unknown: drawn as its own row, not scored.
func ssvepTruth(g *ssvepGroup) (map[int64]int, string) {
	truth := map[int64]int{}
	var seen, configured []int64
	found := false
	for _, p := range g.trials {
		if p.meta != nil {
			for code := range p.meta.events {
				if !slices.Contains(configured, code) {
					configured = append(configured, code)
				}
			}
		}
		if _, ok := truth[p.eventCode]; ok {
			continue
		}
		seen = append(seen, p.eventCode)
		c := truthUnknown
		if p.meta != nil {
			c = classOf(p.meta.events[p.eventCode], g.targets)
		}
		truth[p.eventCode] = c
		found = found || c != truthUnknown
	}
	if found {
		return truth, "true target from the event descriptions"
	}
	// A session may lack a target's trials: the run's codes say which
	// code is which better than those seen.
	codes := configured
	if len(codes) != len(g.targets) {
		codes = seen
	}
	if len(codes) == len(g.targets) && !slices.ContainsFunc(seen, func(c int64) bool { return !slices.Contains(codes, c) }) {
		slices.Sort(codes)
		for k, c := range codes {
			truth[c] = k
		}
		return truth, "true target: codes in ascending order as the targets"
	}
	return truth, "true target unknown: the event descriptions name no target"
}

// classOf is the class an event description names among targets.
func classOf(desc string, targets []float64) int {
	if restDesc.MatchString(desc) {
		return truthRest
	}
	m := hzDesc.FindStringSubmatch(desc)
	if m == nil {
		return truthUnknown
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return truthUnknown
	}
	for k, t := range targets {
		if math.Abs(t-f) <= 1e-9*math.Max(1, f) {
			return k
		}
	}
	return truthUnknown
}

// confusion is a group's confusion matrix: counts[row][col], rows the
// true classes (the targets, then rest when a trial is rest, then the
// unknown codes), columns the decisions (the targets, then rest when a
// decision or a trial is rest).
type confusion struct {
	rows, cols       []string
	counts           [][]int
	rowN, rowRight   []int
	scoredRows       int // rows [0, scoredRows) are known classes
	trials, scored   int
	correct          int
	classes          int
	truth            string
	restCol, restRow int // −1 when absent
}

func hz(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) + " Hz" }

func newConfusion(g *ssvepGroup) *confusion {
	truth, how := ssvepTruth(g)
	k := len(g.targets)
	c := &confusion{truth: how, restCol: -1, restRow: -1, classes: k}
	for _, f := range g.targets {
		c.rows, c.cols = append(c.rows, hz(f)), append(c.cols, hz(f))
	}
	var unknown []int64
	restTruth, restDecision := false, false
	for code, t := range truth {
		switch t {
		case truthRest:
			restTruth = true
		case truthUnknown:
			unknown = append(unknown, code)
		}
	}
	for _, p := range g.trials {
		restDecision = restDecision || p.decision < 0
	}
	if restTruth {
		c.restRow, c.classes = len(c.rows), k+1
		c.rows = append(c.rows, "rest")
	}
	if restTruth || restDecision {
		c.restCol = len(c.cols)
		c.cols = append(c.cols, "rest")
	}
	c.scoredRows = len(c.rows)
	slices.Sort(unknown)
	for _, code := range unknown {
		c.rows = append(c.rows, fmt.Sprintf("code %d", code))
	}
	c.counts = make([][]int, len(c.rows))
	for i := range c.counts {
		c.counts[i] = make([]int, len(c.cols))
	}
	c.rowN, c.rowRight = make([]int, len(c.rows)), make([]int, len(c.rows))
	for _, p := range g.trials {
		c.add(p, truth[p.eventCode], unknown)
	}
	return c
}

// add counts one trial of true class t.
func (c *confusion) add(p ssvepPoint, t int, unknown []int64) {
	c.trials++
	col := int(p.decision)
	switch {
	case p.decision < 0:
		col = c.restCol
	case col >= len(c.cols) || col == c.restCol:
		return // a decision outside the targets: not drawable
	}
	row := t
	switch t {
	case truthRest:
		row = c.restRow
	case truthUnknown:
		row = c.scoredRows + slices.Index(unknown, p.eventCode)
	}
	c.counts[row][col]++
	c.rowN[row]++
	if row >= c.scoredRows {
		return
	}
	c.scored++
	if row == col || (row == c.restRow && col == c.restCol) {
		c.correct++
		c.rowRight[row]++
	}
}

// score is the group's SSVEPScore in session id.
func (c *confusion) score(id string, g *ssvepGroup) SSVEPScore {
	sc := SSVEPScore{Session: id, Method: g.method, WindowSeconds: g.length, Trials: c.trials, Scored: c.scored,
		Correct: c.correct, Accuracy: math.NaN(), Classes: c.classes, ITR: math.NaN(), Truth: c.truth}
	if c.scored > 0 {
		sc.Accuracy = float64(c.correct) / float64(c.scored)
		if c.classes >= 2 && !math.IsNaN(g.length) {
			sc.ITR = ssvep.ITR(c.classes, sc.Accuracy, g.length+GazeShift)
		}
	}
	return sc
}

// rowLabel is row r's label with its per-class accuracy.
func (c *confusion) rowLabel(r int) string {
	switch {
	case r >= c.scoredRows:
		return c.rows[r] + " (not scored)"
	case c.rowN[r] == 0:
		return c.rows[r] + " (no trial)"
	}
	return fmt.Sprintf("%s · %s (%d/%d)", c.rows[r], percent(float64(c.rowRight[r])/float64(c.rowN[r])), c.rowRight[r], c.rowN[r])
}

func percent(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.0f %%", 100*v)
}

// ssvepTrials draws, for s's trial-mode rows, a confusion matrix per
// decoder and window length and the accuracy and ITR against window
// length, and records their scores.
func (d *drawer) ssvepTrials(s *session) {
	groups := ssvepGroups(s)
	if len(groups) == 0 {
		return
	}
	var scores []SSVEPScore
	stems := map[string]int{}
	for _, g := range groups {
		c := newConfusion(g)
		sc := c.score(s.id, g)
		scores = append(scores, sc)
		stem := fmt.Sprintf("%s-ssvep-confusion-%s-%ss", s.id, g.method, strconv.FormatFloat(g.length, 'g', -1, 64))
		if math.IsNaN(g.length) {
			stem = s.id + "-ssvep-confusion-" + g.method + "-unknown"
		}
		if stems[stem]++; stems[stem] > 1 {
			stem += "-" + strconv.Itoa(stems[stem])
		}
		d.confusionMatrix(s, g, c, sc, stem)
	}
	d.r.SSVEP = append(d.r.SSVEP, scores...)
	d.accuracy(s, groups, scores)
}

// blues is a palette of n colours from white (0) to dark blue (1), as
// confusion matrices are usually shaded.
type blues int

func (n blues) Colors() []color.Color {
	out := make([]color.Color, n)
	lo, hi := [3]float64{247, 251, 255}, [3]float64{8, 48, 107}
	for i := range out {
		t := float64(i) / float64(n-1)
		var c [3]uint8
		for k := range c {
			c[k] = uint8(math.Round(lo[k] + t*(hi[k]-lo[k])))
		}
		out[i] = color.RGBA{c[0], c[1], c[2], 255}
	}
	return out
}

func (d *drawer) confusionMatrix(s *session, g *ssvepGroup, c *confusion, sc SSVEPScore, stem string) {
	nr, nc := len(c.rows), len(c.cols)
	frac := func(col, r int) float64 {
		if c.rowN[r] == 0 {
			return math.NaN()
		}
		return float64(c.counts[r][col]) / float64(c.rowN[r])
	}
	// Row r of the grid (y = r) is class nr−1−r: the first class on top.
	gr := grid{cols: nc, rows: nr,
		x: func(i int) float64 { return float64(i) },
		y: func(r int) float64 { return float64(r) },
		z: func(col, r int) float64 { return frac(col, nr-1-r) }}
	h := plotter.NewHeatMap(gr, blues(64))
	h.Min, h.Max = 0, 1
	h.NaN = color.Gray{Y: 235}
	p := plot.New()
	p.Add(h)
	var xys plotter.XYs
	var labels []string
	var styles []text.Style
	for r := range nr {
		for col := range nc {
			xys = append(xys, plotter.XY{X: float64(col), Y: float64(nr - 1 - r)})
			labels = append(labels, strconv.Itoa(c.counts[r][col]))
			st := text.Style{Color: color.Black, Font: p.X.Tick.Label.Font, Handler: p.X.Tick.Label.Handler,
				XAlign: draw.XCenter, YAlign: draw.YCenter}
			if f := frac(col, r); f > 0.5 {
				st.Color = color.White
			}
			styles = append(styles, st)
		}
	}
	if l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels}); err == nil {
		l.TextStyle = styles
		p.Add(l)
	}
	var xt, yt []plot.Tick
	for i, l := range c.cols {
		xt = append(xt, plot.Tick{Value: float64(i), Label: l})
	}
	for r := range nr {
		yt = append(yt, plot.Tick{Value: float64(nr - 1 - r), Label: c.rowLabel(r)})
	}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
	p.X.Label.Text, p.Y.Label.Text = "decided", "true target · per-class accuracy"
	title := fmt.Sprintf("%s: SSVEP confusion, %s windows\n%d trials, accuracy %s (%d/%d)", s.id, g.label(), sc.Trials,
		percent(sc.Accuracy), sc.Correct, sc.Scored)
	if sc.Scored < sc.Trials {
		title += fmt.Sprintf(", %d not scored", sc.Trials-sc.Scored)
	}
	title += "; " + c.truth
	side := d.cfg.Height + vg.Inch
	d.save(p, s, "ssvep-confusion", title, stem, side+1.5*vg.Inch, side)
}

// accuracy draws the accuracy and the ITR against window length, a line
// per decoder, side by side.
func (d *drawer) accuracy(s *session, groups []*ssvepGroup, scores []SSVEPScore) {
	type line struct {
		label    string
		acc, itr plotter.XYs
	}
	var lines []*line
	lengths := map[float64]bool{}
	for i, g := range groups {
		sc := scores[i]
		if math.IsNaN(g.length) || sc.Scored == 0 {
			continue
		}
		label := g.method
		if n := slices.IndexFunc(groups[:i], func(o *ssvepGroup) bool { return o.method == g.method && !slices.Equal(o.targets, g.targets) }); n >= 0 {
			label += fmt.Sprintf(" (%d targets)", len(g.targets))
		}
		j := slices.IndexFunc(lines, func(l *line) bool { return l.label == label })
		if j < 0 {
			lines = append(lines, &line{label: label})
			j = len(lines) - 1
		}
		lines[j].acc = append(lines[j].acc, plotter.XY{X: g.length, Y: sc.Accuracy})
		if !math.IsNaN(sc.ITR) {
			lines[j].itr = append(lines[j].itr, plotter.XY{X: g.length, Y: sc.ITR})
		}
		lengths[g.length] = true
	}
	if len(lines) == 0 {
		return
	}
	pa, pi := plot.New(), plot.New()
	pa.Title.Text, pi.Title.Text = "accuracy", fmt.Sprintf("Wolpaw ITR, %g s gaze shift per selection", GazeShift)
	pa.Y.Label.Text, pi.Y.Label.Text = "accuracy (scored trials)", "ITR (bits/min)"
	pa.Y.Min, pa.Y.Max, pi.Y.Min = 0, 1.05, 0
	for _, p := range []*plot.Plot{pa, pi} {
		p.X.Label.Text = "window length (s)"
		p.Add(plotter.NewGrid())
		p.Legend.Top, p.Legend.Left = false, true
	}
	for k, l := range lines {
		for i, xy := range []plotter.XYs{l.acc, l.itr} {
			slices.SortFunc(xy, func(a, b plotter.XY) int { return cmp.Compare(a.X, b.X) })
			ln, pts, err := plotter.NewLinePoints(xy)
			if err != nil {
				continue
			}
			ln.Color, pts.Color, pts.Shape = plotutil.Color(k), plotutil.Color(k), plotutil.Shape(k)
			pts.Radius = vg.Points(3)
			p := []*plot.Plot{pa, pi}[i]
			p.Add(ln, pts)
			p.Legend.Add(l.label, ln, pts)
		}
	}
	for _, p := range []*plot.Plot{pa, pi} {
		// One length: a point in the middle of a 1 s wide axis.
		if len(lengths) == 1 {
			for x := range lengths {
				p.X.Min, p.X.Max = x-0.5, x+0.5
			}
		}
	}
	title := fmt.Sprintf("%s: SSVEP accuracy and ITR against window length (%d lengths)", s.id, len(lengths))
	if len(lengths) == 1 {
		for x := range lengths {
			title = fmt.Sprintf("%s: SSVEP accuracy and ITR, one window length (%g s) in these files", s.id, x)
		}
	}
	d.saveTiles([][]*plot.Plot{{pa, pi}}, s, "ssvep-accuracy", title, s.id+"-ssvep-accuracy", d.cfg.Width, d.cfg.Height)
}

// WindowText, AccuracyText and ITRText format the score for index.html.
func (sc SSVEPScore) WindowText() string {
	if math.IsNaN(sc.WindowSeconds) {
		return "unknown"
	}
	return strconv.FormatFloat(sc.WindowSeconds, 'g', -1, 64) + " s"
}

func (sc SSVEPScore) AccuracyText() string { return percent(sc.Accuracy) }

func (sc SSVEPScore) ITRText() string {
	if math.IsNaN(sc.ITR) {
		return "–"
	}
	return fmt.Sprintf("%.1f", sc.ITR)
}
