#!/usr/bin/env python3
"""Write scipy/MNE reference filters, filtered signals and resampled signals
for dsp's filter tests (filter_test.go, sos_test.go, resample_test.go,
reference_test.go).

Usage: make_filter_golden.py OUT.json   (never edit the output)

Cases:
  design    scipy.signal.butter / cheby1 (output='sos') for lowpass, highpass,
            bandpass, bandstop at orders 1-8, several fs and edges (including
            edges near 0 Hz and near Nyquist)
  notch     scipy.signal.iirnotch at 50/60 Hz, several Q and fs
  freqz     scipy.signal.freqz_sos at a few frequencies
  sosfilt   a 2-channel seeded random signal through scipy.signal.sosfilt,
            with zi=None and with zi=sosfilt_zi(sos)*x[:, 0]; y and zf
  filtfilt  scipy.signal.sosfiltfilt (default padtype='odd', padlen)
  resample  scipy.signal.resample_poly (default window) and its FIR taps
  reference mne.set_eeg_reference('average') with a bad and an ECG channel,
            and the exclude-but-re-reference variant computed with numpy
"""
import json
import sys

import mne
import numpy as np
import scipy
from scipy import signal

BTYPES = ["lowpass", "highpass", "bandpass", "bandstop"]
# (fs, single edge list, band edge list)
GRIDS = [
    (256.0, [0.1, 1.0, 40.0, 127.5], [[0.1, 1.0], [1.0, 40.0], [8.0, 12.0], [49.0, 51.0], [0.5, 127.0]]),
    (1000.0, [0.05, 499.9], [[0.05, 499.0], [300.0, 499.9]]),
    (173.61, [3.3], [[0.53, 40.0]]),
]
RIPPLES = [0.5, 1.0, 3.0]
# Band edges symmetric about fs/4 (f1 + f2 = fs/2) give pole pairs at equal
# distance from the unit circle; scipy orders those sections by rounding
# noise (numpy's SIMD tan/sinh/abs differ between CPUs), so the test compares
# these as sets of sections.
SYMMETRIC = [
    ("butter", 8, 0.0, "bandstop", 128.0, [19.2, 44.8]),
    ("butter", 4, 0.0, "bandpass", 256.0, [1.0, 127.0]),
    ("cheby1", 8, 1.0, "bandpass", 250.0, [0.0125, 124.9875]),
    ("cheby1", 9, 0.5, "bandstop", 2048.0, [1.024, 1022.976]),
]


def design_cases():
    out = []
    for fs, singles, bands in GRIDS:
        for order in range(1, 9):
            for btype in BTYPES:
                edges_list = [[e] for e in singles] if btype in ("lowpass", "highpass") else bands
                for edges in edges_list:
                    wn = edges[0] if len(edges) == 1 else edges
                    sos = signal.butter(order, wn, btype, fs=fs, output="sos")
                    out.append(dict(family="butter", order=order, rp=0.0, btype=btype, fs=fs, edges=edges,
                                    sos=sos.tolist()))
                    rp = RIPPLES[order % len(RIPPLES)]
                    sos = signal.cheby1(order, rp, wn, btype, fs=fs, output="sos")
                    out.append(dict(family="cheby1", order=order, rp=rp, btype=btype, fs=fs, edges=edges,
                                    sos=sos.tolist()))
    for family, order, rp, btype, fs, edges in SYMMETRIC:
        if family == "butter":
            sos = signal.butter(order, edges, btype, fs=fs, output="sos")
        else:
            sos = signal.cheby1(order, rp, edges, btype, fs=fs, output="sos")
        out.append(dict(family=family, order=order, rp=rp, btype=btype, fs=fs, edges=edges, sos=sos.tolist(),
                        symmetric=True))
    return out


def notch_cases():
    out = []
    for fs in (250.0, 256.0, 1000.0):
        for f0 in (50.0, 60.0):
            for q in (5.0, 30.0, 35.0):
                b, a = signal.iirnotch(f0, q, fs)
                out.append(dict(freq=f0, q=q, fs=fs, sos=[list(b) + list(a)]))
    return out


def freqz_cases():
    out = []
    for sos, fs in [(signal.butter(4, [1, 40], "bandpass", fs=256.0, output="sos"), 256.0),
                    (signal.cheby1(5, 1.0, 30, "lowpass", fs=200.0, output="sos"), 200.0)]:
        f = np.array([0.0, 0.5, 1.0, 10.0, 30.0, 40.0, 60.0, 99.0])
        _, h = signal.freqz_sos(sos, worN=f, fs=fs)
        out.append(dict(sos=sos.tolist(), fs=fs, freqs=f.tolist(), re=h.real.tolist(), im=h.imag.tolist()))
    return out


