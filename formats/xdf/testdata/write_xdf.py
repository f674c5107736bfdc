"""Write the XDF 1.0 test recordings of formats/xdf into a folder.

Usage: python write_xdf.py OUTDIR

The Go tests run this at test time (into a temporary folder) and read every
file both with formats/xdf and with pyxdf's load_xdf, so nothing generated
is committed. Only the Python standard library and numpy are used; the
chunk layout follows the XDF 1.0 specification
(https://github.com/sccn/xdf/wiki/Specifications):

    file   = "XDF:" chunk*
    chunk  = NumLengthBytes(1: 1, 4 or 8) Length(uint, LE) Tag(uint16) Content
    Length counts Tag and Content.

Every file is deterministic (fixed seeds), so a failure reproduces.
"""

import os
import struct
import sys

import numpy as np

FORMATS = {
    "int8": "<i1",
    "int16": "<i2",
    "int32": "<i4",
    "int64": "<i8",
    "float32": "<f4",
    "double64": "<f8",
}

BOUNDARY = bytes(
    [0x43, 0xA5, 0x46, 0xDC, 0xCB, 0xF5, 0x41, 0x0F,
     0xB3, 0x0E, 0xD5, 0x46, 0x73, 0x83, 0xCB, 0xE4]
)


def varlen(n, nbytes=None):
    """A variable-length integer: a byte giving the width (1, 4 or 8), then n."""
    if nbytes is None:
        nbytes = 1 if n < 256 else 4 if n < 2**32 else 8
    code = {1: "<B", 4: "<I", 8: "<Q"}[nbytes]
    return bytes([nbytes]) + struct.pack(code, n)


class Writer:
    def __init__(self, path, header="<?xml version=\"1.0\"?><info><version>1.0</version></info>"):
        self.f = open(path, "wb")
        self.f.write(b"XDF:")
        self.chunk(1, header.encode())
        self.streams = {}

    def close(self):
        self.f.close()

    def chunk(self, tag, content, lenbytes=None):
        self.f.write(varlen(len(content) + 2, lenbytes))
        self.f.write(struct.pack("<H", tag))
        self.f.write(content)

    def stream(self, sid, name, type_, nch, srate, fmt, channels=None, desc_extra="", lenbytes=None):
        """A StreamHeader chunk. channels: list of (label, unit, type) or None."""
        desc = desc_extra
        if channels is not None:
            desc += "<channels>"
            for label, unit, ctype in channels:
                desc += "<channel>"
                if label is not None:
                    desc += f"<label>{label}</label>"
                if unit is not None:
                    desc += f"<unit>{unit}</unit>"
                if ctype is not None:
                    desc += f"<type>{ctype}</type>"
                desc += "</channel>"
            desc += "</channels>"
        xml = (
            "<?xml version=\"1.0\"?>\n<info>\n"
            f"\t<name>{name}</name>\n\t<type>{type_}</type>\n"
            f"\t<channel_count>{nch}</channel_count>\n"
            f"\t<nominal_srate>{srate!r}</nominal_srate>\n"
            f"\t<channel_format>{fmt}</channel_format>\n"
            f"\t<source_id>src-{sid}</source_id>\n"
            f"\t<uid>uid-{sid}</uid>\n"
            f"\t<created_at>1000.5</created_at>\n"
            f"\t<desc>{desc}</desc>\n</info>\n"
        )
        self.streams[sid] = (nch, fmt)
        self.chunk(2, struct.pack("<I", sid) + xml.encode(), lenbytes)

    def samples(self, sid, values, stamps, countbytes=None, lenbytes=None):
        """A Samples chunk. values: rows of one sample each; stamps: one
        float (written) or None (left for the reader to deduce) per row."""
        nch, fmt = self.streams[sid]
        out = bytearray(struct.pack("<I", sid))
        out += varlen(len(values), countbytes)
        for row, ts in zip(values, stamps):
            if ts is None:
                out += b"\x00"
            else:
                out += b"\x08" + struct.pack("<d", ts)
            if fmt == "string":
                for v in row:
                    b = v.encode() if isinstance(v, str) else v
                    out += varlen(len(b)) + b
            else:
                out += np.asarray(row, dtype=FORMATS[fmt]).reshape(nch).tobytes()
        self.chunk(3, bytes(out), lenbytes)

    def offset(self, sid, time, value):
        self.chunk(4, struct.pack("<Idd", sid, time, value))

    def boundary(self):
        self.chunk(5, BOUNDARY)

    def footer(self, sid, first, last, count, offsets=()):
        xml = (
            "<?xml version=\"1.0\"?>\n<info>\n"
            f"\t<first_timestamp>{first!r}</first_timestamp>\n"
            f"\t<last_timestamp>{last!r}</last_timestamp>\n"
            f"\t<sample_count>{count}</sample_count>\n\t<clock_offsets>"
        )
        for t, v in offsets:
            xml += f"<offset><time>{t!r}</time><value>{v!r}</value></offset>"
        xml += "</clock_offsets>\n</info>\n"
        self.chunk(6, struct.pack("<I", sid) + xml.encode())


