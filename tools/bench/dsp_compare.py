#!/usr/bin/env python3
"""Compare neurostream's DSP speed with scipy/MNE/numpy on the same data.

Usage:
  dsp_compare.py [--channels 19,64] [--rate 256] [--seconds 600] [--nperseg 256]
                 [--windows 200] [--repeats 5] [--neurostream BIN] [--go GO]
                 [--no-stages] [--out FILE.json] [--json]
  dsp_compare.py --markdown FILE.json            # print the DSP table
  dsp_compare.py --markdown FILE.json --update-doc docs/benchmarks.md

For each channel count it writes a little-endian float64 channel-major file
of seeded random EEG-like data, runs `neurostream bench dsp --raw-f64 FILE
--json` on it (package dsp/dspbench: every row below, best of --repeats),
then the same work single-threaded in Python on the same data, best of
--repeats:

  whole data   scipy.signal.welch and MNE psd_array_welch (Hann, nperseg,
               50 % overlap, mean); numpy batched CSD + coherence (every
               segment's rFFT once, one batched matrix product per bin)
  sosfilt, sosfiltfilt   scipy.signal with neurostream's SOS (4th-order
               Butterworth band-pass 1-40 Hz)
  resample     scipy.signal.resample_poly to 200 Hz
  stft         scipy.signal.stft, 1 s frames, 50 % overlap
  rfft         numpy.fft.rfft of every nperseg block, one batched call
  multitaper   MNE psd_array_multitaper per 2 s window, fixed and adaptive
  csd_window   the numpy batched CSD + coherence per 2 s window
  psd_window/SETTING     scipy.signal.welch per window
  coherence_window/SETTING   the numpy batched CSD + coherence per window
               (SETTING: demo = 2 s windows every 1 s, seizure = 4 s every
               1 s; neurostream with segments reused across windows and
               each window on its own)
  tokenize*    numpy: the tokenizer's features (frames, rFFT, patches, log,
               z-score, motifs) and the exhaustive nearest of a codebook of
               the vocabulary's size and dimension (one matrix product);
               with resample_poly from the data's rate for tokenize_resample
  psd_nperseg, csd_coherence_nperseg   scipy.signal.welch and the numpy
               batched CSD + coherence of the whole data with 250-sample
               segments (a length the Go plans transform four at once)
  ssvep_*      numpy/scipy per 2 s window of 8 channels, 4 targets: CCA
               (QR of the centred window, SVD against each target's
               precomputed reference basis), FBCCA (sosfiltfilt with
               neurostream's sub-band SOS, then CCA), TRCA / eTRCA
               (sosfiltfilt, spatial filters of the same shapes,
               correlation with precomputed template projections)

Unless --no-stages, it also runs the pipeline's psd and coherence stages
window after window (`go test ./pipeline/stages -bench StageWindows`,
GOMAXPROCS 1, best of --repeats runs; segments reused and not), against the
same per-window references.

Thread pools are limited to one thread (OMP/OPENBLAS/MKL_NUM_THREADS=1) and
the Go side runs with GOMAXPROCS 1, so the comparison is one core against
one core. Every figure is per second of the process's CPU time (Python's
time.process_time, Go's getrusage), not of the wall clock: on a machine
whose cores other jobs share, the wall clock also counts the time spent
waiting for a core. --out keeps everything (machine, date, versions, commands, every
figure); --markdown turns such a file into the table of docs/benchmarks.md,
--update-doc rewrites the table there between its markers.
"""
import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import numpy as np  # noqa: E402
from scipy import signal  # noqa: E402

BEGIN, END = "<!-- dsp-compare:begin -->", "<!-- dsp-compare:end -->"


def best_of(fn, repeats):
    """The shortest of repeats runs of fn in process CPU time, as the Go
    side measures (internal/cpuclock): on a shared machine wall-clock time
    also counts the time spent waiting for a core."""
    best = float("inf")
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
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


# ---------------------------------------------------------------- references


