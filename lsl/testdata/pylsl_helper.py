"""Real liblsl (through pylsl) on the other end of neurostream's Go LSL tests.

Run by lsl/python_test.go with LSLAPICFG=lsl/testdata/lsl_api.cfg, so that
every packet stays on this machine. One JSON object per line on stdout is
the conversation with the Go test; liblsl's log goes to stderr.

    pylsl_helper.py outlet '{"name": ..., "format": "float32", ...}'
    pylsl_helper.py inlet  '{"source_id": ..., "n": 100, ...}'
    pylsl_helper.py xml '{}' > liblsl_fullinfo.xml

Sample values follow one rule the Go test knows too (value(), below), so
that both sides check every value exactly.
"""

import json
import sys
import time

import pylsl

FORMATS = {
    "float32": pylsl.cf_float32,
    "double64": pylsl.cf_double64,
    "string": pylsl.cf_string,
    "int32": pylsl.cf_int32,
    "int16": pylsl.cf_int16,
    "int8": pylsl.cf_int8,
    "int64": pylsl.cf_int64,
}


def value(fmt, nch, i, ch):
    """Sample i, channel ch of a test stream; mirrored by testValue in Go."""
    k = i * nch + ch
    if fmt in ("float32", "double64"):
        return k + 0.5
    if fmt == "int8":
        return k % 256 - 128
    if fmt == "int16":
        return k % 65536 - 32768
    if fmt == "int32":
        return k - (1 << 30)
    if fmt == "int64":
        return k - (1 << 62)
    # strings: short ones, one over 255 bytes (a 4-byte length prefix) and
    # non-ASCII text every seventh sample
    if i % 7 == 3:
        return "µV→é %d.%d " % (i, ch) + "x" * 300
    return "s%d.%d" % (i, ch)


def emit(**kv):
    print(json.dumps(kv), flush=True)


def outlet(p):
    fmt, nch, rate = p["format"], p["channels"], p["rate"]
    info = pylsl.StreamInfo(p["name"], p.get("type", "EEG"), nch, rate, FORMATS[fmt], p["source_id"])
    if p.get("labels"):
        chans = info.desc().append_child("channels")
        for label, unit, typ in zip(p["labels"], p["units"], p["types"]):
            c = chans.append_child("channel")
            c.append_child_value("label", label)
            c.append_child_value("unit", unit)
            c.append_child_value("type", typ)
        acq = info.desc().append_child("acquisition")
        acq.append_child_value("manufacturer", "pylsl-helper")
        acq.append_child_value("model", "liblsl %d" % pylsl.library_version())
    out = pylsl.StreamOutlet(info, chunk_size=0, max_buffered=p.get("max_buffered", 360))
    emit(event="ready", uid=out.get_info().uid(), clock=pylsl.local_clock())
    if not out.wait_for_consumers(p.get("wait", 20.0)):
        emit(event="error", error="no consumer connected")
        return 1
    start, n = p.get("start", 0), p["n"]
    chunk = max(1, p.get("chunk", 1))
    shift = p.get("shift", 0.0)  # added to every timestamp
    pace = p.get("pace", 0.0)  # seconds between chunks
    # "explicit": t0 + i/rate for every sample; "deduced": one timestamp per
    # chunk; "now": local_clock() + shift at each push
    stamps = p.get("stamps", "explicit")
    t0 = pylsl.local_clock() + shift
    i = start
    while i < start + n:
        k = min(chunk, start + n - i)
        rows = [[value(fmt, nch, j, ch) for ch in range(nch)] for j in range(i, i + k)]
        ts = [t0 + (j - start) / rate if rate > 0 else t0 + (j - start) * 0.01 for j in range(i, i + k)]
        if stamps == "now":
            ts = [pylsl.local_clock() + shift] * k
        if k == 1:
            out.push_sample(rows[0], ts[0])
        elif stamps == "deduced":
            # liblsl stamps the last sample and deduces the others
            out.push_chunk(rows, ts[-1])
        else:
            out.push_chunk(rows, ts)
        i += k
        if pace:
            time.sleep(pace)
    emit(event="pushed", n=n, t0=t0, clock=pylsl.local_clock())
    time.sleep(p.get("linger", 1.0))
    del out
    emit(event="closed")
    return 0


def inlet(p):
    found = pylsl.resolve_byprop("source_id", p["source_id"], 1, p.get("timeout", 20.0))
    if not found:
        emit(event="error", error="stream not found")
        return 1
    inl = pylsl.StreamInlet(found[0], max_buflen=360, recover=True)
    full = inl.info(10.0)
    labels, units, types = [], [], []
    ch = full.desc().child("channels").child("channel")
    while not ch.empty():
        labels.append(ch.child_value("label"))
        units.append(ch.child_value("unit"))
        types.append(ch.child_value("type"))
        ch = ch.next_sibling("channel")
    inl.open_stream(10.0)
    emit(event="ready", uid=full.uid(), labels=labels, units=units, types=types,
         manufacturer=full.desc().child("acquisition").child_value("manufacturer"),
         rate=full.nominal_srate(), format=full.channel_format(), channels=full.channel_count())
    n, got = p["n"], 0
    deadline = time.monotonic() + p.get("timeout", 20.0)
    while got < n and time.monotonic() < deadline:
        samples, stamps = inl.pull_chunk(timeout=0.2, max_samples=4096)
        for s, t in zip(samples, stamps):
            emit(event="sample", ts=t, values=s, recv=pylsl.local_clock())
        got += len(stamps)
    tc = inl.time_correction(5.0)
    emit(event="done", n=got, time_correction=tc)
    return 0 if got >= n else 1


def xml(p):
    """Print the full info XML of a liblsl outlet (testdata/liblsl_fullinfo.xml)."""
    info = pylsl.StreamInfo("BioSemi & <Co>", "EEG", 3, 2048.0, pylsl.cf_float32, "biosemi-42")
    chans = info.desc().append_child("channels")
    for label, unit in (("Fp1", "microvolts"), ("Cz \"ref\"", "µV"), ("Status", "")):
        c = chans.append_child("channel")
        c.append_child_value("label", label)
        c.append_child_value("unit", unit)
        c.append_child_value("type", "EEG" if unit else "Trigger")
    acq = info.desc().append_child("acquisition")
    acq.append_child_value("manufacturer", "BioSemi")
    acq.append_child_value("model", "ActiveTwo")
    acq.append_child_value("serial_number", "42")
    out = pylsl.StreamOutlet(info)
    sys.stdout.write(out.get_info().as_xml())
    return 0


if __name__ == "__main__":
    mode, params = sys.argv[1], json.loads(sys.argv[2])
    sys.exit({"outlet": outlet, "inlet": inlet, "xml": xml}[mode](params))
