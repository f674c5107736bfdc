// Package report turns result files (Arrow IPC or Parquet parts, as `run`
// writes them) into PNG and SVG figures and one index.html linking them:
// PSD per channel, band power over time, spectrogram, coherence matrices
// per band, seizure probability with events against reference
// annotations and their SzCORE scores, SSVEP decisions, and for
// event-locked SSVEP trials the confusion matrix and the accuracy and ITR
// against window length (docs/view.md, "Reports"). Figures are drawn with
// gonum.org/v1/plot.
package report

import (
	"fmt"
	"html/template"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot/vg"

	"github.com/neurostream/neurostream/formats/szcore"
)

// Config configures Write.
type Config struct {
	// In is the folder of result files. Required.
	In string
	// Out is the folder the figures and index.html go to; created when
	// missing. Required.
	Out string
	// Reference is an SzCORE annotation TSV file, or a folder searched
	// for them, with the reference seizures: the file NAME.tsv or
	// NAME_events.tsv belongs to session NAME (or NAME_eeg). Default:
	// none.
	Reference string
	// Width and Height of a time-series figure. Default: 8 in × 3.5 in
	// (768 × 336 pixels at 96 dpi in PNG); matrices are Height × Height
	// + 1 in.
	Width, Height vg.Length
	// Logger default: slog.Default().
	Logger *slog.Logger
}

// Figure is one figure written twice, as PNG and as SVG.
type Figure struct {
	Session, Kind, Title string
	// PNG and SVG are paths relative to Config.Out.
	PNG, SVG string
	// WidthPx, HeightPx are the PNG's size.
	WidthPx, HeightPx int
}

// Problem is an input file that could not be used, and why.
type Problem struct {
	File, Reason string
}

func (p Problem) String() string { return p.File + ": " + p.Reason }

// Report is what Write wrote.
type Report struct {
	// Files is the number of result files read.
	Files    int
	Figures  []Figure
	Problems []Problem
	// Scores are the SzCORE event scores of sessions with a reference.
	Scores []Score
	// SSVEP are the trial-mode SSVEP scores, one per session, decoder
	// and window length.
	SSVEP []SSVEPScore
	// Index is the path of index.html.
	Index string
}

func (r *Report) problem(file, reason string) {
	r.Problems = append(r.Problems, Problem{file, reason})
}

// Write reads every result file in cfg.In and writes the figures and
// index.html to cfg.Out. A file it cannot use (unknown kind, empty,
// truncated) is a Problem and the rest are still drawn; the error is for
// what stops the whole report (no such folder, no writable output).
func Write(cfg Config) (*Report, error) {
	if cfg.In == "" || cfg.Out == "" {
		return nil, fmt.Errorf("report: both the input (--in) and output (--out) folders are required")
	}
	if cfg.Width == 0 {
		cfg.Width = 8 * vg.Inch
	}
	if cfg.Height == 0 {
		cfg.Height = 3.5 * vg.Inch
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
		return nil, fmt.Errorf("report: --out: %w", err)
	}
	r := &Report{}
	sessions, err := r.gather(cfg.In)
	if err != nil {
		return nil, err
	}
	refs, err := r.references(cfg.Reference)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(sessions))
	for id := range sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	d := drawer{cfg: cfg, r: r}
	for _, id := range ids {
		s := sessions[id]
		d.psd(s)
		d.bandPower(s)
		d.spectrogram(s)
		d.coherence(s)
		d.seizure(s, refs[refKey(id)])
		d.ssvep(s)
		d.ssvepTrials(s)
	}
	r.Index = filepath.Join(cfg.Out, "index.html")
	if err := r.writeIndex(cfg); err != nil {
		return r, err
	}
	return r, nil
}

// refKey is the session a reference file or session id names: without
// .tsv, _events and _eeg.
func refKey(name string) string {
	name = strings.TrimSuffix(name, ".tsv")
	name = strings.TrimSuffix(name, "_events")
	return strings.TrimSuffix(name, "_eeg")
}

