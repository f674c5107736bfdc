// Package tokenizer turns single EEG/MEG channels into discrete
// time-frequency motif tokens: one token per channel per 0.5 s frame, from
// a vocabulary learned from recordings, whatever the device, montage or
// amplitude scale.
//
// The pipeline is fixed so that tokens from any source are comparable:
//
//  1. The channel is resampled to SampleRate (200 Hz) with
//     dsp.ResamplePoly (scipy.signal.resample_poly).
//  2. Frame j covers samples [j·Hop, j·Hop+NFFT) = [0.5·j, 0.5·j+1) s: a
//     1 s periodic Hann window, NFFT 200, hop 100 (the STFT of
//     TFM-Tokenizer), mean removed, power in bins 0–99 Hz at 1 Hz
//     resolution (the 100 Hz Nyquist bin is dropped).
//  3. The bins are summed in patches of PatchBins (default 5) bins, the
//     log taken, and the patch values z-scored across the frame: the
//     frame's spectral shape, free of the channel's gain and unit.
//  4. A motif is the frame with Context frames on each side, concatenated
//     and L2-normalised, so a token describes a 1 + 2·Context·0.5 s
//     stretch (2 s by default) centred on its frame.
//  5. The motif's token is its codeword in a two-level vocabulary (see
//     Vocabulary), learned by Train with k-means++ and Lloyd iterations.
//  6. What step 3 removes, the power of the token's centre frame, is
//     kept as its band powers (Token.Powers: ln of the power in each of
//     Bands, delta to gamma), which a vocabulary trained with levels
//     quantises into power levels (Vocabulary.Level) at quantiles of the
//     training frames per band and channel type: the token says the
//     spectral shape, the levels how loud each band is.
//
// Frame j's token exists when frames j−Context … j+Context all lie inside
// the signal; it depends on the samples [(j−Context)·Hop,
// (j+Context)·Hop+NFFT) only, which is what makes a stream's tokens equal
// a one-shot Tokenize of the whole recording (docs/tokenizer.md).
package tokenizer