def sosfilt_cases(rng):
    """One shared 2-channel signal through several filters."""
    out = []
    n = 256
    t = np.arange(n) / 256.0
    x = np.vstack([rng.standard_normal(n) * 1e-5 + 4e-5 * np.sin(2 * np.pi * 50 * t) + 2e-4,
                   rng.standard_normal(n) * 3e-5 - 1e-4])
    filters = [
        signal.butter(4, [1, 40], "bandpass", fs=256.0, output="sos"),
        signal.cheby1(3, 0.5, 0.5, "highpass", fs=256.0, output="sos"),
        np.vstack([np.hstack(signal.iirnotch(50.0, 30.0, 256.0))]),
        signal.butter(5, 30, "lowpass", fs=256.0, output="sos"),
        signal.butter(7, [8, 12], "bandpass", fs=256.0, output="sos"),  # 7 sections
    ]
    for sos in filters:
        y0 = signal.sosfilt(sos, x, axis=-1)
        zi = signal.sosfilt_zi(sos)  # (n_sections, 2)
        zi2 = zi[:, None, :] * x[:, 0][None, :, None]  # (n_sections, 2 channels, 2)
        y1, zf = signal.sosfilt(sos, x, axis=-1, zi=zi2)
        out.append(dict(sos=sos.tolist(), zi=zi.tolist(), y=y0.tolist(), y_steady=y1.tolist(),
                        zf_steady=np.transpose(zf, (1, 0, 2)).tolist()))
    return dict(x=x.tolist(), cases=out)


def filtfilt_cases(rng):
    out = []
    specs = [
        (signal.butter(4, [1, 40], "bandpass", fs=256.0, output="sos"), 300),
        (signal.butter(3, 10, "lowpass", fs=100.0, output="sos"), 200),
        (signal.cheby1(2, 1.0, [48, 52], "bandstop", fs=250.0, output="sos"), 100),
        (np.vstack([np.hstack(signal.iirnotch(60.0, 30.0, 500.0))]), 50),
    ]
    for sos, n in specs:
        x = rng.standard_normal(n) * 2e-5 + np.linspace(1e-4, -5e-5, n)
        ntaps = 2 * len(sos) + 1 - min((sos[:, 2] == 0).sum(), (sos[:, 5] == 0).sum())
        out.append(dict(sos=sos.tolist(), x=x.tolist(), padlen=int(3 * ntaps), y=signal.sosfiltfilt(sos, x).tolist()))
        # The shortest signal scipy accepts: padlen + 1 samples.
        xs = x[: 3 * ntaps + 1]
        out.append(dict(sos=sos.tolist(), x=xs.tolist(), padlen=int(3 * ntaps), y=signal.sosfiltfilt(sos, xs).tolist()))
    return out


def resample_cases(rng):
    out = []
    for up, down in [(1, 2), (2, 1), (3, 2), (2, 5), (160, 256), (1, 1), (7, 3)]:
        for n in (1, 7, 100, 201):
            x = rng.standard_normal(n) + 0.5
            y = signal.resample_poly(x, up, down)
            g = np.gcd(up, down)
            u, d = up // g, down // g
            taps = []
            if not (u == 1 and d == 1) and n == 100:
                m = max(u, d)
                taps = (signal.firwin(2 * 10 * m + 1, 1.0 / m, window=("kaiser", 5.0)) * u).tolist()
            out.append(dict(up=up, down=down, x=x.tolist(), y=y.tolist(), taps=taps))
    return out


def reference_cases(rng):
    mne.set_log_level("error")
    names = ["Fz", "Cz", "Pz", "Oz", "T7", "ECG"]
    info = mne.create_info(names, 256.0, ["eeg"] * 5 + ["ecg"])
    x = rng.standard_normal((6, 50)) * 1e-5 + np.arange(6)[:, None] * 1e-5
    out = []
    raw = mne.io.RawArray(x.copy(), info)
    raw.info["bads"] = ["Pz"]
    ref, _ = mne.set_eeg_reference(raw, "average", copy=True)
    out.append(dict(x=x.tolist(), exclude=[False, False, True, False, False, True], keep_excluded=True,
                    y=ref.get_data().tolist(), source="mne.set_eeg_reference('average'), bads=['Pz'], ECG"))
    eeg = x[:5]
    raw = mne.io.RawArray(eeg.copy(), mne.create_info(names[:5], 256.0, "eeg"))
    ref, _ = mne.set_eeg_reference(raw, "average", copy=True)
    out.append(dict(x=eeg.tolist(), exclude=[], keep_excluded=False, y=ref.get_data().tolist(),
                    source="mne.set_eeg_reference('average'), EEG only"))
    inc = np.array([True, True, False, True, False, True])
    y = x - x[inc].mean(axis=0, keepdims=True)
    out.append(dict(x=x.tolist(), exclude=(~inc).tolist(), keep_excluded=False, y=y.tolist(),
                    source="numpy: x - x[included].mean(0), all channels re-referenced"))
    return out


def main():
    rng = np.random.default_rng(20261129)
    out = {
        "versions": {"scipy": scipy.__version__, "numpy": np.__version__, "mne": mne.__version__},
        "design": design_cases(),
        "notch": notch_cases(),
        "freqz": freqz_cases(),
        "sosfilt": sosfilt_cases(rng),
        "filtfilt": filtfilt_cases(rng),
        "resample": resample_cases(rng),
        "reference": reference_cases(rng),
    }
    with open(sys.argv[1], "w") as fh:
        json.dump(out, fh)
        fh.write("\n")


if __name__ == "__main__":
    main()
