"""Session re-centering for the tangent-space SSVEP decoder: an experiment.

Cross-session SSVEP decoding with covariances loses accuracy when a
session's covariances sit elsewhere on the manifold than the calibration
session's (electrode contact, montage, vigilance). Re-centering (Zanini et
al. 2018, IEEE TBME 65:1107) whitens each session's covariances by that
session's Riemannian mean, so both sessions are centred on the identity.
This script measures, with pyriemann and scikit-learn (the pinned venv of
tools/python/requirements.txt), what it would give neurostream's ts-lr and
stack on the exoskeleton set before any of it is built in Go, and whether
it can be had causally, as a stream must:

  none         no re-centering (pyriemann's TangentSpace at the training mean)
  session      each session whitened by the mean of all its windows (every
               0.5 s over the whole recording, unlabelled); needs the whole
               test session, so it is not causal: an upper bound
  causal       the test session whitened by the running mean of its windows
               that ended before the decision (equal weights)
  hybrid       causal, shrunk towards the calibration session's mean:
               M_t = geodesic(M_cal, M_running, n / (n + N0)), N0 = 120
               windows (60 s), fixed before the first run

The calibration session is always whitened by its whole-recording mean.
Protocol as docs/ssvep.md's nested evaluation: subjects 01-06, 4 classes
with rest, leave one session out; training windows every 0.5 s of each 5 s
trial from 0.5 s; the held-out session decided once per trial at 0.5 s;
notch 50 Hz, bands [h*f - 1, h*f + 1] Hz for h = 1, 2 (causal 4th-order
Butterworth), Ledoit-Wolf covariances. The stack is a Python stand-in for
neurostream's (FBCCA chen-5 with 3 harmonics and ts-lr's out-of-fold log
probabilities, 4 folds of 2 consecutive trials per class, a balanced logistic regression); it
is weaker than neurostream's and only says whether re-centering moves it.

    ~/.cache/neurostream/venv/bin/python tools/eval/ssvep_recenter.py \
        [--data ../shared/data/ssvep-exoskeleton] [--window 2,4]
"""

import argparse
import glob
import os
import warnings

import mne
import numpy as np
from pyriemann.estimation import Covariances
from pyriemann.tangentspace import TangentSpace
from pyriemann.geometry.base import invsqrtm
from pyriemann.geometry.geodesic import geodesic_riemann
from scipy.signal import butter, iirnotch, lfilter, sosfilt
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

warnings.filterwarnings("ignore")
mne.set_log_level("ERROR")

FS = 256
FREQ = {2: 13.0, 3: 21.0, 4: 17.0}  # -eve.fif codes; 1 is rest
BANDS = [(h * f - 1, h * f + 1) for h in (1, 2) for f in (13, 17, 21)]
STEP = FS // 2  # stream windows every 0.5 s
N0 = 120


def notch(x):
    b, a = iirnotch(50, 30, FS)
    return lfilter(b, a, x, axis=1)


def load(path):
    x = notch(mne.io.read_raw_fif(path, preload=True).get_data())
    ev = mne.read_events(path.replace("_raw.fif", "-eve.fif"))
    bands = np.concatenate(
        [sosfilt(butter(4, b, btype="band", fs=FS, output="sos"), x, axis=1) for b in BANDS])
    subs = np.array([sosfilt(butter(4, [8 * k - 2, 90], btype="band", fs=FS, output="sos"), x, axis=1)
                     for k in range(1, 6)])
    return bands, subs, ev


def covs(xs):
    return Covariances("lwf").fit_transform(np.asarray(xs))


def whiten(c, m):
    w = invsqrtm(m)
    return w @ c @ w


def running_means(sig, n, ends):
    """Equal-weight running Riemannian mean of the stream's windows, and
    how many windows it holds, at each decision end (samples)."""
    starts = range(0, sig.shape[1] - n + 1, STEP)
    cs = covs([sig[:, s:s + n] for s in starts])
    out, m, j = [], None, 0
    for e in ends:
        while j < len(cs) and starts[j] + n <= e:
            m = cs[j] if m is None else geodesic_riemann(m, cs[j], 1.0 / (j + 1))
            j += 1
        out.append((m.copy(), j))
    return out