def chunked(n, rng, lo=1, hi=40):
    """Split range(n) into consecutive chunks of random sizes."""
    out, i = [], 0
    while i < n:
        k = int(rng.integers(lo, hi + 1))
        out.append((i, min(n, i + k)))
        i += k
    return out


def write_regular(w, sid, values, stamps, rng, omit=0.5, boundary_every=0):
    """Samples chunks for a regular stream; omit of the time stamps are
    left out (the reader deduces them from the nominal rate)."""
    for j, (a, b) in enumerate(chunked(len(values), rng)):
        st = [None if (i > a and rng.random() < omit) else float(stamps[i]) for i in range(a, b)]
        w.samples(sid, values[a:b], st)
        if boundary_every and j % boundary_every == boundary_every - 1:
            w.boundary()


def every_format(path):
    """One regular stream per channel format, extreme values, every width of
    the variable-length integers, time stamps left out, empty chunks."""
    rng = np.random.default_rng(1)
    w = Writer(path)
    n = 120
    for k, (fmt, dt) in enumerate(FORMATS.items()):
        sid = k + 1
        nch = k % 3 + 1
        w.stream(sid, f"stream-{fmt}", "EEG" if k == 0 else "Misc", nch, 100.0 + k, fmt)
        if fmt.startswith("int"):
            info = np.iinfo(dt)
            vals = rng.integers(info.min, info.max, size=(n, nch), endpoint=True, dtype=dt)
            vals[0, 0], vals[1, 0] = info.min, info.max
        else:
            vals = rng.standard_normal((n, nch)).astype(dt) * 1e3
            vals[0, 0], vals[1, 0], vals[2, 0] = np.nan, np.inf, -np.inf
            vals[3, 0] = -0.0
            vals[4, 0] = np.finfo(dt).tiny / 8  # subnormal
            vals[5, 0] = np.finfo(dt).max
        t0 = 500.25 + k
        stamps = t0 + np.arange(n) / (100.0 + k) + rng.normal(0, 2e-4, n)
        # Chunks with each width of NumSamples and of the chunk length.
        w.samples(sid, vals[:3], [float(stamps[0]), None, None], countbytes=1)
        w.samples(sid, vals[3:10], [None] * 7, countbytes=4, lenbytes=4)
        w.samples(sid, vals[10:20], [float(s) for s in stamps[10:20]], countbytes=8, lenbytes=8)
        w.samples(sid, vals[:0], [])
        write_regular(w, sid, vals[20:], stamps[20:], rng, boundary_every=3)
        w.footer(sid, float(stamps[0]), float(stamps[-1]), n)
    # Strings: several channels, empty, long (a 4-byte length), UTF-8,
    # and bytes that are not UTF-8.
    sid = 40
    w.stream(sid, "strings", "Markers", 2, 0.0, "string")
    rows = [["a", ""], ["héllo wörld ✓", "x" * 300], ["", "🙂"], [b"\xff\xfe ok", "z"],
            [b"\xe2\x9ca", b"\xed\xa0\x80"], [b"\xf4\x90\x80\x80", b"\xc0\xaf"], [b"ab\xf0\x9f\x99", b"\xe0\x80"]]
    w.samples(sid, rows[:2], [500.5, 500.75])
    w.samples(sid, rows[2:], [501.0, 501.25, 501.3, 501.35, 501.4], countbytes=4)
    w.footer(sid, 500.5, 501.4, len(rows))
    # Numeric markers of every kind of value.
    sid = 42
    w.stream(sid, "codes", "Markers", 1, 0.0, "double64")
    w.samples(sid, [[1.0], [2.5], [-3.0], [1e-7], [0.1 + 0.2]], [500.3, 500.31, 500.6, 500.9, 501.1])
    # A regular string stream with deduced time stamps, as in minimal.xdf.
    sid = 41
    w.stream(sid, "regular strings", "StringMarker", 1, 4.0, "string")
    w.samples(sid, [["s%d" % i] for i in range(6)], [700.0] + [None] * 5)
    # A stream with no samples, one with zero channels.
    w.stream(50, "empty", "EEG", 4, 250.0, "float32")
    w.stream(51, "no channels", "Misc", 0, 10.0, "int16")
    w.samples(51, np.zeros((5, 0)), [10.0, None, None, 10.5, None])
    w.close()


