// Package dsp is neurostream's signal processing for EEG and MEG: windows,
// FFT plans, power spectra (Welch, multitaper, STFT) and the features taken
// from them, cross-spectra and connectivity, IIR filters, resampling and
// re-referencing. Every result is defined by, and tested against, the
// scipy.signal or MNE-Python call its doc comment names.
//
// # Contents
//
// Windows and detrending:
//   - Hann, Hamming, Blackman: symmetric or periodic (DFT-even) windows.
//   - DPSS: Slepian tapers and their concentration ratios.
//   - Detrend (DetrendConstant, DetrendLinear, DetrendNone), DetrendSignal.
//
// FFT:
//   - RealFFT (NewRealFFT): the real-input FFT every spectral plan uses.
//   - Hilbert (NewHilbert): analytic signal and envelope.
//
// Spectra of one signal:
//   - Welch (NewWelch, WelchConfig): Welch PSD, with Scaling
//     (ScalingDensity, ScalingSpectrum) and Average (AverageMean,
//     AverageMedian).
//   - Multitaper (NewMultitaper, MultitaperConfig): DPSS multitaper PSD,
//     with MultitaperNormalization (MultitaperNormLength,
//     MultitaperNormFull).
//   - STFT (NewSTFT, STFTConfig): short-time Fourier transform, magnitude
//     and power spectrogram; STFTStream (NewSTFTStream) computes it from a
//     signal arriving in chunks.
//   - Features of a PSD: BandPower over a Band (StandardBands: delta to
//     gamma), PeakFrequency, SpectralEdge, SpectralEntropy.
//
// Cross-spectra and connectivity:
//   - CSD (NewCSD, CSDConfig): Welch cross-spectral density matrix of many
//     channels, into a CSDMatrix (NewCSDMatrix; packed Hermitian storage,
//     CSDPackedIndex), whose Connectivity and Coherency score channel
//     pairs.
//   - CSD.Spectra gives a segment's SegmentSpectra (NewSegmentSpectra) for
//     the accumulators: CSDAccumulator (CSD.NewAccumulator) and
//     Connectivity (NewConnectivity, ConnConfig), mne-connectivity's
//     accumulate / combine / compute_con.
//   - ConnMethod (MSC, Coh, Cohy, ImCoh, PLV, PLI, WPLI; ConnMethods,
//     ParseConnMethod), ChannelPair (AllChannelPairs), ConnBandMean and
//     ConnBandMeanComplex (band averages of per-bin scores).
//   - XCorr (NewXCorr, XCorrConfig): normalised cross-correlation over a
//     range of lags.
//
// Filters:
//   - SOS (second-order sections) designed by Butter, Cheby1 (FilterKind:
//     Lowpass, Highpass, Bandpass, Bandstop; ParseFilterKind) and Notch.
//   - SOSFilter (NewSOSFilter): causal, multichannel, state kept across
//     chunks, starting as FilterInit says (InitZero, InitSteady).
//   - FiltFilt (NewFiltFilt) and SOSFiltFilt: zero-phase, offline.
//
// Resampling:
//   - Resampler (NewResampler): streaming polyphase resampling by up/down;
//     ResamplePoly and Decimate do it in one call, ResampledLen says how
//     many samples come out.
//
// Reference:
//   - AverageReference (Apply) and CommonAverage: re-referencing to the
//     mean of a set of channels.
//
// # Units and scaling
//
// Sample rates and frequencies are in Hz, times in seconds, lags and
// lengths in samples. Signals are in any unit (V for EEG from package
// formats); results carry it: "unit²/Hz" is V²/Hz for EEG in V.
//
// Spectra are one-sided unless a config asks otherwise (STFTConfig.TwoSided):
// bins k = 0 … NFFT/2 at k·SampleRate/NFFT Hz (numpy.fft.rfftfreq), and the
// power of every bin but DC and, for even NFFT, Nyquist is doubled so that
// the bins sum to the total power, as scipy's return_onesided=True.
// With window w (Σw its sum, Σw² its energy) and segment spectrum X:
//   - ScalingDensity, the default: |X|²/(SampleRate·Σw²), a power spectral
//     density in unit²/Hz (scipy.signal.welch scaling='density').
//   - ScalingSpectrum: |X|²/(Σw)², a power spectrum in unit² whose bin at a
//     sinusoid's frequency reads its power A²/2 (scaling='spectrum').
//   - Multitaper follows MNE: MultitaperNormLength (its default) is in
//     unit² per cycle/sample, SampleRate times the density;
//     MultitaperNormFull is the density in unit²/Hz.
//   - STFT frames are scaled by 1/Σw (|Z| = A/2 for a sinusoid of
//     amplitude A, scipy.signal.stft's default) or, with Density, by
//     1/√(SampleRate·Σw²).
//   - RealFFT, Hilbert's FFT and SegmentSpectra are unnormalised:
//     X[k] = Σₜ x[t]·e^{−2πi k t/n}, as gonum's fourier.FFT.
//
// BandPower integrates a density over Hz with the trapezoidal rule, giving
// unit². Cross-spectra follow scipy's sign, S_ij = E[conj(X_i)·X_j]
// (MNE's CSD is the conjugate; see CSD). Connectivity scores and
// correlations are dimensionless. Filter edges are in Hz; SOS rows are
// scipy's b0 b1 b2 a0 a1 a2. A Resampler's output rate is
// SampleRate·up/down.
//
// # Plans and the dst contract
//
// The package follows gonum's dsp/fourier: a transform is a reusable plan
// built once (NewRealFFT(n), or New…(cfg) for the configured ones) that
// owns its scratch space, and every operation that produces an array
// writes it to a caller-owned output, the first argument, and returns it:
//
//	psd := w.PSD(dst, x) // func (*Welch) PSD(dst, x []float64) []float64
//
// The rules:
//   - A nil dst allocates a new output of the right length; a dst of any
//     other length panics. So does an input of the wrong length. Panic
//     messages name the operation and the lengths:
//     "dsp: RealFFT.Coefficients: len(x) = 12, want 8".
//   - Panics are kept for programmer mistakes (shapes, channel indices,
//     methods not configured). Failures that depend on the data, such as
//     a signal shorter than FiltFilt's padding or a reference with every
//     channel excluded, return an error; invalid configurations make the
//     New… constructor return an error naming the field.
//   - Each operation's doc comment says how long dst is and whether it may
//     alias the input. Given a dst, operations do not allocate (a few only
//     once their scratch space has grown to the longest input seen, as
//     their doc comments say): the pipeline runs them on every window with
//     no garbage.
//   - Plans whose only parameter is their size, RealFFT and Hilbert, have
//     Reset(n) and Len() like fourier.FFT. The configured plans (Welch,
//     CSD, Multitaper, STFT, XCorr) are rebuilt with New… for another size;
//     their Len() is the length of their main output: frequency bins (per
//     frame for STFT), or lags for XCorr.
//   - Stateful streaming types (SOSFilter, Resampler, STFTStream) carry
//     their state across calls, so any chunking gives the result of one
//     call on the whole signal; Reset() starts a new stream.
//     STFTStream.Write and Flush append frames to dst, as append does,
//     since how many frames a chunk completes depends on what came before.
//   - Plans, accumulators and streaming types are not safe for concurrent
//     use: give each goroutine its own.
package dsp
