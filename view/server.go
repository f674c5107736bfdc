package view

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"time"
)

// web holds the page: index.html, app.js, app.css and the vendored uPlot
// build (web/vendor/uplot, refreshed and checked by `make uplot`). The
// page loads nothing from elsewhere.
//
//go:embed web
var web embed.FS

// Assets returns the page's files (for tests).
func Assets() fs.FS {
	sub, _ := fs.Sub(web, "web") // a constant, valid path
	return sub
}

// writeTimeout bounds one update's write to a page: a browser that takes
// longer is disconnected (it reconnects by itself and gets everything
// again), so it cannot pin its goroutine.
const writeTimeout = 10 * time.Second

// heartbeat is the longest silence on an update stream; proxies and
// browsers keep an idle one open with it.
const heartbeat = 15 * time.Second

// Handler serves the page at /, its files, and the update stream at
// /events?session=ID (Server-Sent Events: one "frame" event per update,
// JSON; the session named is the one the page shows in detail).
func (h *Hub) Handler() http.Handler {
	mux := http.NewServeMux()
	files := http.FileServerFS(Assets())
	mux.Handle("GET /", files)
	mux.HandleFunc("GET /events", h.serveEvents)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	return mux
}

func (h *Hub) serveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	c := &client{selected: r.URL.Query().Get("session")}
	h.mu.RLock()
	seen := h.ticks
	h.mu.RUnlock()
	ctx := r.Context()
	for {
		if f := h.frame(c); f != nil {
			b, err := json.Marshal(f)
			if err != nil {
				h.cfg.Logger.Error("view: update", "error", err)
				return
			}
			rc.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := fmt.Fprintf(w, "event: frame\ndata: %s\n\n", b); err != nil {
				return
			}
			if rc.Flush() != nil {
				return
			}
			c.lastSent = time.Now()
		} else if time.Since(c.lastSent) > heartbeat {
			rc.SetWriteDeadline(time.Now().Add(writeTimeout))
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
			c.lastSent = time.Now()
		}
		h.mu.RLock()
		tick, closed := h.tick, h.closed
		h.mu.RUnlock()
		if closed {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
		h.mu.RLock()
		now := h.ticks
		h.mu.RUnlock()
		if d := now - seen - 1; d > 0 {
			c.skipped += d
		}
		seen = now
	}
}

// Serve listens on addr (host:port; port 0 picks one) and serves the hub
// until ctx ends. It returns the address it listens on, and a function
// that waits until the server stopped.
func (h *Hub) Serve(ctx context.Context, addr string) (string, func() error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("view: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx) // the event streams end with the hub's Run
		srv.Close()
	})
	return ln.Addr().String(), func() error {
		err := <-done
		stop()
		return err
	}, nil
}

// Start runs a hub of cfg (Run) and serves it on addr (Serve) until ctx
// ends or stop is called. It returns the hub, the address the server
// listens on, and stop, which ends both and waits for them; a server
// error is logged.
func Start(ctx context.Context, cfg Config, addr string) (hub *Hub, bound string, stop func(), err error) {
	hub = NewHub(cfg)
	ctx, cancel := context.WithCancel(ctx)
	hubDone := make(chan struct{})
	go func() {
		hub.Run(ctx)
		close(hubDone)
	}()
	bound, wait, err := hub.Serve(ctx, addr)
	if err != nil {
		cancel()
		<-hubDone
		return nil, "", nil, err
	}
	return hub, bound, func() {
		cancel()
		<-hubDone
		if err := wait(); err != nil {
			hub.cfg.Logger.Warn("view: server", "error", err)
		}
	}, nil
}
