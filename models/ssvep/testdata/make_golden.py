#!/usr/bin/env python3
"""Write numpy/scipy reference values for models/ssvep's golden tests
(golden_test.go).

Usage: make_golden.py OUT.json   (never edit the output; run with the pinned
venv of tools/python/requirements.txt: numpy 2.3.5, scipy 1.16.3)

Cases:
  reference  sine/cosine reference signals, Reference's definition
  cca        canonical correlations of X (rows x samples) and Y by the
             QR + SVD definition on the centred matrices:
               qx = qr(X.T - mean), qy = qr(Y.T - mean),
               svd(qx.T @ qy, compute_uv=False)
             cross-checked here against scipy.linalg.subspace_angles and
             against the covariance definition (eigenvalues of
             Sxx^-1 Sxy Syy^-1 Syx); rank-deficient inputs use an SVD basis
             with numpy's matrix_rank tolerance
  cheb1ord   scipy.signal.cheb1ord(wp, ws, 3, 40, fs=fs) and
             cheby1(N, 0.5, wp, 'bandpass', fs=fs, output='sos') for the
             Chen/Nakanishi sub-bands at several sample rates
  fbcca      per-sub-band sosfiltfilt + CCA and the FBCCA scores
             sum_n w_n r_n^2, w_n = n^-1.25 + 0.25
  trca       TRCA / ensemble TRCA (Nakanishi 2018, trca.m): per sub-band
             sosfiltfilt, S = sum over ordered pairs h != h' of
             Xh Xh'^T (trials centred per channel), Q of the concatenated
             trials centred per channel, w = leading vector of
             scipy.linalg.eigh(S, Q) (w^T Q w = 1), sign so that the
             largest-magnitude entry is positive; templates = mean trial;
             score = sum_n w_n corrcoef(flat(X^T W), flat(T^T W))
"""
import json
import sys

import numpy as np
import scipy
from scipy import linalg, signal

rng = np.random.default_rng(20240607)


def reference(f, fs, nh, n):
    t = np.arange(n) / fs
    rows = []
    for h in range(1, nh + 1):
        rows.append(np.sin(2 * np.pi * h * f * t))
        rows.append(np.cos(2 * np.pi * h * f * t))
    return np.array(rows)


def orth(a):
    """Orthonormal basis of the column space of a (samples x rows)."""
    a = a - a.mean(axis=0)
    rank = np.linalg.matrix_rank(a)
    if rank == a.shape[1]:
        q, _ = np.linalg.qr(a)
        return q
    u, _, _ = np.linalg.svd(a, full_matrices=False)
    return u[:, :rank]


def cca(x, y):
    """All min(p, q) canonical correlations of x (p x n) and y (q x n)."""
    qx, qy = orth(x.T), orth(y.T)
    s = np.linalg.svd(qx.T @ qy, compute_uv=False)
    k = min(x.shape[0], y.shape[0])
    out = np.zeros(k)
    out[: len(s)] = s[:k]
    # Independent checks.
    ang = linalg.subspace_angles(x.T - x.T.mean(0), y.T - y.T.mean(0))
    c = np.sort(np.cos(ang))[::-1]
    assert np.allclose(c, out[: len(c)], rtol=0, atol=1e-10), (c, out)
    if np.linalg.matrix_rank(x.T - x.T.mean(0)) == x.shape[0] and np.linalg.matrix_rank(y.T - y.T.mean(0)) == y.shape[0]:
        xc, yc = x - x.mean(1, keepdims=True), y - y.mean(1, keepdims=True)
        sxx, syy, sxy = xc @ xc.T, yc @ yc.T, xc @ yc.T
        m = np.linalg.solve(sxx, sxy) @ np.linalg.solve(syy, sxy.T)
        ev = np.sort(np.clip(np.linalg.eigvals(m).real, 0, None))[::-1][:k]
        assert np.allclose(np.sqrt(ev), out, atol=1e-8), (np.sqrt(ev), out)
    return out


CHEN_STOP = [4, 10, 16, 24, 32, 40, 48, 56, 64, 72]


def chen_bands(n, fs):
    nyq = fs / 2
    ph = min(90.0, 0.9 * nyq)
    sh = min(100.0, (ph + nyq) / 2)
    return [(8.0 * k - 2, ph, float(CHEN_STOP[k - 1]), sh) for k in range(1, n + 1)]


def design(band, fs):
    pl, ph, sl, sh = band
    order, wn = signal.cheb1ord([pl, ph], [sl, sh], 3, 40, fs=fs)
    sos = signal.cheby1(order, 0.5, [pl, ph], "bandpass", fs=fs, output="sos")
    return int(order), sos


def weights(n):
    return np.arange(1, n + 1) ** -1.25 + 0.25


def ssvep_window(freq, fs, n, channels, phase=0.0, snr=0.5, mix=None):
    t = np.arange(n) / fs
    if mix is None:
        mix = rng.normal(size=channels)
    s = np.sin(2 * np.pi * freq * t + phase) + 0.4 * np.sin(2 * np.pi * 2 * freq * t + 2 * phase + 0.3)
    return snr * np.outer(mix, s) + rng.normal(size=(channels, n)) + 3.0  # a DC offset


def trca_filter(trials):
    """trials: list of (channels x samples). Returns w."""
    nc = trials[0].shape[0]
    xc = [x - x.mean(axis=1, keepdims=True) for x in trials]
    s = np.zeros((nc, nc))
    for i in range(len(xc)):
        for j in range(len(xc)):
            if i != j:
                s += xc[i] @ xc[j].T
    ux = np.concatenate(trials, axis=1)
    ux = ux - ux.mean(axis=1, keepdims=True)
    q = ux @ ux.T
    vals, vecs = linalg.eigh(s, q)
    w = vecs[:, np.argmax(vals)]
    if w[np.argmax(np.abs(w))] < 0:
        w = -w
    return w


