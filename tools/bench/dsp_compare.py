#!/usr/bin/env python3
"""Compare neurostream's DSP speed with scipy/MNE/numpy on the same data.

Usage: dsp_compare.py [--channels 64] [--rate 256] [--seconds 600]
                      [--nperseg 256] [--neurostream BIN] [--json]

It writes a little-endian float64 channel-major file of seeded random EEG-like
data, runs `neurostream bench dsp --raw-f64 FILE --json` on it, then runs the
same work single-threaded in Python:

  welch      scipy.signal.welch (Hann, nperseg, 50% overlap, mean)
  mne        mne.time_frequency.psd_array_welch (same parameters)
  csd+coh    numpy: every segment's rFFT once, then one batched matrix
             product per frequency for all channel pairs, then magnitude-
             squared coherence from the cross-spectral matrices

and prints channel-samples/s for each and neurostream's ratio to each.
Thread pools are limited to one thread (OMP/OPENBLAS/MKL_NUM_THREADS=1) so the
comparison is single core against single core.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402
from scipy import signal  # noqa: E402


def best_of(fn, repeats):
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def numpy_csd_coherence(x, nperseg):
    step = nperseg // 2
    win = signal.get_window("hann", nperseg)
    nseg = (x.shape[1] - (nperseg - step)) // step
    idx = np.arange(nperseg)[None, :] + step * np.arange(nseg)[:, None]
    seg = x[:, idx]  # ch, seg, n
    seg = seg - seg.mean(axis=-1, keepdims=True)
    spec = np.fft.rfft(seg * win, axis=-1)  # ch, seg, f
    s = np.ascontiguousarray(spec.transpose(2, 0, 1))  # f, ch, seg
    csd = np.matmul(s.conj(), s.transpose(0, 2, 1)) / nseg  # f, ch, ch
    p = np.real(np.einsum("fii->fi", csd))
    coh = np.abs(csd) ** 2 / (p[:, :, None] * p[:, None, :])
    return csd, coh


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--channels", type=int, default=64)
    ap.add_argument("--rate", type=float, default=256)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--nperseg", type=int, default=256)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--neurostream", default="go run ./cmd/neurostream")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    n = int(a.rate * a.seconds)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((a.channels, n)).cumsum(axis=1) * 1e-7
    x += rng.standard_normal((a.channels, n)) * 1e-6
    with tempfile.NamedTemporaryFile(suffix=".f64", delete=False) as f:
        x.astype("<f8").tofile(f)
        path = f.name
    try:
        cmd = a.neurostream.split() + ["bench", "dsp", "--raw-f64", path, "--channels", str(a.channels),
                                       "--rate", str(a.rate), "--nperseg", str(a.nperseg), "--json"]
        go = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    finally:
        os.unlink(path)

    cs = a.channels * n
    rows = {}
    rows["scipy.signal.welch"] = cs / best_of(
        lambda: signal.welch(x, fs=a.rate, nperseg=a.nperseg, noverlap=a.nperseg // 2), a.repeats)
    try:
        import mne

        mne.set_log_level("ERROR")
        rows["mne psd_array_welch"] = cs / best_of(
            lambda: mne.time_frequency.psd_array_welch(x, a.rate, n_fft=a.nperseg, n_per_seg=a.nperseg,
                                                       n_overlap=a.nperseg // 2, n_jobs=1), a.repeats)
    except ImportError:
        pass
    rows["numpy batched csd+coherence"] = cs / best_of(lambda: numpy_csd_coherence(x, a.nperseg), a.repeats)

    out = {
        "data": {"channels": a.channels, "rate": a.rate, "seconds": a.seconds, "nperseg": a.nperseg},
        "neurostream": go,
        "python": rows,
        "ratios": {
            "psd vs scipy.signal.welch": go["psd"] / rows["scipy.signal.welch"],
            "psd vs mne psd_array_welch": go["psd"] / rows.get("mne psd_array_welch", float("nan")),
            "csd+coherence vs numpy batched": go["csd_coherence"] / rows["numpy batched csd+coherence"],
        },
    }
    if a.json:
        json.dump(out, sys.stdout, indent=1)
        print()
        return
    print(f"{a.channels} ch × {a.rate:g} Hz × {a.seconds:g} s, nperseg {a.nperseg}, 50% overlap, Hann, one thread")
    print("channel-samples/s:")
    for k, v in go.items():
        if isinstance(v, (int, float)):
            print(f"  neurostream {k:<28} {v:10.3g}")
    for k, v in rows.items():
        print(f"  {k:<40} {v:10.3g}")
    print("ratios:")
    for k, v in out["ratios"].items():
        print(f"  {k:<40} {v:6.2f}×")


if __name__ == "__main__":
    main()
