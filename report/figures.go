package report

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/neurostream/neurostream/formats/szcore"
	"github.com/neurostream/neurostream/models/metrics"
)

// Score is one session's SzCORE event scoring against its reference.
type Score struct {
	Session string
	metrics.Score
}

type drawer struct {
	cfg Config
	r   *Report
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// save writes p as STEM.png and STEM.svg and records the figure; a
// failure is a problem of the report, not of the input.
func (d *drawer) save(p *plot.Plot, s *session, kind, title, stem string, w, h vg.Length) {
	p.Title.Text = title
	d.saveWith(p.Draw, s, kind, title, stem, w, h)
}

// saveTiles draws plots side by side (rows × columns, aligned) under
// title and saves them as one figure.
func (d *drawer) saveTiles(plots [][]*plot.Plot, s *session, kind, title, stem string, w, h vg.Length) {
	d.saveWith(func(dc draw.Canvas) {
		head := plot.New().Title.TextStyle // centred, from the top
		dc.FillText(head, vg.Point{X: dc.Center().X, Y: dc.Max.Y + head.FontExtents().Descent}, title)
		body := dc
		body.Max.Y -= head.Rectangle(title).Size().Y + vg.Points(10)
		tiles := draw.Tiles{Rows: len(plots), Cols: len(plots[0]), PadX: vg.Points(24), PadY: vg.Points(12),
			PadLeft: vg.Points(4), PadRight: vg.Points(8), PadBottom: vg.Points(4)}
		canvases := plot.Align(plots, tiles, body)
		for i, row := range plots {
			for j, p := range row {
				p.Draw(canvases[i][j])
			}
		}
	}, s, kind, title, stem, w, h)
}

// saveWith writes what drawFig draws as STEM.png and STEM.svg.
func (d *drawer) saveWith(drawFig func(draw.Canvas), s *session, kind, title, stem string, w, h vg.Length) {
	stem = unsafeName.ReplaceAllString(stem, "_")
	f := Figure{Session: s.id, Kind: kind, Title: title, PNG: stem + ".png", SVG: stem + ".svg",
		WidthPx: int(math.Round(w.Points() / vg.Inch.Points() * 96)), HeightPx: int(math.Round(h.Points() / vg.Inch.Points() * 96))}
	for _, name := range []string{f.PNG, f.SVG} {
		path := filepath.Join(d.cfg.Out, name)
		if err := writeCanvas(drawFig, w, h, path); err != nil {
			d.r.problem(path, fmt.Sprintf("not written: %v", err))
			return
		}
	}
	d.r.Figures = append(d.r.Figures, f)
}

// writeCanvas draws on a w × h canvas of the format path's extension
// names and writes it to path, as plot.Save does.
func writeCanvas(drawFig func(draw.Canvas), w, h vg.Length, path string) error {
	c, err := draw.NewFormattedCanvas(w, h, strings.TrimPrefix(filepath.Ext(path), "."))
	if err != nil {
		return err
	}
	drawFig(draw.New(c))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = c.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// timeAxis labels an x axis in seconds from the session's sample 0.
func timeAxis(p *plot.Plot) { p.X.Label.Text = "time from the session start (s)" }

func (d *drawer) psd(s *session) {
	if len(s.psdSum) == 0 {
		return
	}
	p := plot.New()
	p.X.Label.Text = "frequency (Hz)"
	p.Y.Label.Text = "PSD (" + s.psdUnit + "), mean over windows"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: 1}
	p.Add(plotter.NewGrid())
	for k, sum := range s.psdSum {
		if sum == nil || s.psdN[k] == 0 {
			continue
		}
		var xy plotter.XYs
		for j, v := range sum {
			if m := v / float64(s.psdN[k]); m > 0 {
				xy = append(xy, plotter.XY{X: s.psdStart + float64(j)*s.psdStep, Y: m})
			}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			continue
		}
		l.Color = plotutil.Color(k)
		l.Width = vg.Points(0.8)
		p.Add(l)
		if len(s.channels) <= 12 {
			p.Legend.Add(s.channels[k], l)
		}
	}
	p.Legend.Top = true
	d.save(p, s, "psd", fmt.Sprintf("%s: PSD per channel (%d channels)", s.id, len(s.channels)), s.id+"-psd", d.cfg.Width, d.cfg.Height)
}

func (d *drawer) bandPower(s *session) {
	if len(s.bands) == 0 {
		return
	}
	p := plot.New()
	timeAxis(p)
	p.Y.Label.Text = "relative power, mean over channels"
	p.Add(plotter.NewGrid())
	for k, b := range s.bands {
		var xy plotter.XYs
		for _, pt := range s.bp[b] {
			if t := s.seconds(pt.startSample, pt.startNS); !math.IsNaN(t) && !math.IsNaN(pt.v) {
				xy = append(xy, plotter.XY{X: t, Y: pt.v})
			}
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			continue
		}
		l.Color = plotutil.Color(k)
		l.Width = vg.Points(1.2)
		p.Add(l)
		p.Legend.Add(b, l)
	}
	p.Legend.Top = true
	d.save(p, s, "bandpower", s.id+": band power over time", s.id+"-bandpower", d.cfg.Width, d.cfg.Height)
}

// grid is a plotter.GridXYZ over cells (column c, row r).
type grid struct {
	cols, rows int
	x, y       func(i int) float64
	z          func(c, r int) float64
}

func (g grid) Dims() (int, int)   { return g.cols, g.rows }
func (g grid) Z(c, r int) float64 { return g.z(c, r) }
func (g grid) X(c int) float64    { return g.x(c) }
func (g grid) Y(r int) float64    { return g.y(r) }
func colorMap(cm palette.ColorMap, lo, hi float64) palette.Palette {
	cm.SetMin(lo)
	cm.SetMax(hi)
	return cm.Palette(64)
}

func (d *drawer) spectrogram(s *session) {
	if len(s.spec) < 2 {
		return
	}
	bins := len(s.spec[0].v)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range s.spec {
		for _, v := range c.v {
			if v > 0 {
				lo, hi = math.Min(lo, math.Log10(v)), math.Max(hi, math.Log10(v))
			}
		}
	}
	if !(hi > lo) {
		return
	}
	g := grid{cols: len(s.spec), rows: bins,
		x: func(i int) float64 { return s.seconds(s.spec[i].startSample, s.spec[i].startNS) },
		y: func(r int) float64 { return s.psdStart + float64(r)*s.psdStep },
		z: func(c, r int) float64 {
			if r >= len(s.spec[c].v) || !(s.spec[c].v[r] > 0) {
				return math.NaN()
			}
			return math.Log10(s.spec[c].v[r])
		}}
	if math.IsNaN(g.x(0)) {
		return
	}
	h := plotter.NewHeatMap(g, colorMap(moreland.ExtendedBlackBody(), lo, hi))
	h.Min, h.Max = lo, hi
	h.Rasterized = true // one image: no seams between cells
	p := plot.New()
	timeAxis(p)
	p.Y.Label.Text = "frequency (Hz)"
	p.Add(h)
	d.save(p, s, "spectrogram", fmt.Sprintf("%s: spectrogram, log10 channel-mean PSD (%.3g … %.3g)", s.id, lo, hi),
		s.id+"-spectrogram", d.cfg.Width, d.cfg.Height)
}

func (d *drawer) coherence(s *session) {
	n := len(s.cohLabels)
	if n < 2 {
		return
	}
	signed := s.cohMethod == "imcoh"
	for _, band := range s.cohBands {
		m := s.coh[band]
		g := grid{cols: n, rows: n,
			x: func(i int) float64 { return float64(i) },
			// Row r (y = r) is seed n−1−r: the first seed on top.
			y: func(r int) float64 { return float64(r) },
			z: func(c, r int) float64 {
				seed, target := n-1-r, c
				if a := m[[2]int{seed, target}]; a != nil && a.n > 0 {
					return a.sum / float64(a.n)
				}
				if a := m[[2]int{target, seed}]; a != nil && a.n > 0 {
					v := a.sum / float64(a.n)
					if signed {
						v = -v
					}
					return v
				}
				return math.NaN()
			}}
		lo, hi := 0.0, 1.0
		var cm palette.ColorMap = moreland.Kindlmann()
		if signed {
			lo, cm = -1, moreland.SmoothBlueRed()
		}
		h := plotter.NewHeatMap(g, colorMap(cm, lo, hi))
		h.Min, h.Max = lo, hi
		p := plot.New()
		p.Add(h)
		var xt, yt []plot.Tick
		for i, l := range s.cohLabels {
			xt = append(xt, plot.Tick{Value: float64(i), Label: l})
			yt = append(yt, plot.Tick{Value: float64(n - 1 - i), Label: l})
		}
		p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
		p.X.Label.Text, p.Y.Label.Text = "target", "seed"
		side := d.cfg.Height + vg.Inch
		d.save(p, s, "coherence", fmt.Sprintf("%s: %s, %s band, mean over windows (%g … %g)", s.id, s.cohMethod, band, lo, hi),
			s.id+"-coherence-"+band, side+vg.Inch/2, side)
	}
}

// span is a filled rectangle from x0 to x1 between y0 and y1.
func span(x0, x1, y0, y1 float64, c color.Color) *plotter.Polygon {
	poly, _ := plotter.NewPolygon(plotter.XYs{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	poly.Color = c
	poly.LineStyle.Width = 0
	return poly
}

func (d *drawer) seizure(s *session, ref []szcore.Event) {
	if len(s.sz) == 0 && len(s.events) == 0 {
		return
	}
	p := plot.New()
	timeAxis(p)
	p.Y.Label.Text = "seizure probability"
	p.Y.Min, p.Y.Max = 0, 1.1
	p.Add(plotter.NewGrid())
	var refEvents, hypEvents []metrics.Event
	for _, e := range ref {
		if szcore.IsSeizure(e.EventType) {
			refEvents = append(refEvents, metrics.Event{Start: e.Onset, Stop: e.Onset + e.Duration})
			p.Add(span(e.Onset, e.Onset+e.Duration, 1.02, 1.1, color.RGBA{46, 125, 50, 255}))
		}
	}
	for _, e := range s.events {
		hypEvents = append(hypEvents, metrics.Event{Start: e.onset, Stop: e.offset})
		p.Add(span(e.onset, e.offset, 0, 1, color.NRGBA{198, 40, 40, 60}))
	}
	var prob, smooth plotter.XYs
	for _, pt := range s.sz {
		t := s.seconds(pt.startSample, pt.startNS)
		if math.IsNaN(t) {
			continue
		}
		prob = append(prob, plotter.XY{X: t, Y: pt.p})
		smooth = append(smooth, plotter.XY{X: t, Y: pt.smoothed})
	}
	for i, xy := range []plotter.XYs{prob, smooth} {
		if l, err := plotter.NewLine(xy); err == nil {
			l.Color = []color.Color{color.RGBA{96, 125, 139, 255}, color.RGBA{21, 101, 192, 255}}[i]
			l.Width = vg.Points(0.7 + float64(i))
			p.Add(l)
			p.Legend.Add([]string{"probability", "smoothed"}[i], l)
		}
	}
	title := fmt.Sprintf("%s: seizure probability, %d events (red)", s.id, len(s.events))
	if ref != nil {
		dur := 0.0
		if s.sampleRate > 0 {
			dur = float64(s.samples) / s.sampleRate
		}
		for _, e := range refEvents {
			dur = math.Max(dur, e.Stop)
		}
		for _, e := range hypEvents {
			dur = math.Max(dur, e.Stop)
		}
		const fs = metrics.EventGridRate
		n := int(math.Round(dur * fs))
		sc := metrics.EventScoring(metrics.AnnotationFromEvents(refEvents, fs, n), metrics.AnnotationFromEvents(hypEvents, fs, n), metrics.DefaultEventParams())
		d.r.Scores = append(d.r.Scores, Score{Session: s.id, Score: sc.Score})
		title += fmt.Sprintf(", reference (green) %d: sensitivity %.2g, precision %.2g, F1 %.2g", sc.RefTrue, sc.Sensitivity, sc.Precision, sc.F1)
	}
	p.Legend.Top = true
	p.Legend.Left = true
	d.save(p, s, "seizure", title, s.id+"-seizure", d.cfg.Width, d.cfg.Height)
}

func (d *drawer) ssvep(s *session) {
	if len(s.ssvep) == 0 {
		return
	}
	p := plot.New()
	timeAxis(p)
	p.Y.Label.Text = "decision (Hz); rest below 0"
	var dec plotter.XYs
	for _, pt := range s.ssvep {
		t := s.seconds(pt.startSample, pt.startNS)
		if math.IsNaN(t) {
			continue
		}
		f := pt.frequency
		if pt.decision < 0 || math.IsNaN(f) {
			f = -1
		}
		dec = append(dec, plotter.XY{X: t, Y: f})
	}
	sc, err := plotter.NewScatter(dec)
	if err != nil {
		return
	}
	sc.Color = color.RGBA{239, 108, 0, 255}
	p.Add(plotter.NewGrid(), sc)
	d.save(p, s, "ssvep", fmt.Sprintf("%s: SSVEP decisions (%d windows)", s.id, len(s.ssvep)), s.id+"-ssvep", d.cfg.Width, d.cfg.Height)
}
