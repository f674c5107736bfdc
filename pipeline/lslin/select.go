package lslin

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/neurostream/neurostream/lsl"
)

// Selectors name the streams to ingest the way `neurostream ingest lsl`
// takes them on its command line; Apply turns them into Config fields.
// Errors call each selector by its flag (--query, --markers, …).
type Selectors struct {
	// Query selects the stream in liblsl's query language; it cannot be
	// combined with Type, Name or SourceID.
	Query string
	// Type, Name and SourceID select the stream by these properties; all
	// that are set must match. Default: type='EEG'.
	Type, Name, SourceID string
	// Markers are marker streams, each by name or type (either matches),
	// or a query when it holds '='.
	Markers []string
	// StimEvents are MARKER=CODE pairs: the positive stim code of each
	// string marker.
	StimEvents []string
	// LSLConfig is the liblsl lsl_api.cfg to read the network settings
	// from. Default: $LSLAPICFG; with neither, Config.LSL is left as is.
	LSLConfig string
}

// Apply sets cfg.Query, cfg.Markers, cfg.StimCodes and cfg.LSL from s.
func (s Selectors) Apply(cfg *Config) error {
	var err error
	if cfg.Query, err = streamQuery(s.Query, s.Type, s.Name, s.SourceID); err != nil {
		return err
	}
	for _, m := range s.Markers {
		q, err := markerQuery(m)
		if err != nil {
			return err
		}
		cfg.Markers = append(cfg.Markers, q)
	}
	if cfg.StimCodes, err = parseStimEvents(s.StimEvents); err != nil {
		return err
	}
	path := s.LSLConfig
	if path == "" {
		path = os.Getenv("LSLAPICFG")
	}
	if path != "" {
		if cfg.LSL, err = lsl.LoadConfig(path); err != nil {
			return err
		}
	}
	return nil
}

// streamQuery builds the stream's query from the selectors.
func streamQuery(query, typ, name, sourceID string) (string, error) {
	var parts []string
	for _, p := range []struct{ prop, v string }{{"type", typ}, {"name", name}, {"source_id", sourceID}} {
		if p.v == "" {
			continue
		}
		q, err := lsl.Prop(p.prop, p.v)
		if err != nil {
			return "", fmt.Errorf("--%s: %w", strings.ReplaceAll(p.prop, "_", "-"), err)
		}
		parts = append(parts, q)
	}
	switch {
	case query != "" && len(parts) > 0:
		return "", errors.New("--query: give it alone, or --type, --name and --source-id")
	case query != "":
		return query, nil
	case len(parts) == 0:
		return "type='EEG'", nil
	}
	return strings.Join(parts, " and "), nil
}

// markerQuery reads a --markers value: a query when it holds '=', else a
// stream name or type.
func markerQuery(m string) (string, error) {
	if strings.Contains(m, "=") {
		return m, nil
	}
	n, err := lsl.Prop("name", m)
	if err != nil {
		return "", fmt.Errorf("--markers %q: %w", m, err)
	}
	t, _ := lsl.Prop("type", m)
	return n + " or " + t, nil
}

// parseStimEvents reads --stim-events' MARKER=CODE pairs.
func parseStimEvents(events []string) (map[string]int, error) {
	codes := map[string]int{}
	for _, e := range events {
		d, c, ok := strings.Cut(e, "=")
		code, err := strconv.Atoi(c)
		if !ok || d == "" || err != nil || code <= 0 {
			return nil, fmt.Errorf("--stim-events %q: want MARKER=CODE with a positive integer code", e)
		}
		codes[d] = code
	}
	return codes, nil
}

// Summary writes what `neurostream ingest lsl` prints after an ingest
// with cfg: the session, its chunks, samples and duration, how it
// ended, its gaps, stalls and reconnections, and with Markers their
// count. It writes nothing when no session began.
func (r Result) Summary(w io.Writer, cfg Config) {
	if r.Session == "" {
		return
	}
	rate := r.Stream.NominalRate
	fmt.Fprintf(w, "ingested %q as session %s: %d chunks, %d samples (%.1f s at %g Hz) to %s in %.1f s; ended: %s\n",
		r.Stream.Name, r.Session, r.Chunks, r.Samples, float64(r.Samples)/rate, rate, cfg.Topic, r.Elapsed.Seconds(), r.Ended)
	fmt.Fprintf(w, "gaps %d (%d samples missing), stalls %d, reconnections %d, largest time-stamp residual %.2f ms, final chunk %v\n",
		r.Gaps, r.Missing, r.Stalls, r.Reconnects, 1e3*r.MaxResidual, r.Final)
	if len(cfg.Markers) > 0 {
		fmt.Fprintf(w, "markers %d (%d late, %d dropped)", r.Markers, r.Late, r.Dropped)
		if cfg.EventsTopic != "" {
			fmt.Fprintf(w, " to %s and stim channel %s", cfg.EventsTopic, cfg.StimChannel)
		}
		fmt.Fprintln(w)
	}
}