// references reads the SzCORE annotation files under path, by session.
func (r *Report) references(path string) (map[string][]szcore.Event, error) {
	out := map[string][]szcore.Event{}
	if path == "" {
		return out, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("report: --ref: %w", err)
	}
	files := []string{path}
	if fi.IsDir() {
		files = nil
		filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".tsv") {
				files = append(files, p)
			}
			return nil
		})
	}
	for _, f := range files {
		ev, err := szcore.ReadFile(f)
		if err != nil {
			r.problem(f, fmt.Sprintf("not an SzCORE annotation file (%v); skipped", err))
			continue
		}
		out[refKey(filepath.Base(f))] = ev
	}
	return out, nil
}

var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>neurostream report</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#1d232a}figure{display:inline-block;margin:.5em}
figcaption{color:#5f6b76}img{max-width:100%;border:1px solid #d9dee3}.problem{color:#8a5300}
table{border-collapse:collapse}td,th{padding:.2em .6em;border-bottom:1px solid #d9dee3;text-align:left}</style></head>
<body><h1>neurostream report</h1>
<p>{{.Files}} result files from <code>{{.In}}</code>, {{len .Figures}} figures (PNG, with SVG linked).</p>
{{if .Problems}}<h2>Files not used</h2><ul>{{range .Problems}}<li class="problem"><code>{{.File}}</code>: {{.Reason}}</li>{{end}}</ul>{{end}}
{{if .Scores}}<h2>Seizure detection against the reference (SzCORE event scoring)</h2>
<table><tr><th>session</th><th>reference events</th><th>TP</th><th>FP</th><th>sensitivity</th><th>precision</th><th>F1</th><th>FP per 24 h</th></tr>
{{range .Scores}}<tr><td>{{.Session}}</td><td>{{.RefTrue}}</td><td>{{.TP}}</td><td>{{.FP}}</td><td>{{printf "%.3g" .Sensitivity}}</td><td>{{printf "%.3g" .Precision}}</td><td>{{printf "%.3g" .F1}}</td><td>{{printf "%.3g" .FPRate}}</td></tr>{{end}}</table>{{end}}
{{if .SSVEP}}<h2>SSVEP trials (event-locked windows)</h2>
<table><tr><th>session</th><th>method</th><th>window</th><th>trials</th><th>scored</th><th>correct</th><th>accuracy</th><th>classes</th><th>ITR (bits/min)</th><th>true target</th></tr>
{{range .SSVEP}}<tr><td>{{.Session}}</td><td>{{.Method}}</td><td>{{.WindowText}}</td><td>{{.Trials}}</td><td>{{.Scored}}</td><td>{{.Correct}}</td><td>{{.AccuracyText}}</td><td>{{.Classes}}</td><td>{{.ITRText}}</td><td>{{.Truth}}</td></tr>{{end}}</table>
<p>ITR: Wolpaw, with {{.GazeShift}} s of gaze shift added to the window per selection.</p>{{end}}
{{range .Sessions}}<h2 id="{{.ID}}">{{.ID}}</h2>
{{range .Figures}}<figure><a href="{{.SVG}}"><img src="{{.PNG}}" width="{{.WidthPx}}" height="{{.HeightPx}}" alt="{{.Title}}"></a><figcaption>{{.Title}} · <a href="{{.PNG}}">PNG</a> · <a href="{{.SVG}}">SVG</a></figcaption></figure>
{{end}}{{end}}
</body></html>
`))

func (r *Report) writeIndex(cfg Config) error {
	type sess struct {
		ID      string
		Figures []Figure
	}
	var ss []sess
	for _, f := range r.Figures {
		if len(ss) == 0 || ss[len(ss)-1].ID != f.Session {
			ss = append(ss, sess{ID: f.Session})
		}
		ss[len(ss)-1].Figures = append(ss[len(ss)-1].Figures, f)
	}
	f, err := os.Create(r.Index)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	err = indexTmpl.Execute(f, map[string]any{"Files": r.Files, "In": cfg.In, "Figures": r.Figures, "Problems": r.Problems, "Scores": r.Scores,
		"SSVEP": r.SSVEP, "GazeShift": GazeShift, "Sessions": ss})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("report: %s: %w", r.Index, err)
	}
	return nil
}