def fbcca(x):
    n = x.shape[2]
    t = np.arange(n) / FS
    w = np.array([k ** -1.25 + 0.25 for k in range(1, 6)])
    out = []
    for code in (2, 3, 4):
        f = FREQ[code]
        y = np.array([g(2 * np.pi * h * f * t) for h in (1, 2, 3) for g in (np.sin, np.cos)]).T
        qy, _ = np.linalg.qr(y - y.mean(0))
        s = 0.0
        for k in range(5):
            qx, _ = np.linalg.qr((x[k] - x[k].mean(1, keepdims=True)).T)
            r = np.linalg.svd(qx.T @ qy, compute_uv=False)[0]
            s += w[k] * r * r
        out.append(s)
    return out


def tslr():
    return make_pipeline(TangentSpace(), LogisticRegression(max_iter=5000))


def fold(train, test, secs):
    (sig, subs, ev), (sigt, subst, evt) = train, test
    n = int(secs * FS)
    xs, y, trial, feats = [], [], [], []
    for i, (s, _, c) in enumerate(ev):
        for o in np.arange(0.5, 5 - secs + 1e-9, 0.5):
            a = s + int(o * FS)
            xs.append(sig[:, a:a + n]); y.append(c); trial.append(i); feats.append(fbcca(subs[:, :, a:a + n]))
    xt, yt, ends, featt = [], [], [], []
    for s, _, c in evt:
        a = s + int(0.5 * FS)
        xt.append(sigt[:, a:a + n]); yt.append(c); ends.append(a + n); featt.append(fbcca(subst[:, :, a:a + n]))
    ctr, cte, y, yt = covs(xs), covs(xt), np.array(y), np.array(yt)
    trial, feats, featt = np.array(trial), np.array(feats), np.array(featt)
    codes = ev[:, 2]
    strat = np.array([np.sum(codes[:i] == codes[i]) // 2 for i in range(len(codes))])[trial]

    mcal = running_means(sig, n, [sig.shape[1]])[0][0]
    run = running_means(sigt, n, ends)
    mses = running_means(sigt, n, [sigt.shape[1]])[0][0]
    cal = np.array([whiten(c, mcal) for c in ctr])
    tests = {
        "none": (ctr, cte),
        "session": (cal, np.array([whiten(c, mses) for c in cte])),
        "causal": (cal, np.array([whiten(c, m) for c, (m, _) in zip(cte, run)])),
        "hybrid": (cal, np.array([whiten(c, geodesic_riemann(mcal, m, k / (k + N0)))
                                  for c, (m, k) in zip(cte, run)])),
    }
    acc = {}
    for name, (a, b) in tests.items():
        clf = tslr().fit(a, y)
        acc["ts-lr " + name] = np.mean(clf.predict(b) == yt)
        if name not in ("none", "hybrid"):
            continue
        oof = np.zeros((len(a), 4))
        for k in range(4):
            m = strat == k
            oof[m] = tslr().fit(a[~m], y[~m]).predict_log_proba(a[m])
        st = LogisticRegression(C=10, max_iter=5000, class_weight="balanced").fit(np.hstack([feats, oof]), y)
        acc["stack " + name] = np.mean(st.predict(np.hstack([featt, clf.predict_log_proba(b)])) == yt)
    return acc


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    p.add_argument("--data", default=os.path.join(here, "..", "..", "..", "shared", "data", "ssvep-exoskeleton"))
    p.add_argument("--window", default="2,4")
    args = p.parse_args()
    subjects = sorted(glob.glob(os.path.join(args.data, "subject*")))
    if not subjects:
        raise SystemExit(f"ssvep_recenter: no subject folders in {args.data}")
    sessions = {s: [load(f) for f in sorted(glob.glob(os.path.join(s, "*_raw.fif")))] for s in subjects}
    for secs in (float(w) for w in args.window.split(",")):
        per = {}
        for s, data in sessions.items():
            for te in range(len(data)):
                for tr in range(len(data)):
                    if tr != te:
                        for k, v in fold(data[tr], data[te], secs).items():
                            per.setdefault(k, {}).setdefault(os.path.basename(s), []).append(v)
        for k, subj in per.items():
            means = [np.mean(v) for v in subj.values()]
            print(f"{secs:g} s  {k:<16} mean {np.mean(means):.3f}  per subject "
                  + " ".join(f"{m:.2f}" for m in means), flush=True)


if __name__ == "__main__":
    main()
