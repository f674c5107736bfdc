#!/usr/bin/env python3
"""Write reference values for dsp's windows, DPSS, multitaper PSD, STFT and
spectral summaries (windows.go, multitaper.go, stft.go, spectral.go).

Usage: make_mt_golden.py OUT.json   (normally dsp/testdata/mt_golden.json;
never edit the output, rerun this script with the pinned virtualenv)

References:
  * scipy.signal.windows.hamming / blackman (sym=True and False)
  * scipy.signal.windows.dpss(M, NW, Kmax, sym, return_ratios=True)
  * scipy.signal.detrend(type='constant' | 'linear')
  * mne.time_frequency.psd_array_multitaper on a 3-channel signal
  * scipy.signal.stft and scipy.signal.spectrogram(mode='magnitude' | 'psd')
  * spectral edge frequency and spectral entropy written out in numpy
    (the formulas documented in spectral.go)
"""
import json
import sys

import mne
import numpy as np
import scipy
from scipy import signal
from scipy.integrate import cumulative_trapezoid

WINDOW_LENGTHS = [1, 2, 7, 16, 51]

DPSS_CASES = [
    dict(m=64, nw=2.5, k=4, sym=True),
    dict(m=65, nw=3.0, k=5, sym=False),
    dict(m=200, nw=1.5, k=3, sym=True),
    dict(m=256, nw=4.0, k=8, sym=False),
    dict(m=101, nw=10.0, k=19, sym=False),
    dict(m=128, nw=3.0, k=6, sym=True),
]

MT_CASES = [
    dict(n=256, fs=128.0),
    dict(n=256, fs=128.0, adaptive=True),
    dict(n=256, fs=128.0, normalization="full"),
    dict(n=256, fs=128.0, adaptive=True, normalization="full", bandwidth=3.0, fmin=1.0, fmax=40.0),
    dict(n=201, fs=100.0, bandwidth=2.0, low_bias=False),
    dict(n=201, fs=100.0, bandwidth=5.0, adaptive=True, fmin=2.5, fmax=30.0),
    dict(n=200, fs=100.0, bandwidth=1.0, adaptive=True),  # 1 taper: adaptive falls back to fixed weights
    dict(n=250, fs=125.0, remove_dc=False, fmax=64.0),
]

STFT_CASES = [
    dict(n=634, fs=200.0, nperseg=200, noverlap=100, nfft=200),
    dict(n=600, fs=256.0),
    dict(n=400, fs=100.0, nperseg=64, noverlap=48, nfft=100, boundary=None),
    dict(n=400, fs=100.0, nperseg=63, noverlap=20, padded=False, scaling="psd"),
    dict(n=300, fs=128.0, nperseg=50, noverlap=0, nfft=64, detrend="constant", boundary=None, padded=False),
    dict(n=200, fs=100.0, nperseg=40, noverlap=30, detrend="linear", return_onesided=False, scaling="psd"),
    dict(n=350, fs=200.0, nperseg=101, noverlap=50, nfft=101, window="hamming", return_onesided=False),
    dict(n=300, fs=200.0, nperseg=200, noverlap=150),
]

SPECTROGRAM_CASES = [
    dict(n=634, fs=200.0, nperseg=200, noverlap=100, scaling="spectrum", mode="magnitude"),
    dict(n=500, fs=256.0, nperseg=128, noverlap=64, nfft=160, scaling="density", mode="psd"),
    dict(n=400, fs=100.0, nperseg=63, noverlap=21, scaling="density", mode="psd"),
]

EDGE_CASES = [
    dict(fraction=0.5, fmin=0.0, fmax=np.inf),
    dict(fraction=0.95, fmin=1.0, fmax=40.0),
    dict(fraction=0.9, fmin=8.0, fmax=13.0),
    dict(fraction=0.25, fmin=0.5, fmax=30.25),
]


def colored(rng, n):
    """AR(1) noise plus sines: a spectrum with a slope and peaks."""
    e = rng.standard_normal(n)
    return signal.lfilter([1.0], [1.0, -0.9], e)


def cplx(z):
    z = np.asarray(z)
    return {"re": z.real.ravel().tolist(), "im": z.imag.ravel().tolist()}


def spectral_edge(psd, freqs, fraction, fmin, fmax):
    m = (freqs >= fmin) & (freqs <= fmax)
    f, p = freqs[m], psd[m]
    cum = cumulative_trapezoid(p, f, initial=0.0)
    return float(np.interp(fraction * cum[-1], cum, f))


def spectral_entropy(psd, freqs, fmin, fmax, normalize):
    m = (freqs >= fmin) & (freqs <= fmax)
    p = psd[m] / psd[m].sum()
    nz = p > 0
    h = -np.sum(p[nz] * np.log2(p[nz]))
    if normalize:
        h /= np.log2(p.size)
    return float(h)


