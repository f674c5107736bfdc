"""Score cases with the installed timescoring package, for the Go cross-check.

Reads JSON on stdin and writes JSON on stdout. Used by
models/metrics/crosscheck_test.go (TestCrossCheckTimescoring); run by hand as

    python timescoring_check.py < cases.json

Input:
  {"pairs": [{"ref": ANN, "hyp": ANN, "params": PARAMS or null, "sample_fs": fs}],
   "datasets": [{"subjects": [{"name": str, "recordings": [{"ref": REC, "hyp": REC or null}]}]}]}
  ANN    = {"fs": fs, "mask": [0/1 ...]}  -> Annotation(mask, fs)
         | {"fs": fs, "events": [[start, stop] ...], "n": numSamples}
                                          -> Annotation(events, fs, numSamples)
  PARAMS = {"toleranceStart", "toleranceEnd", "minOverlap", "maxEventDuration",
            "minDurationBetweenEvents"}; null means EventScoring's defaults
  REC    = {"events": [[start, stop] ...], "n": seconds}: a 1 Hz mask

Output (floats that are NaN or infinite are written as the strings "nan",
"inf", "-inf"):
  {"version": timescoring version,
   "pairs": [{"event": SCORE, "sample": SCORE or {"error": message}}],
   "datasets": [{"per_subject": {"sample_results": AGG, "event_results": AGG},
                 "cumulated": {"sample_results": SCORE, "event_results": SCORE}}]}
  SCORE = {tp, fp, refTrue, numSamples, sensitivity, precision, f1, fpRate}
  AGG   = {sensitivity, sensitivity_std, precision, ... fpRate_std}

Datasets are aggregated the way szcore-evaluation 0.0.7's evaluate_dataset
does (that package is not on PyPI, so this is a restatement of its rule, not
its code): per recording, Annotation(mask, 1) for reference and hypothesis,
an all-zero hypothesis when it is missing or SampleScoring raises ValueError,
SampleScoring and EventScoring with defaults; per subject, tp, fp, refTrue and
numSamples summed and timescoring's own computeScores applied to the sums;
over subjects, numpy.nanmean and numpy.nanstd of each rate, or (cumulated)
computeScores on the sums over all subjects.
"""

import json
import math
import sys
import warnings
from importlib.metadata import version

import numpy as np
from timescoring import scoring
from timescoring.annotations import Annotation

warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of all-NaN, 0/0

METRICS = ["sensitivity", "precision", "f1", "fpRate"]


def num(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def annotation(spec):
    if "mask" in spec:
        return Annotation(spec["mask"], spec["fs"])
    return Annotation([tuple(e) for e in spec["events"]], spec["fs"], spec["n"])


def score_fields(s):
    return {
        "tp": int(s.tp),
        "fp": int(s.fp),
        "refTrue": int(s.refTrue),
        "numSamples": int(s.numSamples),
        "sensitivity": num(s.sensitivity),
        "precision": num(s.precision),
        "f1": num(s.f1),
        "fpRate": num(s.fpRate),
    }


def pair(case):
    ref, hyp = annotation(case["ref"]), annotation(case["hyp"])
    p = case.get("params")
    param = scoring.EventScoring.Parameters() if p is None else scoring.EventScoring.Parameters(**p)
    out = {"event": score_fields(scoring.EventScoring(ref, hyp, param))}
    try:
        out["sample"] = score_fields(scoring.SampleScoring(ref, hyp, case.get("sample_fs", 1)))
    except ValueError as e:
        out["sample"] = {"error": str(e)}
    return out


class Sum(scoring._Scoring):
    """Counts summed over recordings; computeScores is timescoring's."""

    def __init__(self):
        self.fs, self.numSamples, self.tp, self.fp, self.refTrue = 0, 0, 0, 0, 0

    def add(self, s):
        self.fs = s.fs
        self.numSamples += s.numSamples
        self.tp += s.tp
        self.fp += s.fp
        self.refTrue += s.refTrue


def mask1hz(rec):
    return Annotation([tuple(e) for e in rec["events"]], 1, rec["n"]).mask


def dataset(case):
    sample_sums, event_sums = [], []
    for subject in case["subjects"]:
        ss, es = Sum(), Sum()
        for rec in subject["recordings"]:
            ref = Annotation(mask1hz(rec["ref"]), 1)
            hyp = Annotation(mask1hz(rec["hyp"]), 1) if rec["hyp"] is not None else Annotation(np.zeros_like(ref.mask), 1)
            try:
                s = scoring.SampleScoring(ref, hyp)
                e = scoring.EventScoring(ref, hyp)
            except ValueError:
                hyp = Annotation(np.zeros_like(ref.mask), 1)
                s = scoring.SampleScoring(ref, hyp)
                e = scoring.EventScoring(ref, hyp)
            ss.add(s)
            es.add(e)
        ss.computeScores()
        es.computeScores()
        sample_sums.append(ss)
        event_sums.append(es)

    per_subject, cumulated = {}, {}
    for key, sums in (("sample_results", sample_sums), ("event_results", event_sums)):
        agg = {}
        for m in METRICS:
            values = [getattr(x, m) for x in sums]
            agg[m] = num(np.nanmean(values))
            agg[m + "_std"] = num(np.nanstd(values))
        per_subject[key] = agg
        total = Sum()
        for x in sums:
            total.add(x)
        total.computeScores()
        cumulated[key] = score_fields(total)
    return {"per_subject": per_subject, "cumulated": cumulated}


def main():
    cases = json.load(sys.stdin)
    out = {
        "version": version("timescoring"),
        "pairs": [pair(c) for c in cases.get("pairs", [])],
        "datasets": [dataset(c) for c in cases.get("datasets", [])],
    }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
