// Package lslin is `neurostream ingest lsl`: it publishes a live Lab
// Streaming Layer EEG/MEG stream to the input topic as one session of wire
// chunks, with marker streams in a stim channel and on the events topic.
//
// Samples are counted onto the session's sample clock; the stream's time
// stamps, corrected with each outlet's clock offset and dejittered by an
// exponentially weighted line (clockFit), only decide where samples are
// missing (a wire gap) and on which sample a marker lands. docs/lsl.md
// ("neurostream ingest lsl") states the algorithm and its error bound.
package lslin
