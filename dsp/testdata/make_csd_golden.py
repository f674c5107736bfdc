#!/usr/bin/env python3
"""Write cross-spectral reference values for dsp's CSD/connectivity tests.

Usage: make_csd_golden.py OUT.json   (default dsp/testdata/csd_golden.json;
run with the pinned virtualenv, never edit the output by hand)

Data: 4 channels x 2000 samples at 250 Hz, seeded. A 10 Hz oscillation with
a wandering phase is shared by channels 0-2 (channel 1 sees it 5 samples late,
channel 2 8 samples late and weaker), a band-limited 20-30 Hz noise is shared
by channels 2 and 3 (3 samples apart), and every channel has its own white
noise, so coherence, imaginary coherence and the phase measures are neither
0 nor 1.

Sections:
  csd        scipy.signal.csd(x[i], x[j]) for every i <= j (packed upper
             triangle, row-major, per bin), scipy.signal.welch(x[i]) and, for
             average='mean' cases, scipy.signal.coherence(x[i], x[j]) for i < j.
  mne        mne_connectivity.spectral_connectivity_epochs(mode='fourier') for
             coh, cohy, imcoh, plv, pli, wpli on an epochs array whose epochs
             are the Welch segments of the same data (epoch e = x[:, e*step :
             e*step + n_times]); once per bin over all lower-triangular pairs
             (indices=None, fmin/fmax given, faverage=False) and once band-
             averaged (faverage=True) over an explicit seed/target list.
  xcorr      scipy.signal.correlate(x, y, mode='full', method='direct') for
             |lag| <= max_lag, divided by norm(x)*norm(y) (after removing the
             means when demean is true); lags from correlation_lags.
  hilbert    scipy.signal.hilbert(x, N): analytic signal and its magnitude.
"""
import json
import os
import sys

import mne
import mne_connectivity
import numpy as np
import scipy
from mne_connectivity import spectral_connectivity_epochs
from scipy import signal

FS = 250.0
N = 2000
N_CH = 4

# scipy.signal.csd cases on x[:, :n] (n defaults to N). window None = scipy's
# default 'hann' (periodic); otherwise the named window's weights are stored.
CSD_CASES = [
    dict(nperseg=256, noverlap=None, nfft=None, detrend="constant", scaling="density", average="mean", window=None),
    dict(nperseg=200, noverlap=50, nfft=256, detrend="linear", scaling="spectrum", average="mean", window=None),
    dict(nperseg=250, noverlap=125, nfft=None, detrend=False, scaling="density", average="median", window=None),
    dict(nperseg=127, noverlap=100, nfft=None, detrend="constant", scaling="density", average="median", window=None),
    dict(nperseg=150, noverlap=0, nfft=301, detrend="constant", scaling="spectrum", average="mean", window="hamming"),
    dict(nperseg=400, noverlap=None, nfft=None, detrend="constant", scaling="density", average="median", window=None,
         n=400),
]

METHODS = ["coh", "cohy", "imcoh", "plv", "pli", "wpli"]
# Epoch configurations for mne-connectivity: epochs are Welch segments.
MNE_CASES = [
    dict(n_times=250, step=125, fmin=1.0, fmax=100.0),
    dict(n_times=125, step=125, fmin=2.0, fmax=125.0),
]
MNE_BANDS = dict(fmin=[4.0, 8.0, 13.0, 30.0], fmax=[8.0, 13.0, 30.0, 45.0])
MNE_PAIRS = ([0, 1, 2, 3, 0], [1, 0, 3, 2, 2])  # seeds, targets (both orders)

XCORR_CASES = [
    dict(n=300, max_lag=20, demean=False, a=0, b=1),
    dict(n=300, max_lag=299, demean=True, a=2, b=3),
    dict(n=2000, max_lag=300, demean=True, a=0, b=2),
    dict(n=1, max_lag=0, demean=False, a=0, b=1),
]
HILBERT_CASES = [
    dict(n=301, nfft=None),
    dict(n=256, nfft=None),
    dict(n=200, nfft=256),
    dict(n=300, nfft=250),
]


def make_data(rng):
    t = np.arange(N + 50) / FS
    phase = 2 * np.pi * 10 * t + np.cumsum(rng.standard_normal(N + 50)) * 0.05
    s1 = np.sin(phase)
    b, a = signal.butter(4, [20, 30], btype="band", fs=FS)
    s2 = signal.lfilter(b, a, rng.standard_normal(N + 50)) * 3
    x = np.empty((N_CH, N))
    x[0] = s1[20:20 + N]
    x[1] = 0.8 * s1[15:15 + N]
    x[2] = 0.4 * s1[12:12 + N] + s2[20:20 + N]
    x[3] = 0.9 * s2[17:17 + N]
    x += rng.standard_normal(x.shape) * np.array([0.7, 0.9, 0.8, 1.0])[:, None]
    return x * 1e-5  # volts, EEG-like


