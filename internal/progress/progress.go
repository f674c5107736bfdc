// Package progress reports the progress of a long command: a bar redrawn
// in place on a terminal, or else one line per finished item (a file
// replayed, an epoch trained), so that logs and pipes get whole lines and
// no carriage returns. The bar is github.com/schollz/progressbar.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// Mode says how a Reporter shows progress.
type Mode int

const (
	// Auto shows a bar when the writer is a terminal (IsTerminal) and
	// lines otherwise.
	Auto Mode = iota
	// Bar always shows a bar.
	Bar
	// Lines writes one line per finished item and no bar.
	Lines
	// Silent writes nothing.
	Silent
)

// Config says what a Reporter shows.
type Config struct {
	// Mode chooses between a bar and lines.
	// Default: Auto
	Mode Mode
	// Total is the amount of work that Poll's done counts up to.
	// Default: 1000 (Poll returns per mille)
	Total int64
	// Poll returns the work done so far and a status shown after the
	// bar. The Reporter calls it from its own goroutine every Interval
	// while a bar is shown, and once more on Close. Default: none (the
	// bar shows no progress)
	Poll func() (done int64, status string)
	// Interval is how often the bar is redrawn.
	// Default: 100ms
	Interval time.Duration
	// Width of the bar in characters.
	// Default: 24
	Width int
}

// Reporter shows the progress of one command. A nil *Reporter reports
// nothing.
type Reporter struct {
	w    io.Writer
	cfg  Config
	bar  *progressbar.ProgressBar
	mu   sync.Mutex // serialises writes to w
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// New starts a Reporter writing to w; Close stops it.
func New(w io.Writer, cfg Config) *Reporter {
	if cfg.Total <= 0 {
		cfg.Total = 1000
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 100 * time.Millisecond
	}
	if cfg.Width <= 0 {
		cfg.Width = 24
	}
	if cfg.Mode == Auto {
		cfg.Mode = Lines
		if IsTerminal(w) {
			cfg.Mode = Bar
		}
	}
	r := &Reporter{w: w, cfg: cfg}
	if cfg.Mode != Bar {
		return r
	}
	r.bar = progressbar.NewOptions64(cfg.Total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(cfg.Width),
		progressbar.OptionSetTheme(progressbar.Theme{Saucer: "#", SaucerPadding: "-", BarStart: "[", BarEnd: "]"}),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionUseANSICodes(true), // erase the line's rest: the status may shrink
		progressbar.OptionSetPredictTime(false),
	)
	r.bar.StartWithoutRender()
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go r.tick()
	return r
}

// IsTerminal reports whether w is a terminal: a character device, and
// TERM is not "dumb".
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0 && os.Getenv("TERM") != "dumb"
}

// Bar reports whether r shows a bar (and so no lines).
func (r *Reporter) Bar() bool { return r != nil && r.bar != nil }

// Item writes one line for a finished item, formatted as fmt.Sprintf
// does, when r shows lines; with a bar or Silent it writes nothing.
func (r *Reporter) Item(format string, args ...any) {
	if r == nil || r.cfg.Mode != Lines {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, format+"\n", args...)
}

func (r *Reporter) tick() {
	defer close(r.done)
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.draw()
		}
	}
}

// draw redraws the bar with what Poll says.
func (r *Reporter) draw() {
	if r.cfg.Poll == nil {
		return
	}
	done, status := r.cfg.Poll()
	r.mu.Lock()
	defer r.mu.Unlock()
	// Describe redraws; Set64 redraws only when the percentage changes,
	// and the bar draws nothing more once full: the status goes first.
	r.bar.Describe(status)
	r.bar.Set64(min(max(done, 0), r.cfg.Total))
}

// Close draws the bar a last time and ends its line. It is safe to call
// more than once.
func (r *Reporter) Close() {
	if r == nil || r.bar == nil {
		return
	}
	r.once.Do(func() {
		close(r.stop)
		<-r.done
		r.draw()
		r.mu.Lock()
		defer r.mu.Unlock()
		fmt.Fprintln(r.w)
	})
}

// Steps returns a progress callback for work reported as named steps
// counted up to a total (tokenizer.TrainConfig.Progress, the tokens
// report's reading and folds). On a terminal each step gets its own bar,
// redrawn in place and ended when the step is done or the next begins;
// elsewhere it writes one line when a step is done ("step total/total"),
// so logs get whole lines only. A nil w gives a callback that does
// nothing. The callback is not safe for concurrent use.
func Steps(w io.Writer) func(step string, done, total int) {
	if w == nil {
		return func(string, int, int) {}
	}
	if !IsTerminal(w) {
		return stepLines(w)
	}
	return stepBars(w)
}

// stepBars draws a bar per step.
func stepBars(w io.Writer) func(step string, done, total int) {
	var bar *progressbar.ProgressBar
	current := ""
	return func(step string, done, total int) {
		if bar == nil || step != current {
			if bar != nil {
				fmt.Fprintln(w)
			}
			current = step
			bar = progressbar.NewOptions(max(total, 1),
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetWidth(24),
				progressbar.OptionSetDescription(step),
				progressbar.OptionShowCount(),
				progressbar.OptionSetTheme(progressbar.Theme{Saucer: "#", SaucerPadding: "-", BarStart: "[", BarEnd: "]"}),
				progressbar.OptionSetPredictTime(false),
				progressbar.OptionThrottle(100*time.Millisecond),
			)
		}
		bar.Set(min(max(done, 0), max(total, 1)))
		if done >= total {
			// Set draws a full bar whatever the throttle; end its line so
			// that the next step or output starts on a new one.
			fmt.Fprintln(w)
			bar = nil
		}
	}
}

// stepLines writes "step total/total" once per finished step.
func stepLines(w io.Writer) func(step string, done, total int) {
	return func(step string, done, total int) {
		if done >= total {
			fmt.Fprintf(w, "%s %d/%d\n", step, done, total)
		}
	}
}
