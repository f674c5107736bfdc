// Package stages adapts the domain packages (dsp, tokenizer,
// models/seizure and models/ssvep) into the pipeline's per-window stages
// and per-session preprocess steps, and maps the type names a
// configuration uses to their constructors.
//
// Stages (Types, Build, Kinds) run on every window and write results:
// "psd" (Welch PSD and band powers), "coherence" (spectral connectivity
// per band: mne-connectivity's coh, cohy, imcoh, plv, pli and wpli, and
// scipy's msc), "xcorr" (cross-correlation of signals or their Hilbert
// envelopes with a reference channel), "ssvep" (CCA/FBCCA/TRCA target
// decisions), "seizure" (seizure probability and events from a trained
// model) and "tokens" (time-frequency motif tokens). Preprocess steps
// (PreprocessTypes, BuildPreprocess) transform a session's samples before
// windowing, with state carried across chunks: "filter" and "notch" (IIR,
// causal), "reference" (common average) and "resample" (polyphase).
// ChannelPicks selects the channels a stage analyses, as MNE's picks.
//
// Each stage builds its dsp plans once per session and reuses them: the
// signal processing of a window allocates nothing, and what a window
// allocates at all (Arrow record assembly) does not grow with its length
// (tested with testing.AllocsPerRun).
package stages
