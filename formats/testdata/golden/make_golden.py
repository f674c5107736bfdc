#!/usr/bin/env python3
"""Write the MNE-Python reference values the Go readers are checked against.

Usage: make_golden.py DATA_DIR OUT_DIR

DATA_DIR is shared/data (see its SOURCES.md). For every recording there, this
script reads it with MNE-Python's reader for that format (default arguments,
preload) -- or with numpy for plain-text sample files, which MNE cannot
read -- and writes OUT_DIR/<path with / replaced by __>.json holding:

  reader       the function used, e.g. "mne.io.read_raw_edf"
  versions     mne / numpy versions
  sfreq        sampling rate in Hz, n_times samples per channel
  channels     name, type (mapped to neurostream's names), unit (V/T/T/m or
               the FIFF unit code as a string)
  meas_date    ISO time or null
  annotations  onset (s from the first sample), duration, description
  index        sample indices (first 16, last 16, 64 seeded-random)
  values       values[c][k] = data[c, index[k]] in SI units, as MNE returns
  sum, sumabs, sumsq   per-channel sums over all samples (float64)
  error        instead of the above, when MNE refuses the file

Event files (*-eve.fif) get {"events": [[sample, prev, code], ...],
"first_samp": first_samp of the matching raw file}.
An index.json lists every golden file with its source path and reader.

Never edit the output by hand: rerun this script (make golden).
"""
import json
import pathlib
import sys
import zlib

import mne
import numpy as np

mne.set_log_level("ERROR")

TYPE = {
    "eeg": "eeg",
    "mag": "meg_mag",
    "grad": "meg_grad",
    "eog": "eog",
    "ecg": "ecg",
    "emg": "emg",
    "stim": "stim",
}
UNIT = {107: "V", 112: "T", 201: "T/m"}


def indices(rel, n):
    if n == 0:
        return []
    rng = np.random.default_rng(zlib.crc32(rel.encode()))
    idx = set(range(min(16, n))) | set(range(max(0, n - 16), n))
    idx |= set(rng.integers(0, n, size=64).tolist())
    return sorted(idx)


def describe(raw, rel, reader):
    data = raw.get_data()
    idx = indices(rel, data.shape[1])
    ann = raw.annotations
    first = raw.first_time if ann.orig_time is not None else 0.0
    types = raw.get_channel_types()
    return {
        "source": rel,
        "reader": reader,
        "versions": {"mne": mne.__version__, "numpy": np.__version__},
        "sfreq": float(raw.info["sfreq"]),
        "n_times": int(raw.n_times),
        "first_samp": int(raw.first_samp),
        "meas_date": None if raw.info["meas_date"] is None else raw.info["meas_date"].isoformat(),
        "channels": [
            {
                "name": ch["ch_name"],
                "type": TYPE.get(t, "misc"),
                "mne_type": t,
                "unit": UNIT.get(int(ch["unit"]), str(int(ch["unit"]))),
            }
            for ch, t in zip(raw.info["chs"], types)
        ],
        "annotations": [
            {"onset": float(a["onset"] - first), "duration": float(a["duration"]), "description": a["description"]}
            for a in ann
        ],
        "index": idx,
        "values": data[:, idx].tolist(),
        "sum": data.sum(axis=1).tolist(),
        "sumabs": np.abs(data).sum(axis=1).tolist(),
        "sumsq": (data * data).sum(axis=1).tolist(),
    }


def text_golden(path, rel):
    """Plain-text sample files: numpy is the reference (MNE has no reader)."""
    if path.suffix == ".csv":
        arr = np.genfromtxt(path, delimiter=",", names=True)
        names = list(arr.dtype.names)
        # genfromtxt mangles "Right AUX" to "Right_AUX"; the header is the truth.
        header = path.read_text().splitlines()[0].split(",")
        data = np.vstack([arr[n] for n in names]).astype(np.float64)
    else:
        data = np.loadtxt(path, dtype=np.float64, ndmin=1)[np.newaxis, :]
        header = [path.stem]
    idx = indices(rel, data.shape[1])
    return {
        "source": rel,
        "reader": "numpy.genfromtxt" if path.suffix == ".csv" else "numpy.loadtxt",
        "versions": {"numpy": np.__version__},
        "n_times": int(data.shape[1]),
        "channels": [{"name": h} for h in header],
        "index": idx,
        "values": data[:, idx].tolist(),
        "sum": data.sum(axis=1).tolist(),
        "sumabs": np.abs(data).sum(axis=1).tolist(),
        "sumsq": (data * data).sum(axis=1).tolist(),
    }


READERS = {
    ".edf": ("mne.io.read_raw_edf", lambda p: mne.io.read_raw_edf(p, preload=True)),
    ".bdf": ("mne.io.read_raw_bdf", lambda p: mne.io.read_raw_bdf(p, preload=True)),
    ".vhdr": ("mne.io.read_raw_brainvision", lambda p: mne.io.read_raw_brainvision(p, preload=True)),
    ".gdf": ("mne.io.read_raw_gdf", lambda p: mne.io.read_raw_gdf(p, preload=True)),
    ".fif": ("mne.io.read_raw_fif", lambda p: mne.io.read_raw_fif(p, preload=True, allow_maxshield=True)),
}
TEXT = {".txt", ".inp", ".csv"}


def main():
    data_dir = pathlib.Path(sys.argv[1]).resolve()
    out_dir = pathlib.Path(sys.argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    index = []
    for path in sorted(data_dir.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(data_dir).as_posix()
        suffix = path.suffix.lower()
        if path.name in ("LICENSE", "EEG-README.txt") or path.name.endswith((".md",)):
            continue
        if path.name.endswith("-eve.fif"):
            ev = mne.read_events(path)
            raw_path = path.with_name(path.name.replace("-eve.fif", "_raw.fif"))
            first = mne.io.read_raw_fif(raw_path).first_samp if raw_path.exists() else None
            g = {"source": rel, "reader": "mne.read_events", "events": ev.tolist(), "first_samp": first}
        elif suffix in READERS:
            name, fn = READERS[suffix]
            try:
                g = describe(fn(path), rel, name)
            except Exception as exc:  # MNE refuses the file: record why
                g = {"source": rel, "reader": name, "error": f"{type(exc).__name__}: {exc}"}
                if suffix in (".edf", ".bdf"):
                    # An annotation-only EDF+ (hypnogram) has no channels for
                    # read_raw_edf but its annotations still read.
                    ann = mne.read_annotations(path)
                    g["annotations"] = [
                        {"onset": float(a["onset"]), "duration": float(a["duration"]), "description": a["description"]}
                        for a in ann
                    ]
        elif suffix in TEXT:
            g = text_golden(path, rel)
        else:
            continue
        out = rel.replace("/", "__") + ".json"
        (out_dir / out).write_text(json.dumps(g, separators=(",", ":"), ensure_ascii=False) + "\n")
        index.append({"source": rel, "golden": out, "reader": g["reader"], "error": g.get("error")})
        print(rel, g["reader"], g.get("error") or "")
    (out_dir / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