def main():
    rng = np.random.default_rng(20261204)
    out = {"versions": {"numpy": np.__version__, "scipy": scipy.__version__, "mne": mne.__version__}}

    out["windows"] = []
    for n in WINDOW_LENGTHS:
        for sym in (True, False):
            out["windows"].append({
                "n": n, "sym": sym,
                "hamming": signal.windows.hamming(n, sym=sym).tolist(),
                "blackman": signal.windows.blackman(n, sym=sym).tolist(),
            })

    out["dpss"] = []
    for c in DPSS_CASES:
        v, r = signal.windows.dpss(c["m"], c["nw"], c["k"], sym=c["sym"], return_ratios=True)
        out["dpss"].append({**c, "tapers": v.ravel().tolist(), "ratios": r.tolist()})

    out["detrend"] = []
    for n, kind in [(1, "linear"), (2, "linear"), (57, "linear"), (57, "constant"), (200, "linear")]:
        x = rng.standard_normal(n) + 0.3 * np.arange(n) + 7.0
        out["detrend"].append({"type": kind, "x": x.tolist(), "y": signal.detrend(x, type=kind).tolist()})

    out["multitaper"] = []
    for c in MT_CASES:
        n, fs = c["n"], c["fs"]
        t = np.arange(n) / fs
        x = np.stack([
            1e-5 * colored(rng, n) + 2e-5 * np.sin(2 * np.pi * 10.3 * t) + 4e-6,
            5e-6 * rng.standard_normal(n) + 1e-5 * np.sin(2 * np.pi * 22 * t + 0.3),
            3e-6 * colored(rng, n) - 1e-6 * t,
        ])
        kw = dict(fmin=c.get("fmin", 0.0), fmax=c.get("fmax", np.inf), bandwidth=c.get("bandwidth"),
                  adaptive=c.get("adaptive", False), low_bias=c.get("low_bias", True),
                  normalization=c.get("normalization", "length"), remove_dc=c.get("remove_dc", True))
        psd, freqs = mne.time_frequency.psd_array_multitaper(x, fs, verbose=False, **kw)
        hnbw = 4.0 if kw["bandwidth"] is None else kw["bandwidth"] * n / (2 * fs)
        _, eig = mne.time_frequency.multitaper.dpss_windows(n, hnbw, int(2 * hnbw), sym=False,
                                                             low_bias=kw["low_bias"])
        case = {**kw, "n": n, "fs": fs, "x": x.tolist(), "freqs": freqs.tolist(),
                "psd": psd.tolist(), "ratios": eig.tolist()}
        case["fmax"] = None if np.isinf(kw["fmax"]) else kw["fmax"]
        out["multitaper"].append(case)

    out["stft"] = []
    for c in STFT_CASES:
        n, fs = c["n"], c["fs"]
        t = np.arange(n) / fs
        x = rng.standard_normal(n) + 3 * np.sin(2 * np.pi * 11 * t) + 0.5 + 0.01 * np.arange(n)
        nperseg = c.get("nperseg", 256)
        win = c.get("window", "hann")
        window = signal.get_window(win, nperseg)
        kw = dict(nperseg=nperseg, noverlap=c.get("noverlap"), nfft=c.get("nfft"),
                  detrend=c.get("detrend", False), return_onesided=c.get("return_onesided", True),
                  boundary=c.get("boundary", "zeros"), padded=c.get("padded", True),
                  scaling=c.get("scaling", "spectrum"))
        f, tt, z = signal.stft(x, fs, window=window, **kw)
        out["stft"].append({**kw, "n": n, "fs": fs, "window": win, "window_values": window.tolist(),
                            "x": x.tolist(), "freqs": f.tolist(), "times": tt.tolist(),
                            "frames": len(tt), "z": cplx(z.T)})

    out["spectrogram"] = []
    for c in SPECTROGRAM_CASES:
        n, fs = c["n"], c["fs"]
        x = rng.standard_normal(n)
        kw = dict(nperseg=c["nperseg"], noverlap=c["noverlap"], nfft=c.get("nfft"), detrend=False,
                  scaling=c["scaling"], mode=c["mode"])
        f, tt, s = signal.spectrogram(x, fs, window="hann", **kw)
        out["spectrogram"].append({**kw, "n": n, "fs": fs, "x": x.tolist(), "freqs": f.tolist(),
                                   "times": tt.tolist(), "s": s.T.ravel().tolist()})

    out["summaries"] = []
    for n, fs in [(2048, 256.0), (1000, 200.0)]:
        t = np.arange(n) / fs
        x = colored(rng, n) + 2 * np.sin(2 * np.pi * 10.5 * t)
        freqs, psd = signal.welch(x, fs, nperseg=256)
        edges = [dict(e, fmax=None if np.isinf(e["fmax"]) else e["fmax"],
                      edge=spectral_edge(psd, freqs, e["fraction"], e["fmin"], e["fmax"])) for e in EDGE_CASES]
        ents = []
        for lo, hi in [(0.0, np.inf), (1.0, 40.0), (8.0, 13.0)]:
            for norm in (False, True):
                ents.append(dict(fmin=lo, fmax=None if np.isinf(hi) else hi, normalize=norm,
                                 entropy=spectral_entropy(psd, freqs, lo, hi, norm)))
        out["summaries"].append({"freqs": freqs.tolist(), "psd": psd.tolist(), "edges": edges, "entropies": ents})

    with open(sys.argv[1], "w") as fh:
        json.dump(out, fh)
        fh.write("\n")


if __name__ == "__main__":
    main()
