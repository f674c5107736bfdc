#!/usr/bin/env python3
"""Write scipy.signal.welch reference spectra for dsp's tests.

Usage: make_golden.py OUT.json   (run by `make golden`; never edit the output)

Each case: a seeded random signal (normal noise plus a 10 Hz sine), the
welch parameters, and scipy's freqs and PSD; also numpy.trapezoid band powers.
"""
import json
import sys

import numpy as np
import scipy
from scipy import signal

CASES = [
    dict(n=1000, fs=256.0, nperseg=256, noverlap=None, nfft=None, detrend="constant", scaling="density", average="mean"),
    dict(n=777, fs=100.0, nperseg=100, noverlap=25, nfft=128, detrend="linear", scaling="spectrum", average="mean"),
    dict(n=2048, fs=173.61, nperseg=255, noverlap=200, nfft=None, detrend=False, scaling="density", average="median"),
    dict(n=4097, fs=173.61, nperseg=512, noverlap=256, nfft=None, detrend="constant", scaling="density", average="median"),
    dict(n=300, fs=200.0, nperseg=300, noverlap=None, nfft=301, detrend="constant", scaling="density", average="mean"),
]
BANDS = [(1, 4), (4, 8), (8, 12), (12, 30), (30, 45), (8.5, 11.3)]


def main():
    rng = np.random.default_rng(20261128)
    out = {"versions": {"scipy": scipy.__version__, "numpy": np.__version__}, "cases": []}
    for c in CASES:
        t = np.arange(c["n"]) / c["fs"]
        x = rng.standard_normal(c["n"]) * 5e-6 + 2e-5 * np.sin(2 * np.pi * 10 * t) + 3e-6
        f, p = signal.welch(x, fs=c["fs"], window="hann", nperseg=c["nperseg"], noverlap=c["noverlap"],
                            nfft=c["nfft"], detrend=c["detrend"], scaling=c["scaling"], average=c["average"])
        bp = []
        for lo, hi in BANDS:
            m = (f >= lo) & (f <= hi)
            bp.append(float(np.trapezoid(p[m], f[m])) if m.sum() >= 2 else 0.0)
        out["cases"].append({**c, "x": x.tolist(), "freqs": f.tolist(), "psd": p.tolist(),
                             "bands": BANDS, "bandpower": bp})
    with open(sys.argv[1], "w") as fh:
        json.dump(out, fh)
        fh.write("\n")


if __name__ == "__main__":
    main()
