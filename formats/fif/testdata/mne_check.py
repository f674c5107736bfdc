#!/usr/bin/env python3
"""Cross-check helper for mne_test.go (run by the test, not by hand).

Usage: mne_check.py DIR

1. Writes FIF files with MNE-Python into DIR, covering what the shared
   recordings lack: a recording split across files, acquisition skips,
   short/int/double buffers, annotations with and without a measurement
   date, and a non-zero first sample.
2. Reads every *_raw.fif in DIR (the Go test has written its own synthetic
   ones there too) with mne.io.read_raw_fif(preload=True,
   allow_maxshield=True) and writes NAME.json in the golden-file schema of
   formats/testdata/golden/make_golden.py, except that annotation onsets are
   always seconds from the first sample (onset - first_time), whether or
   not the recording has a measurement date.
"""
import json
import pathlib
import sys

import mne
import numpy as np

mne.set_log_level("ERROR")
TYPE = {"eeg": "eeg", "mag": "meg_mag", "grad": "meg_grad", "eog": "eog", "ecg": "ecg", "emg": "emg", "stim": "stim"}
UNIT = {107: "V", 112: "T", 201: "T/m"}


def write_mne_files(out):
    rng = np.random.default_rng(42)

    # Split recording: 4 channels, 300 s at 1 kHz, parts of about 2 MB.
    info = mne.create_info(["EEG 001", "EEG 002", "STI 014", "MISC 001"], 1000.0, ["eeg", "eeg", "stim", "misc"])
    data = rng.standard_normal((4, 300_000)) * 1e-5
    data[2] = (np.arange(300_000) // 1000) % 4
    raw = mne.io.RawArray(data, info, first_samp=1234)
    raw.set_meas_date(1_500_000_000.5)
    raw.set_annotations(mne.Annotations([1.0, 150.0, 299.0], [0.5, 2.0, 5.0], ["a", "b", "c"], orig_time=raw.info["meas_date"]))
    raw.save(out / "mne_split_raw.fif", split_size="2MB", buffer_size_sec=1.0, overwrite=True)

    # Acquisition skips, stored as 16-bit integers, no measurement date.
    info = mne.create_info(["EEG 001", "EEG 002", "EOG 001"], 100.0, ["eeg", "eeg", "eog"])
    for ch in info["chs"]:
        ch["cal"] = 1e-7
    data = rng.standard_normal((3, 2000)) * 1e-5
    raw = mne.io.RawArray(data, info, first_samp=500)
    raw.set_meas_date(None)
    raw.set_annotations(mne.Annotations([3.0, 10.0, 2.5], [1.0, 0.5, 0.0], ["BAD_ACQ_SKIP", "BAD_ACQ_SKIP", "blink"]))
    raw.save(out / "mne_skip_short_raw.fif", buffer_size_sec=0.5, fmt="short", overwrite=True)

    # int and double buffers with a measurement date.
    for fmt in ("int", "double"):
        raw = mne.io.RawArray(data, info, first_samp=7)
        raw.set_meas_date((1_600_000_000, 123456))
        raw.set_annotations(mne.Annotations([0.0, 19.99], [0.1, 5.0], ["start", "end"], orig_time=raw.info["meas_date"]))
        raw.save(out / f"mne_{fmt}_raw.fif", buffer_size_sec=0.37, fmt=fmt, overwrite=True)


def indices(n):
    rng = np.random.default_rng(n)
    idx = set(range(min(16, n))) | set(range(max(0, n - 16), n)) | set(rng.integers(0, n, size=64).tolist())
    return sorted(idx)


def describe(raw):
    data = raw.get_data()
    idx = indices(data.shape[1])
    return {
        "reader": "mne.io.read_raw_fif",
        "sfreq": float(raw.info["sfreq"]),
        "n_times": int(raw.n_times),
        "first_samp": int(raw.first_samp),
        "meas_date": None if raw.info["meas_date"] is None else raw.info["meas_date"].isoformat(),
        "channels": [
            {"name": ch["ch_name"], "type": TYPE.get(t, "misc"), "mne_type": t, "unit": UNIT.get(int(ch["unit"]), str(int(ch["unit"])))}
            for ch, t in zip(raw.info["chs"], raw.get_channel_types())
        ],
        "annotations": [
            {"onset": float(a["onset"] - raw.first_time), "duration": float(a["duration"]), "description": a["description"]}
            for a in raw.annotations
        ],
        "index": idx,
        "values": data[:, idx].tolist(),
        "sum": data.sum(axis=1).tolist(),
        "sumabs": np.abs(data).sum(axis=1).tolist(),
        "sumsq": (data * data).sum(axis=1).tolist(),
    }


def main():
    out = pathlib.Path(sys.argv[1])
    write_mne_files(out)
    for path in sorted(out.glob("*_raw.fif")):
        try:
            g = describe(mne.io.read_raw_fif(path, preload=True, allow_maxshield=True))
        except Exception as exc:
            g = {"reader": "mne.io.read_raw_fif", "error": f"{type(exc).__name__}: {exc}"}
        path.with_suffix(".json").write_text(json.dumps(g))


if __name__ == "__main__":
    main()
