package analyze

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/neurostream/neurostream/pipeline/config"
)

// Run analyses the recordings among args (files as given, folders
// searched) as `neurostream analyze` does, saying on w what it does: for
// each recording its plan (New, opt with Out from OutDirs(out, …)), then
// its pipelines, each run with config.Run and ro (ro.Report is w), then
// where the files are. A recording that cannot be planned is skipped,
// saying why.
//
// A problem with args or opt is an *OptionError, before anything runs. A
// failed run is returned at once, as is a run that ctx stopped before the
// end of its input (*config.Interrupted). Otherwise the outcomes combine
// into an *config.Incomplete when some recording or pipeline was not
// wholly processed (Nothing when no recording was processed at all), or
// nil.
func Run(ctx context.Context, w io.Writer, args []string, out string, opt Options, ro config.RunOptions) error {
	paths, err := Recordings(args, opt.ChannelFiles)
	if err != nil {
		return &OptionError{err}
	}
	if err := CheckOptions(paths, opt); err != nil {
		return err
	}
	ro.Report = w
	dirs := OutDirs(out, paths)
	var nothing, partial []string
	var done []int
	for i, path := range paths {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "== %s → %s\n", path, dirs[i])
		o := opt
		o.Out = dirs[i]
		plan, err := New(path, o)
		if err != nil {
			if oe := (*OptionError)(nil); errors.As(err, &oe) {
				return err
			}
			fmt.Fprintf(w, "skipped: %v\n", err)
			nothing = append(nothing, fmt.Sprintf("%s skipped", path))
			continue
		}
		fmt.Fprintf(w, "%s\n\n", plan.Describe())
		n, p, err := plan.run(ctx, w, opt, ro)
		if err != nil {
			return err
		}
		nothing, partial = append(nothing, n...), append(partial, p...)
		done = append(done, i)
	}
	printResults(w, paths, dirs, done)
	switch {
	case len(nothing) == len(paths):
		return &config.Incomplete{Nothing: true, Reason: "nothing processed: " + strings.Join(nothing, "; ")}
	case len(nothing)+len(partial) > 0:
		return &config.Incomplete{Reason: fmt.Sprintf("partly processed: %s; see above", strings.Join(append(nothing, partial...), "; "))}
	}
	return nil
}

// run runs the plan's pipelines: the spectral one, then the seizure one
// (or says why not). It returns what of the recording was not processed
// at all (nothing) or in part (partial), or the error that ends the
// analysis.
func (p *Plan) run(ctx context.Context, w io.Writer, opt Options, ro config.RunOptions) (nothing, partial []string, err error) {
	what := "spectral: Welch PSD and band powers of the data channels, 2 s windows every 1 s"
	if len(opt.SSVEPFrequencies) > 0 {
		what += ", FBCCA SSVEP decisions"
	}
	fmt.Fprintln(w, what)
	inc, err := runStep(ctx, w, p.Spectral, ro)
	switch {
	case err != nil:
		return nil, nil, err
	case inc != nil && inc.Nothing:
		nothing = append(nothing, fmt.Sprintf("%s: %v", p.Path, inc))
	case inc != nil:
		partial = append(partial, fmt.Sprintf("%s: %v", p.Path, inc))
	}
	fmt.Fprintln(w)
	if p.Seizure == nil {
		fmt.Fprintf(w, "seizure: skipped: %s\n", p.SeizureSkipped)
		return nothing, partial, nil
	}
	fmt.Fprintf(w, "seizure: %s\n", ModelDisclaimer)
	for _, n := range p.SeizureNotes {
		fmt.Fprintf(w, "seizure: %s\n", n)
	}
	inc, err = runStep(ctx, w, p.Seizure, ro)
	if err != nil {
		return nil, nil, err
	}
	if inc == nil || !inc.Nothing {
		caution, err := p.SeizureCaution()
		if err != nil {
			return nil, nil, err
		}
		if caution != "" {
			fmt.Fprintf(w, "seizure: caution: %s\n", caution)
		}
	}
	if inc != nil {
		partial = append(partial, fmt.Sprintf("%s (seizure): %v", p.Path, inc))
	}
	return nothing, partial, nil
}

// runStep runs one pipeline and returns its outcome when it did not
// process all of its input (said once, here), or the error that ends the
// analysis: a failure or an interruption.
func runStep(ctx context.Context, w io.Writer, c *config.Config, ro config.RunOptions) (*config.Incomplete, error) {
	_, err := c.Run(ctx, ro)
	var inc *config.Incomplete
	if errors.As(err, &inc) {
		fmt.Fprintf(w, "%v\n", inc)
		return inc, nil
	}
	return nil, err
}

// printResults says where each analysed recording's files are, and how to
// read them.
func printResults(w io.Writer, paths, dirs []string, done []int) {
	if len(done) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "results (Parquet, one file per kind; docs/schemas.md):")
	for _, i := range done {
		fmt.Fprintf(w, "  %s: %s/\n", paths[i], dirs[i])
	}
	d := dirs[done[0]]
	fmt.Fprintf(w, "e.g. duckdb -c \"SELECT channel, band, avg(power) AS power FROM '%s/bandpower-*.parquet' GROUP BY ALL ORDER BY ALL\"\n", d)
}
