"""Golden values of pyriemann (and scikit-learn inside it) for models/riemann.

Run by `make golden` with the pinned venv (tools/python/requirements.txt):

    python models/riemann/testdata/make_golden.py models/riemann/testdata/golden.json

Inputs are generated here from a fixed seed and written with the outputs,
so the Go tests read both from one file. Never edit the output by hand.
"""
import json
import sys
import warnings

import numpy as np
import pyriemann
import scipy
import sklearn
from scipy.signal import butter, sosfiltfilt, sosfilt, sosfilt_zi
from sklearn.linear_model import LogisticRegression

from pyriemann.classification import MDM
from pyriemann.estimation import Covariances
from pyriemann.tangentspace import TangentSpace
from pyriemann.geometry.base import expm, invsqrtm, logm, sqrtm
from pyriemann.geometry.distance import distance_riemann
from pyriemann.geometry.mean import mean_riemann
from pyriemann.geometry.tangentspace import exp_map_riemann, log_map_riemann, upper

warnings.simplefilter("error")  # a non-converged mean would be a bad golden

rng = np.random.default_rng(20260115)
FS = 256.0
FREQS = [13.0, 17.0, 21.0]


def mats(a):
    return [m.tolist() for m in a]


def trial(freq, channels, samples, snr):
    """A synthetic SSVEP trial: a sinusoid at freq and its 2nd harmonic with
    a random phase and spatial pattern, in correlated noise."""
    t = np.arange(samples) / FS
    mix = rng.standard_normal((channels, channels)) * 0.3 + np.eye(channels)
    noise = mix @ rng.standard_normal((channels, samples))
    phase = rng.uniform(0, 2 * np.pi)
    pattern = rng.uniform(0.5, 1.5, channels)
    sig = np.sin(2 * np.pi * freq * t + phase) + 0.4 * np.sin(4 * np.pi * freq * t + phase)
    return 1e-5 * (noise + snr * pattern[:, None] * sig[None, :])


def extended(x):
    """MOABB's FilterBankSSVEP bands [f-0.5, f+0.5] (order-4 Butterworth,
    MNE's default iir_params), zero-phase on the window (scipy's default
    odd padding), stacked band-major as ExtendedSSVEPSignal does."""
    out = []
    for f in FREQS:
        sos = butter(4, [f - 0.5, f + 0.5], btype="bandpass", fs=FS, output="sos")
        out.append(sosfiltfilt(sos, x, axis=-1))
    return np.concatenate(out, axis=0)


def causal_bands(x):
    """The same bands filtered forward only from the steady state of each
    channel's first sample."""
    out = []
    for f in FREQS:
        sos = butter(4, [f - 0.5, f + 0.5], btype="bandpass", fs=FS, output="sos")
        y = np.empty_like(x)
        for c in range(x.shape[0]):
            y[c], _ = sosfilt(sos, x[c], zi=sosfilt_zi(sos) * x[c, 0])
        out.append(y)
    return np.concatenate(out, axis=0)


golden = {"versions": {"pyriemann": pyriemann.__version__, "sklearn": sklearn.__version__,
                       "numpy": np.__version__, "scipy": scipy.__version__}}

# 1. Covariance estimators on raw windows: many samples, few samples
# (p > n, where the shrinkage matters), one channel.
cov_cases = []
for channels, samples in [(6, 300), (20, 15), (1, 50), (8, 256)]:
    x = rng.standard_normal((channels, samples)) * 1e-5 + rng.standard_normal((channels, 1)) * 1e-4
    case = {"x": x.tolist()}
    for est in ["scm", "lwf", "oas"]:
        case[est] = Covariances(estimator=est).fit_transform(x[None])[0].tolist()
    cov_cases.append(case)
golden["covariances"] = cov_cases

# 2. Extended SSVEP covariances: 3 classes × 6 trials of 4 channels, 2 s.
channels, samples = 4, 512
X, y = [], []
for k, f in enumerate(FREQS):
    for _ in range(6):
        X.append(trial(f, channels, samples, snr=0.8))
        y.append(k)
X = np.array(X)
y = np.array(y)
ext = np.array([extended(x) for x in X])
ext_causal = causal_bands(X[0])
covs = Covariances(estimator="oas").fit_transform(ext)
golden["extended"] = {
    "freqs": FREQS, "sample_rate": FS, "order": 4, "band_width": 1.0,
    "trials": [x.tolist() for x in X], "labels": y.tolist(),
    "signal0": ext[0].tolist(), "signal0_causal": ext_causal.tolist(),
    "oas": mats(covs),
    "scm": mats(Covariances(estimator="scm").fit_transform(ext)),
    "lwf": mats(Covariances(estimator="lwf").fit_transform(ext)),
}

# 3. Matrix functions, distances, the mean, the maps (on the OAS covariances).
A, B = covs[0], covs[7]
golden["functions"] = {
    "a": A.tolist(), "b": B.tolist(),
    "sqrtm": sqrtm(A).tolist(), "invsqrtm": invsqrtm(A).tolist(),
    "logm": logm(A).tolist(), "expm": expm(logm(A) * 0.5).tolist(),
    "distance": float(distance_riemann(A, B)),
    "log_map": log_map_riemann(A, B).tolist(),
    "exp_map": exp_map_riemann(log_map_riemann(A, B), B).tolist(),
    "upper": upper(logm(A)).tolist(),
}
golden["mean"] = {"mats": mats(covs), "mean": mean_riemann(covs).tolist(),
                  "weights": (np.arange(len(covs)) + 1.0).tolist(),
                  "weighted": mean_riemann(covs, sample_weight=np.arange(len(covs)) + 1.0).tolist()}

# 4. Classifiers: train on trials 0–3 of each class, test on 4–5.
train = np.array([i % 6 < 4 for i in range(len(y))])
mdm = MDM(metric="riemann").fit(covs[train], y[train])
ts = TangentSpace(metric="riemann").fit(covs[train])
golden["mdm"] = {
    "train": np.flatnonzero(train).tolist(), "test": np.flatnonzero(~train).tolist(),
    "centroids": mats(mdm.covmeans_),
    "distances": mdm.transform(covs[~train]).tolist(),
    "proba": mdm.predict_proba(covs[~train]).tolist(),
    "predict": mdm.predict(covs[~train]).tolist(),
}
Ttrain = ts.transform(covs[train])
Ttest = ts.transform(covs[~train])
golden["tangent_space"] = {"reference": ts.reference_.tolist(), "train": Ttrain.tolist(), "test": Ttest.tolist()}


def lr_case(labels_train):
    default = LogisticRegression(C=1.0).fit(Ttrain, labels_train)
    tight = LogisticRegression(C=1.0, tol=1e-12, max_iter=100000).fit(Ttrain, labels_train)
    return {"labels": labels_train.tolist(),
            "proba_default": default.predict_proba(Ttest).tolist(),
            "proba_tight": tight.predict_proba(Ttest).tolist(),
            "predict": tight.predict(Ttest).tolist()}


golden["ts_lr"] = {"multiclass": lr_case(y[train]), "binary": lr_case((y[train] == 0).astype(int))}

with open(sys.argv[1], "w") as f:
    json.dump(golden, f)
    f.write("\n")