def session(path, gap=False, reset=False, outliers=(), drop_samples=False, pylsl67=False, lenbytes=None, corrupt=False):
    """An EEG session: 8 channels at 250 Hz with labels, units and types,
    a string and an integer marker stream and an accelerometer stream, each
    on its own clock with a known drift, interleaved as LabRecorder writes
    them (every chunk about 0.1 s). gap: 6 s missing from the EEG; reset:
    the sending computer's clock restarts mid-recording; corrupt: a chunk
    with an invalid length field halfway, then a boundary chunk (a reader
    skips to it)."""
    rng = np.random.default_rng(7 + 2 * gap + 3 * reset + 5 * len(outliers) + 11 * drop_samples + 13 * pylsl67)
    w = Writer(path, "<?xml version=\"1.0\"?><info><version>1.0</version><datetime>2024-03-01T10:00:00+0100</datetime></info>")
    fs, dur = 250.0, 40.0
    n = int(fs * dur)
    chans = [("Fz", "microvolts", "EEG"), ("Cz", "uV", "EEG"), ("Pz", "µV", "eeg"), ("Oz", None, None),
             ("HEOG", "microvolts", "EOG"), ("ECG", "millivolts", "ECG"), ("Cz", "volts", "EEG"), ("Temp", "celsius", "misc")]
    desc = "<synchronization><can_drop_samples>true</can_drop_samples></synchronization>" if drop_samples else ""
    w.stream(1, "Amp", "EEG", 8, fs, "float32", chans, desc_extra=desc, lenbytes=lenbytes)
    w.stream(2, "PsychoPy", "Markers", 1, 0.0, "string")
    w.stream(3, "Triggers", "Markers", 1, 0.0, "int32")
    w.stream(4, "Accel", "ACC", 3, 50.0, "double64", [("X", "g", None), ("Y", "g", None), ("Z", "g", None)])

    # Device clocks: eeg_clock = true_time*(1+drift) + start, etc.
    t_true = np.arange(n) / fs
    keep = np.ones(n, bool)
    if gap:
        keep[(t_true >= 15) & (t_true < 21)] = False
    eeg_start, eeg_drift = 12345.678, 40e-6
    eeg_ts = eeg_start + t_true * (1 + eeg_drift) + rng.normal(0, 3e-4, n)
    eeg_true = t_true
    if reset:
        # At 20 s the EEG computer's clock restarts near 3 s.
        later = t_true >= 20
        eeg_ts[later] = 3.0 + (t_true[later] - 20) * (1 + eeg_drift) + rng.normal(0, 3e-4, later.sum())
    eeg = (rng.standard_normal((n, 8)) * 20).astype(np.float32)
    eeg[:, 7] = 36.5
    eeg_ts, eeg_true, eeg = eeg_ts[keep], eeg_true[keep], eeg[keep]

    # Clock offsets: recorder_time - stream_time, measured on the stream's
    # clock. The recorder's clock is true time + 1000.
    def offsets_for(start, drift, t0, t1, reset_at=None, reset_to=None):
        """(true time, stream-clock time, offset) every ~5 s."""
        out = []
        tt = t0
        i = 0
        while tt <= t1:
            if reset_at is not None and tt >= reset_at:
                local = reset_to + (tt - reset_at) * (1 + drift)
            else:
                local = start + tt * (1 + drift)
            v = 1000 + tt - local + rng.normal(0, 2e-5)
            if i in outliers:
                v += 5e-3
            out.append((tt, local, v))
            tt += 5.0 + rng.normal(0, 0.01)
            i += 1
        return out

    eeg_offs = offsets_for(eeg_start, eeg_drift, 0.7, dur + 2, 20 if reset else None, 3.0)
    mk_start, mk_drift = 777.125, -25e-6
    mk_offs = offsets_for(mk_start, mk_drift, 1.1, dur + 2)
    tr_start, tr_drift = 5.5, 10e-6
    tr_offs = offsets_for(tr_start, tr_drift, 0.3, dur + 2)
    acc_start, acc_drift = 99.0, 0.0
    acc_offs = offsets_for(acc_start, acc_drift, 0.2, dur + 2)

    # Markers: some before the EEG starts and after it ends.
    mk_true = np.sort(np.concatenate(([-0.5, 0.001], rng.uniform(0.2, dur - 0.2, 30), [dur + 0.5])))
    mk_ts = mk_start + mk_true * (1 + mk_drift)
    mk_vals = [["stim/%d" % (i % 4)] for i in range(len(mk_true))]
    tr_true = np.sort(rng.uniform(0.1, dur - 0.1, 20))
    tr_ts = tr_start + tr_true * (1 + tr_drift)
    tr_vals = [[int(c)] for c in rng.integers(1, 9, len(tr_true))]
    acc_n = int(50 * dur)
    acc_true = np.arange(acc_n) / 50.0
    acc_ts = acc_start + acc_true + rng.normal(0, 1e-3, acc_n)
    acc = rng.standard_normal((acc_n, 3))

    # Interleave by true time, 0.1 s per chunk, offsets at their times.
    events = []
    def add(kind, true_times):
        edges = np.arange(-1.0, dur + 3, 0.1)
        for a, b in zip(edges[:-1], edges[1:]):
            sel = np.nonzero((true_times >= a) & (true_times < b))[0]
            if len(sel):
                events.append((b, kind, sel, None))
    add("eeg", eeg_true)
    add("mk", mk_true)
    add("tr", tr_true)
    add("acc", acc_true)
    for offs, sid in ((eeg_offs, 1), (mk_offs, 2), (tr_offs, 3), (acc_offs, 4)):
        for tt, local, v in offs:
            events.append((tt, "off", sid, (local, v)))
    events.sort(key=lambda e: e[0])
    for j, (_, kind, sel, rest) in enumerate(events):
        if corrupt and j == len(events) // 2:
            w.f.write(b"\x03\x10\x00\x03\x00garbage")
            w.boundary()
        if kind == "eeg":
            st = [float(eeg_ts[i]) if (i == sel[0] or rng.random() < 0.3) else None for i in sel]
            # A deduced time stamp is last+1/fs; keep the written ones honest.
            st = [float(eeg_ts[i]) for i in sel] if rng.random() < 0.5 else st
            w.samples(1, eeg[sel], st)
        elif kind == "mk":
            w.samples(2, [mk_vals[i] for i in sel], [float(mk_ts[i]) for i in sel])
        elif kind == "tr":
            w.samples(3, [tr_vals[i] for i in sel], [float(tr_ts[i]) for i in sel])
        elif kind == "acc":
            w.samples(4, acc[sel], [float(acc_ts[i]) for i in sel])
        else:
            local, v = rest
            w.offset(sel, local, v)
    if pylsl67:
        # pylsl#67: an extra sample after the outlet went away, and a last
        # clock offset of garbage.
        w.samples(1, eeg[-1:], [float(eeg_ts[-1]) + 0.004])
        w.offset(1, eeg_offs[-1][1] + 0.5, 123456.0)
    w.boundary()
    w.footer(1, float(eeg_ts[0]), float(eeg_ts[-1]), len(eeg_ts), [o[1:] for o in eeg_offs[:2]])
    w.footer(2, float(mk_ts[0]), float(mk_ts[-1]), len(mk_ts), [o[1:] for o in mk_offs[:2]])
    w.footer(3, float(tr_ts[0]), float(tr_ts[-1]), len(tr_ts))
    w.footer(4, float(acc_ts[0]), float(acc_ts[-1]), acc_n)
    w.close()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    every_format(os.path.join(out, "formats.xdf"))
    session(os.path.join(out, "session.xdf"))
    session(os.path.join(out, "gap.xdf"), gap=True)
    session(os.path.join(out, "reset.xdf"), reset=True, lenbytes=8)
    session(os.path.join(out, "outliers.xdf"), outliers=(2, 5))
    session(os.path.join(out, "dropping.xdf"), drop_samples=True)
    session(os.path.join(out, "pylsl67.xdf"), pylsl67=True)
    session(os.path.join(out, "corrupt.xdf"), corrupt=True)
    # A recording cut short inside a chunk, as when the recorder crashes.
    session(os.path.join(out, "truncated.xdf"))
    with open(os.path.join(out, "truncated.xdf"), "r+b") as f:
        f.truncate(int(os.path.getsize(f.name) * 0.6))


if __name__ == "__main__":
    main()
