// Package ssvep identifies the flicker frequency a user attends to from a
// window of multichannel EEG (steady-state visually evoked potentials):
// CCA, filter-bank CCA, TRCA and ensemble TRCA, the Riemannian decoders
// of MOABB's SSVEP pipelines (mdm, ts-lr; on models/riemann), no-control
// (rest) detection, and the Wolpaw information transfer rate. Trained
// methods share the Decoder interface: TrainDecoder trains one by name,
// LoadDecoder reads their model files. TrainCalibration trains TRCA, or
// calibrates CCA/FBCCA (CanonicalModel), on the trials of a Calibration,
// as `neurostream train ssvep` does; pipeline/train cuts those trials from
// labelled recordings through the pipeline, so they are the windows the
// ssvep stage decodes. This package reads no recordings itself.
//
// Conventions shared by every decoder:
//
//   - A window is x[channel][sample]: every channel has the same number of
//     samples, the decoder's Samples, at the decoder's SampleRate (Hz).
//     Values may be in any unit (V, µV): every score is scale-invariant.
//   - Scores(dst, x) writes one score per target into dst (length =
//     number of targets; nil allocates) and returns it. A higher score
//     means a better match; Argmax picks the target and a NoControl rule
//     may refuse to pick one (no-control state, Rest).
//   - Decoders are reusable plans built once per window length (like
//     gonum's fourier.NewFFT(n)): they own their buffers, allocate nothing
//     per window, and are not safe for concurrent use. A wrong window shape
//     panics (programmer mistake); a window holding NaN or ±Inf returns an
//     error (bad data).
//   - Canonical correlations are those of the column-centred matrices Xᵀ
//     (samples × channels) and Yᵀ (samples × references), the definition of
//     numpy/scipy-style CCA; they lie in [0, 1], in decreasing order.
//
// References: Lin Z et al. (2006) IEEE TBME 53:2610 (CCA for SSVEP); Chen X,
// Wang Y, Gao S, Jung T-P, Gao X (2015) J Neural Eng 12:046008 (FBCCA);
// Nakanishi M et al. (2018) IEEE TBME 65:104 (TRCA, ensemble TRCA); Wolpaw
// JR et al. (2002) Clin Neurophysiol 113:767 (ITR). See docs/ssvep.md for
// the evaluation on recorded data.
package ssvep
