// Package view is neurostream's live web view: a page that lists every
// session with its health and draws, for the session picked, the PSD of
// the latest window, band-power trends, a spectrogram, a token strip, the
// coherence matrix, the seizure probability with events and alarms, and
// the SSVEP decision (docs/view.md).
//
// A Hub holds what the page shows. It is fed by a Sink (the runtime's
// results, `neurostream run --view`) or a Kafka reader of the result
// topics (`neurostream view`), always through a bounded buffer that drops
// its oldest result when full, so the view never slows the pipeline. The
// page is served from files embedded in the binary (uPlot included) and
// updated by Server-Sent Events; it loads nothing from the network.
package view
