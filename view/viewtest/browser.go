// Package viewtest drives the live view's page in headless Chromium for
// tests (github.com/chromedp/chromedp): load it, wait for what a person
// would see, read the page, take screenshots, and collect console errors.
//
// Chromium is Debian's `chromium` package (.ci/run installs it). Where it
// is absent a test skips with a message saying so, except under CI=true,
// where its absence fails the test.
package viewtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium returns the browser's path: $NEUROSTREAM_CHROMIUM, or the
// first of chromium, chromium-browser, google-chrome on PATH.
func Chromium() (string, error) {
	if p := os.Getenv("NEUROSTREAM_CHROMIUM"); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium, chromium-browser or google-chrome on PATH")
}

// Page is one headless browser tab.
type Page struct {
	Ctx context.Context

	mu     sync.Mutex
	errors []string
}

// Open starts headless Chromium (closed at the end of the test), with a
// 1400×1600 window, and loads url.
func Open(t testing.TB, url string) *Page {
	t.Helper()
	path, err := Chromium()
	if err != nil {
		msg := fmt.Sprintf("%v: install Debian's chromium package (apt-get install chromium) for the browser tests", err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: .ci/run installs it)")
		}
		t.Skip(msg)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1400, 1600),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	p := &Page{Ctx: ctx}
	// Console starts the browser; every message from then on is kept.
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				p.addError(fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("chromium: load %s: %v", url, err)
	}
	return p
}

func (p *Page) addError(s string) {
	p.mu.Lock()
	p.errors = append(p.errors, s)
	p.mu.Unlock()
}

// Errors returns the console errors, exceptions and failed loads so far.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errors...)
}

// Eval evaluates a JavaScript expression on the page and returns its
// value, JSON-decoded into T.
func Eval[T any](t testing.TB, p *Page, expr string) T {
	t.Helper()
	v, err := chromedp.Run(p.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// WaitFor polls a JavaScript expression until it is true, failing the
// test with what after timeout.
func (p *Page) WaitFor(t testing.TB, timeout time.Duration, what, expr string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := chromedp.Run(p.Ctx, chromedp.Evaluate[bool]("!!("+expr+")"))
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(p.Ctx, chromedp.Evaluate[string]("document.body.innerText.slice(0, 3000)"))
			t.Fatalf("after %v the page shows no %s (%s); page text:\n%s\nconsole errors: %q", timeout, what, expr, body, p.Errors())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Screenshot writes a PNG of the whole page to path and returns it.
func (p *Page) Screenshot(t testing.TB, path string) []byte {
	t.Helper()
	buf, err := chromedp.Run(p.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return buf
}

// ElementScreenshot returns a PNG of the first element matching a CSS
// selector.
func (p *Page) ElementScreenshot(t testing.TB, sel string) []byte {
	t.Helper()
	if err := chromedp.Do(p.Ctx, chromedp.ScrollIntoView(sel)); err != nil {
		t.Fatalf("scroll to %s: %v", sel, err)
	}
	buf, err := chromedp.Run(p.Ctx, chromedp.Screenshot(sel))
	if err != nil {
		t.Fatalf("screenshot of %s: %v", sel, err)
	}
	return buf
}

// PixelStats returns the variance of a PNG's grey levels (0…255²) and its
// number of distinct colours: a blank page has variance near 0 and a
// handful of colours.
func PixelStats(b []byte) (variance float64, colours int, err error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return 0, 0, err
	}
	return Stats(img)
}

// Stats is PixelStats of a decoded image.
func Stats(img image.Image) (variance float64, colours int, err error) {
	r := img.Bounds()
	seen := map[uint32]struct{}{}
	var n, sum, sum2 float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			seen[(cr>>8)<<16|(cg>>8)<<8|cb>>8] = struct{}{}
			g := (0.299*float64(cr) + 0.587*float64(cg) + 0.114*float64(cb)) / 257
			n++
			sum += g
			sum2 += g * g
		}
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("empty image")
	}
	mean := sum / n
	return sum2/n - mean*mean, len(seen), nil
}

// JSON formats v for a test log.
func JSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