def corr(a, b):
    a, b = a.ravel(), b.ravel()
    return np.corrcoef(a, b)[0, 1]


def main():
    out = {"numpy": np.__version__, "scipy": scipy.__version__}

    out["reference"] = []
    for f, fs, nh, n in [(13.0, 256.0, 3, 300), (8.2, 250.0, 5, 1000), (30.0, 256.0, 4, 77)]:
        out["reference"].append(dict(freq=f, fs=fs, harmonics=nh, samples=n, y=reference(f, fs, nh, n).tolist()))

    cases = []
    fs = 256.0
    # 1: 8 channels with a 13 Hz response vs 13 Hz references (Nh = 3).
    x = ssvep_window(13.0, fs, 256, 8)
    cases.append(("ssvep_8x256_nh3", x, reference(13.0, fs, 3, 256)))
    # 2: more reference rows than channels.
    cases.append(("noise_3x100_vs_5", rng.normal(size=(3, 100)), rng.normal(size=(5, 100))))
    # 3: a duplicated channel and a flat one (rank 3 of 5).
    x = rng.normal(size=(5, 120))
    x[3] = x[0] * 2.5 + 1.0
    x[4] = 7.0
    cases.append(("rank3_of_5", x, reference(10.0, fs, 2, 120)))
    # 4: EEG in volts with a large DC offset.
    x = ssvep_window(21.0, fs, 512, 4) * 1e-5 + 2e-3
    cases.append(("volts_dc_4x512", x, reference(21.0, fs, 5, 512)))
    # 5: nearly identical subspaces (correlations close to 1).
    y = reference(17.0, fs, 2, 400)
    x = rng.normal(size=(4, 4)) @ y + 1e-6 * rng.normal(size=(4, 400))
    cases.append(("near_one_4x400", x, y))
    out["cca"] = [dict(name=n, x=x.tolist(), y=y.tolist(), r=cca(x, y).tolist()) for n, x, y in cases]

    out["cheb1ord"] = []
    for fs, nb in [(256.0, 5), (250.0, 10), (300.0, 5), (128.0, 5), (200.0, 5), (1000.0, 10)]:
        for band in chen_bands(nb, fs):
            order, sos = design(band, fs)
            out["cheb1ord"].append(dict(fs=fs, band=band, order=order, sos=sos.tolist()))

    # FBCCA on one window.
    fs, n, nh, nb = 256.0, 512, 5, 5
    freqs = [13.0, 17.0, 21.0]
    x = ssvep_window(17.0, fs, n, 8, phase=0.7, snr=0.3)
    bands = chen_bands(nb, fs)
    rho = np.zeros((nb, len(freqs)))
    for b, band in enumerate(bands):
        _, sos = design(band, fs)
        xb = signal.sosfiltfilt(sos, x, axis=1)
        for k, f in enumerate(freqs):
            rho[b, k] = cca(xb, reference(f, fs, nh, n))[0]
    w = weights(nb)
    out["fbcca"] = dict(fs=fs, freqs=freqs, harmonics=nh, sub_bands=nb, x=x.tolist(), rho=rho.tolist(),
                        scores=(w @ rho**2).tolist())

    # TRCA and ensemble TRCA on synthetic phase-locked trials.
    fs, n, nc, ntr, nb = 250.0, 300, 4, 4, 3
    freqs = [9.0, 11.0, 15.0]
    bands = chen_bands(nb, fs)
    soss = [design(b, fs)[1] for b in bands]
    mixes = rng.normal(size=(len(freqs), nc))  # one spatial pattern per target
    trials, labels = [], []
    for h in range(ntr):
        for k, f in enumerate(freqs):
            trials.append(ssvep_window(f, fs, n, nc, phase=0.5 * k, snr=0.8, mix=mixes[k]))
            labels.append(k)
    tests = [ssvep_window(f, fs, n, nc, phase=0.5 * k, snr=0.8, mix=mixes[k]) for k, f in enumerate(freqs)]
    sub = [[signal.sosfiltfilt(sos, x, axis=1) for x in trials] for sos in soss]
    filt = np.zeros((nb, len(freqs), nc))
    tmpl = np.zeros((nb, len(freqs), nc, n))
    for b in range(nb):
        for k in range(len(freqs)):
            group = [sub[b][i] for i in range(len(trials)) if labels[i] == k]
            filt[b, k] = trca_filter(group)
            tmpl[b, k] = np.mean(group, axis=0)
    w = weights(nb)
    scores, escores = [], []
    for x in tests:
        xs = [signal.sosfiltfilt(sos, x, axis=1) for sos in soss]
        r = np.zeros((nb, len(freqs)))
        er = np.zeros((nb, len(freqs)))
        for b in range(nb):
            W = filt[b].T  # channels x targets
            for k in range(len(freqs)):
                r[b, k] = corr(xs[b].T @ filt[b, k], tmpl[b, k].T @ filt[b, k])
                er[b, k] = corr(xs[b].T @ W, tmpl[b, k].T @ W)
        scores.append((w @ r).tolist())
        escores.append((w @ er).tolist())
    out["trca"] = dict(fs=fs, freqs=freqs, sub_bands=nb, trials=[t.tolist() for t in trials], labels=labels,
                       tests=[t.tolist() for t in tests], filters=filt.tolist(), templates=tmpl.tolist(),
                       scores=scores, ensemble_scores=escores)

    with open(sys.argv[1], "w") as fh:
        json.dump(out, fh)


if __name__ == "__main__":
    main()