class Refs:
    """The Python reference of every Go row, by row name."""

    def __init__(self, x, a, repeats):
        self.x, self.a, self.repeats = x, a, repeats

    def rate(self, work, fn):
        return work / best_of(fn, self.repeats)

    def whole(self):
        x, a = self.x, self.a
        cs = x.size
        rows = {"scipy.signal.welch": self.rate(cs, lambda: signal.welch(
            x, fs=a.rate, nperseg=a.nperseg, noverlap=a.nperseg // 2))}
        try:
            import mne

            mne.set_log_level("ERROR")
            rows["mne psd_array_welch"] = self.rate(cs, lambda: mne.time_frequency.psd_array_welch(
                x, a.rate, n_fft=a.nperseg, n_per_seg=a.nperseg, n_overlap=a.nperseg // 2, n_jobs=1))
        except ImportError:
            pass
        rows["numpy batched csd+coherence"] = self.rate(cs, lambda: numpy_csd_coherence(x, a.nperseg))
        return rows

    def row(self, r):
        """(reference name, value) for Go row r, or None."""
        name, p = r["name"], r.get("params") or {}
        kind = name.split("/")[0]
        fn = getattr(self, "ref_" + kind, None)
        return fn(p) if fn else None

    def ref_sosfilt(self, p):
        sos = np.array(p["sos"])
        return "scipy.signal.sosfilt", self.rate(self.x.size, lambda: signal.sosfilt(sos, self.x, axis=-1))

    def ref_sosfiltfilt(self, p):
        sos = np.array(p["sos"])
        return "scipy.signal.sosfiltfilt", self.rate(self.x.size, lambda: signal.sosfiltfilt(sos, self.x, axis=-1))

    def ref_resample(self, p):
        return "scipy.signal.resample_poly", self.rate(self.x.size, lambda: signal.resample_poly(
            self.x, p["up"], p["down"], axis=-1))

    def ref_stft(self, p):
        return "scipy.signal.stft", self.rate(self.x.size, lambda: signal.stft(
            self.x, fs=self.a.rate, nperseg=p["nperseg"], axis=-1))

    def ref_psd_nperseg(self, p):
        n = p["nperseg"]
        return "scipy.signal.welch", self.rate(self.x.size, lambda: signal.welch(
            self.x, fs=self.a.rate, nperseg=n, noverlap=n // 2))

    def ref_csd_coherence_nperseg(self, p):
        return "numpy batched csd+coherence", self.rate(self.x.size, lambda: numpy_csd_coherence(self.x, p["nperseg"]))

    def ref_rfft(self, p):
        n = p["n"]
        blocks = self.x[:, :self.x.shape[1] // n * n].reshape(-1, n)
        return "numpy.fft.rfft of the blocks (one batched call)", self.rate(blocks.size, lambda: np.fft.rfft(blocks, axis=-1))

    def windows(self, p):
        n, hop = p["length"], p.get("hop", p["length"])
        return [self.x[:, s * hop:s * hop + n] for s in range(p["windows"])]

    def ref_multitaper(self, p, adaptive=False):
        import mne

        ws = self.windows(p)

        def run():
            for w in ws:
                mne.time_frequency.psd_array_multitaper(w, self.a.rate, adaptive=adaptive, n_jobs=1, verbose=False)
        return "MNE psd_array_multitaper", self.rate(len(ws), run)

    def ref_multitaper_adaptive(self, p):
        return self.ref_multitaper(p, adaptive=True)

    def ref_csd_window(self, p):
        ws = self.windows(p)
        return "numpy batched csd+coherence per window", self.rate(len(ws), lambda: [
            numpy_csd_coherence(w, p["nperseg"]) for w in ws])

    ref_coherence_window = ref_csd_window

    def ref_psd_window(self, p):
        ws = self.windows(p)
        return "scipy.signal.welch per window", self.rate(len(ws), lambda: [
            signal.welch(w, fs=self.a.rate, nperseg=p["nperseg"], noverlap=p["noverlap"]) for w in ws])

    # Tokenizer: the features of tokenizer/features.go in numpy, batched over
    # channels, and the exhaustive nearest codeword.
    def tokens(self, z, codes, half):
        nfr = (z.shape[1] - 200) // 100 + 1
        idx = np.arange(200)[None, :] + 100 * np.arange(nfr)[:, None]
        seg = z[:, idx]
        seg = (seg - seg.mean(axis=-1, keepdims=True)) * self.hann200
        pw = np.abs(np.fft.rfft(seg, axis=-1)[..., :100]) ** 2 / self.hann200.sum() ** 2
        patch = pw.reshape(pw.shape[0], nfr, 20, 5).sum(-1)
        patch = np.log(patch + 1e-10 * patch.mean(-1, keepdims=True))
        patch -= patch.mean(-1, keepdims=True)
        patch /= patch.std(-1, keepdims=True)
        m = np.concatenate([patch[:, :-2], patch[:, 1:-1], patch[:, 2:]], axis=-1).reshape(-1, 60)
        m /= np.linalg.norm(m, axis=-1, keepdims=True)
        return np.argmax(m @ codes.T - half, axis=-1)

    def tok_setup(self, p):
        self.hann200 = signal.get_window("hann", 200)
        rng = np.random.default_rng(3)
        codes = rng.standard_normal((p["vocab"], p["dim"]))
        codes /= np.linalg.norm(codes, axis=-1, keepdims=True)
        z = signal.resample_poly(self.x, p["up"], p["down"], axis=-1)
        return z, codes, 0.5 * (codes ** 2).sum(-1)

    def ref_tokenize(self, p):
        z, codes, half = self.tok_setup(p)
        return "numpy features + exhaustive nearest codeword", self.rate(z.size, lambda: self.tokens(z, codes, half))

    ref_tokenize_exhaustive = ref_tokenize

    def ref_tokenize_resample(self, p):
        _, codes, half = self.tok_setup(p)
        return "scipy resample_poly + numpy features + exhaustive nearest", self.rate(self.x.size, lambda: self.tokens(
            signal.resample_poly(self.x, p["up"], p["down"], axis=-1), codes, half))

    # SSVEP decoders.
    def ssvep(self, p):
        n, fs, nh, nch = p["samples"], self.a.rate, p["harmonics"], p["channels"]
        t = np.arange(n) / fs
        qy = []
        for f in p["freqs"]:
            y = np.array([fn(2 * np.pi * h * f * t) for h in range(1, nh + 1) for fn in (np.sin, np.cos)])
            qy.append(np.linalg.qr(y.T - y.T.mean(0))[0])
        ws = [self.x[:nch, i * n:(i + 1) * n] for i in range(p["windows"])]
        return ws, qy, [np.array(s) for s in p["sub_band_sos"]], np.array(p["weights"])

    @staticmethod
    def cca(x, qy):
        qx = np.linalg.qr(x.T - x.T.mean(0))[0]
        return np.array([np.linalg.svd(qx.T @ q, compute_uv=False)[0] for q in qy])

    def ref_ssvep_cca(self, p):
        ws, qy, _, _ = self.ssvep(p)
        return "numpy CCA (QR, SVD)", self.rate(len(ws), lambda: [self.cca(w, qy) for w in ws])

    def ref_ssvep_fbcca(self, p):
        ws, qy, sos, wt = self.ssvep(p)

        def decide(w):
            return sum(wt[k] * self.cca(signal.sosfiltfilt(s, w, axis=-1), qy) ** 2 for k, s in enumerate(sos))
        return "scipy sosfiltfilt + numpy CCA", self.rate(len(ws), lambda: [decide(w) for w in ws])

    def ref_ssvep_trca(self, p, ensemble=False):
        ws, _, sos, wt = self.ssvep(p)
        nt, n, nch = len(p["freqs"]), p["samples"], p["channels"]
        rng = np.random.default_rng(5)
        filt = [rng.standard_normal((nch, nt)) for _ in sos]
        width = nt if ensemble else 1
        tmpl = [[rng.standard_normal(n * width) for _ in range(nt)] for _ in sos]

        def decide(w):
            score = np.zeros(nt)
            for b, s in enumerate(sos):
                xf = signal.sosfiltfilt(s, w, axis=-1)
                if ensemble:
                    proj = (xf.T @ filt[b]).ravel()
                    score += wt[b] * np.array([np.corrcoef(proj, tmpl[b][k])[0, 1] for k in range(nt)])
                else:
                    score += wt[b] * np.array([np.corrcoef(xf.T @ filt[b][:, k], tmpl[b][k])[0, 1] for k in range(nt)])
            return score
        name = "scipy sosfiltfilt + numpy eTRCA" if ensemble else "scipy sosfiltfilt + numpy TRCA"
        return name, self.rate(len(ws), lambda: [decide(w) for w in ws])

    def ref_ssvep_etrca(self, p):
        return self.ref_ssvep_trca(p, ensemble=True)


# ---------------------------------------------------------------- Go side


def run_go(a, x, path):
    x.astype("<f8").tofile(path)
    cmd = a.neurostream.split() + ["bench", "dsp", "--raw-f64", path, "--channels", str(x.shape[0]),
                                   "--rate", str(a.rate), "--n-per-seg", str(a.nperseg),
                                   "--repeats", str(a.repeats), "--json"]
    env = dict(os.environ, GOMAXPROCS="1")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    shown = ["neurostream"] + cmd[len(a.neurostream.split()):]
    shown[shown.index("--raw-f64") + 1] = "DATA.f64"
    shown[shown.index("--channels") + 1] = "C"
    return json.loads(out), " ".join(shown)


STAGE_RE = re.compile(r"^BenchmarkStageWindows/(\w+)/ch=(\d+)/([\w.]+?)_[\w.]+/reuse=(on|off)\s.*?([\d.e+]+) cpu-windows/s")


def run_stages(a, channels):
    """Best cpu-windows/s of --repeats sweeps of the stage benchmarks (one
    `go test` per sweep, so that reuse on and off alternate)."""
    pattern = "StageWindows/(psd|coherence)/ch=(%s)/" % "|".join(str(c) for c in channels)
    cmd = [a.go, "test", "./pipeline/stages", "-run", "^$", "-bench", pattern, "-benchtime", "%dx" % a.windows,
           "-count", "1", "-cpu", "1"]
    best = {}
    for _ in range(a.repeats):
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            m = STAGE_RE.match(line)
            if m:
                kind, ch, setting, reuse, v = m.groups()
                key = (int(ch), "%s_stage/%s/%s" % (kind, setting, "reuse" if reuse == "on" else "oneshot"))
                best[key] = max(best.get(key, 0), float(v))
    return best, " ".join(cmd) + "   # %d times" % a.repeats


# ---------------------------------------------------------------- report


def machine():
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    import scipy

    versions["scipy"] = scipy.__version__
    try:
        import mne

        versions["mne"] = mne.__version__
    except ImportError:
        pass
    return {"cpu": model, "cpus": os.cpu_count(), "system": platform.platform(), "versions": versions}


def data(channels, a):
    n = int(a.rate * a.seconds)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((channels, n)).cumsum(axis=1) * 1e-7
    x += rng.standard_normal((channels, n)) * 1e-6
    return x


def compare(a):
    out = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "machine": machine(), "load_before": os.getloadavg(), "runs": []}
    go_version = subprocess.run([a.go, "version"], capture_output=True, text=True).stdout.strip()
    out["machine"]["versions"]["go"] = go_version
    out["command"] = "tools/bench/dsp_compare.py " + " ".join(sys.argv[1:])
    out["repeats"] = a.repeats
    channels = [int(c) for c in a.channels.split(",")]
    stages = {}
    if not a.no_stages:
        stages, out["stages_command"] = run_stages(a, channels)
    for ch in channels:
        x = data(ch, a)
        with tempfile.NamedTemporaryFile(suffix=".f64", delete=False) as f:
            path = f.name
        try:
            go, out["go_command"] = run_go(a, x, path)
        finally:
            os.unlink(path)
        refs = Refs(x, a, a.repeats)
        whole = refs.whole()
        rows = [
            row("psd", "Welch PSD of every channel, whole data", "channel-samples/s", go["psd"],
                "scipy.signal.welch", whole["scipy.signal.welch"]),
            row("psd", "Welch PSD of every channel, whole data", "channel-samples/s", go["psd"],
                "MNE psd_array_welch", whole.get("mne psd_array_welch")),
            row("psd", "Welch PSD of every channel, whole data", "channel-samples/s", go["psd"],
                "go-dsp spectral.Pwelch (Go baseline)", go["psd_go_dsp"]),
            row("csd_coherence", "all-pairs CSD + magnitude-squared coherence, whole data", "channel-samples/s",
                go["csd_coherence"], "numpy batched csd+coherence", whole["numpy batched csd+coherence"]),
        ]
        cache = {}
        for r in go["rows"]:
            key = r["name"].replace("/reuse", "").replace("/oneshot", "")
            if key not in cache:
                cache[key] = refs.row(r)
            ref = cache[key]
            rows.append(row(r["name"], r["what"], r["unit"], r["value"], *(ref or (None, None)), params=r.get("params")))
        for (sch, name), v in sorted(stages.items()):
            if sch != ch:
                continue
            kind, setting = name.split("_stage/")[0], name.split("/")[1]
            ref = cache.get("%s_window/%s" % (kind, "demo" if setting == "speller" else setting))
            what = "the %s stage (pipeline/stages) per window, %s settings, segments %s" % (
                kind, setting, "reused" if name.endswith("reuse") else "not reused (each window on its own)")
            rows.append(row(name, what, "windows/s", v, *(ref or (None, None))))
        out["runs"].append({"channels": ch, "rate": a.rate, "seconds": a.seconds, "nperseg": a.nperseg,
                            "windows": a.windows, "rows": rows})
    out["load_after"] = os.getloadavg()
    return out


def row(name, what, unit, value, ref_name, ref_value, params=None):
    r = {"name": name, "what": what, "unit": unit, "neurostream": value, "reference": ref_name,
         "reference_value": ref_value, "ratio": value / ref_value if ref_value else None}
    if params and "windows" in params:
        r["windows"] = params["windows"]
    return r


def fmt(v, unit):
    if v is None:
        return "—"
    if unit == "decisions/s":
        return "%.3g ms" % (1e3 / v)
    if unit == "windows/s":
        return "%.3g/s (%.3g ms)" % (v, 1e3 / v)
    return "%.3g" % v


def markdown(res):
    """The DSP table of docs/benchmarks.md: one line per computation and
    reference, the channel counts side by side."""
    m = res["machine"]
    runs = res["runs"]
    lines = [
        "Measured %s on %s (%d logical CPUs; %s), %s; numpy %s, scipy %s, MNE %s, Python %s. "
        "Load average %.1f before and %.1f after the run (other developers' jobs). Figures per second of "
        "process CPU time, best of %s runs per row; 2 s windows unless the row says otherwise." % (
            res["date"], m["cpu"], m["cpus"], m["system"], m["versions"].get("go", "Go"), m["versions"]["numpy"],
            m["versions"]["scipy"], m["versions"].get("mne", "—"), m["versions"]["python"],
            res["load_before"][0], res["load_after"][0], res.get("repeats", "the")),
        "",
        "```sh",
        res["command"],
        "# which ran, per channel count:",
        res.get("go_command", ""),
    ]
    if res.get("stages_command"):
        lines.append(res["stages_command"])
    lines += ["```", ""]
    head = "| computation | reference |"
    rule = "| --- | --- |"
    for run in runs:
        head += " %d ch: neurostream | %d ch: reference | ratio |" % (run["channels"], run["channels"])
        rule += " --- | --- | --- |"
    lines += [head, rule]
    keys, by = [], {}
    for k, run in enumerate(runs):
        for r in run["rows"]:
            key = (r["name"], r["reference"])
            if key not in by:
                keys.append(key)
                by[key] = {"row": r, "runs": {}}
            by[key]["runs"][k] = r
    for key in keys:
        r = by[key]["row"]
        line = "| `%s`: %s (%s) | %s |" % (r["name"], r["what"], r["unit"].replace("/s", " per s"), r["reference"] or "—")
        for k in range(len(runs)):
            x = by[key]["runs"].get(k)
            if x is None:
                line += " — | — | — |"
                continue
            ratio = "**%.2f×**" % x["ratio"] if x["ratio"] else "—"
            line += " %s | %s | %s |" % (fmt(x["neurostream"], x["unit"]), fmt(x["reference_value"], x["unit"]), ratio)
        lines.append(line)
    return "\n".join(lines) + "\n"


def update_doc(doc, table):
    with open(doc) as f:
        text = f.read()
    i, j = text.find(BEGIN), text.find(END)
    if i < 0 or j < i:
        sys.exit("%s: no %s … %s markers" % (doc, BEGIN, END))
    with open(doc, "w") as f:
        f.write(text[:i + len(BEGIN)] + "\n" + table + text[j:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--channels", default="19,64", help="comma-separated channel counts")
    ap.add_argument("--rate", type=float, default=256)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--nperseg", type=int, default=256)
    ap.add_argument("--windows", type=int, default=200, help="windows per per-window row")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--neurostream", default="go run ./cmd/neurostream")
    ap.add_argument("--go", default="go")
    ap.add_argument("--no-stages", action="store_true", help="skip the pipeline stage benchmarks")
    ap.add_argument("--out", help="write the results as JSON to this file")
    ap.add_argument("--json", action="store_true", help="print JSON")
    ap.add_argument("--markdown", metavar="FILE", help="print the table of a results file instead of measuring")
    ap.add_argument("--update-doc", metavar="DOC", help="with --markdown: rewrite the table in DOC")
    a = ap.parse_args()

    if a.markdown:
        with open(a.markdown) as f:
            table = markdown(json.load(f))
        if a.update_doc:
            update_doc(a.update_doc, table)
        else:
            sys.stdout.write(table)
        return
    res = compare(a)
    if a.out:
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")
    if a.json:
        json.dump(res, sys.stdout, indent=1)
        print()
        return
    for run in res["runs"]:
        print("%d ch × %g Hz × %g s, one core each:" % (run["channels"], run["rate"], run["seconds"]))
        for r in run["rows"]:
            ratio = "%6.2f×" % r["ratio"] if r["ratio"] else "      "
            print("  %-34s %12s  %s %-44s %s" % (r["name"], fmt(r["neurostream"], r["unit"]), ratio,
                                                  (r["reference"] or "")[:44], fmt(r["reference_value"], r["unit"])))


if __name__ == "__main__":
    main()