def csd_section(x):
    iu = np.triu_indices(N_CH)
    out = []
    for c in CSD_CASES:
        c = {"n": N, **c}
        xc = x[:, :c["n"]]
        win = "hann" if c["window"] is None else signal.get_window(c["window"], c["nperseg"])
        kw = dict(fs=FS, window=win, nperseg=c["nperseg"], noverlap=c["noverlap"], nfft=c["nfft"],
                  detrend=c["detrend"], scaling=c["scaling"], average=c["average"])
        f, pxy = signal.csd(xc[iu[0]], xc[iu[1]], **kw)  # (pairs, bins)
        _, pxx = signal.welch(xc, **kw)
        rec = {**c, "freqs": f.tolist(), "csd_re": pxy.real.T.ravel().tolist(),
               "csd_im": pxy.imag.T.ravel().tolist(), "welch": pxx.tolist(),
               "window_weights": None if c["window"] is None else win.tolist()}
        if c["average"] == "mean":
            il = np.triu_indices(N_CH, 1)
            _, cxy = signal.coherence(xc[il[0]], xc[il[1]], fs=FS, window=win, nperseg=c["nperseg"],
                                      noverlap=c["noverlap"], nfft=c["nfft"], detrend=c["detrend"])
            rec["coherence"] = cxy.tolist()  # (pairs i<j row-major, bins)
        out.append(rec)
    return out


def con_data(con, pairs):
    """Scores as [pair][freq] for the given (seed, target) list."""
    d = con.get_data(output="dense") if con.indices is None else con.get_data()
    if con.indices is None:
        d = np.stack([d[i, j] for i, j in zip(*pairs)])
    return d


def mne_section(x):
    out = []
    for c in MNE_CASES:
        nt, step = c["n_times"], c["step"]
        n_ep = (N - (nt - step)) // step
        epochs = np.stack([x[:, e * step:e * step + nt] for e in range(n_ep)])
        tril = np.tril_indices(N_CH, -1)
        rec = {**c, "n_epochs": int(n_ep), "tril_seeds": tril[0].tolist(), "tril_targets": tril[1].tolist(),
               "pairs_seeds": MNE_PAIRS[0], "pairs_targets": MNE_PAIRS[1],
               "band_fmin": MNE_BANDS["fmin"], "band_fmax": MNE_BANDS["fmax"],
               "per_bin": {}, "bands": {}}
        cons = spectral_connectivity_epochs(epochs, method=METHODS, sfreq=FS, mode="fourier",
                                            fmin=c["fmin"], fmax=c["fmax"], faverage=False, verbose=False)
        rec["freqs"] = np.asarray(cons[0].freqs).tolist()
        for m, con in zip(METHODS, cons):
            d = con_data(con, tril)
            rec["per_bin"][m] = {"re": d.real.tolist(), "im": d.imag.tolist()} if m == "cohy" else d.tolist()
        cons = spectral_connectivity_epochs(epochs, method=METHODS, sfreq=FS, mode="fourier",
                                            indices=(np.array(MNE_PAIRS[0]), np.array(MNE_PAIRS[1])),
                                            fmin=tuple(MNE_BANDS["fmin"]), fmax=tuple(MNE_BANDS["fmax"]),
                                            faverage=True, verbose=False)
        for m, con in zip(METHODS, cons):
            d = con_data(con, MNE_PAIRS)
            rec["bands"][m] = {"re": d.real.tolist(), "im": d.imag.tolist()} if m == "cohy" else d.tolist()
        out.append(rec)
    return out


def xcorr_section(x):
    out = []
    for c in XCORR_CASES:
        a, b = x[c["a"], :c["n"]].copy(), x[c["b"], :c["n"]].copy()
        if c["demean"]:
            a -= a.mean()
            b -= b.mean()
        full = signal.correlate(a, b, mode="full", method="direct")
        lags = signal.correlation_lags(len(a), len(b), mode="full")
        m = np.abs(lags) <= c["max_lag"]
        r = full[m] / (np.linalg.norm(a) * np.linalg.norm(b))
        out.append({**c, "lags": lags[m].tolist(), "r": r.tolist()})
    return out


def hilbert_section(x):
    out = []
    for c in HILBERT_CASES:
        z = signal.hilbert(x[1, :c["n"]], N=c["nfft"])
        out.append({**c, "re": z.real.tolist(), "im": z.imag.tolist(), "envelope": np.abs(z).tolist()})
    return out


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "csd_golden.json")
    rng = np.random.default_rng(20261204)
    x = make_data(rng)
    out = {
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "mne": mne.__version__,
                     "mne_connectivity": mne_connectivity.__version__},
        "fs": FS, "x": x.tolist(),
        "csd": csd_section(x), "mne": mne_section(x),
        "xcorr": xcorr_section(x), "hilbert": hilbert_section(x),
    }
    with open(path, "w") as fh:
        json.dump(out, fh)
        fh.write("\n")


if __name__ == "__main__":
    main()
