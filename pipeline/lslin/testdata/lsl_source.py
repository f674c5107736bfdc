"""A liblsl (pylsl) amplifier and stimulus program for the ingest tests.

Run by pipeline/lslin/python_test.go with LSLAPICFG=lsl/testdata/lsl_api.cfg,
so that every packet stays on this machine. One JSON object per line on
stdout is the conversation with the Go test; liblsl's log goes to stderr.

    lsl_source.py '{"name": ..., "channels": 8, "rate": 250, "n": 15000, ...}'

Sample k, channel ch holds k*channels + ch + 0.5 (float32); its time stamp
is t0 + k/rate, t0 the LSL clock when pushing starts plus "shift". Markers
(optional) are pushed with the time stamp of the sample they belong to, so
the Go test knows each marker's true sample.
"""

import json
import sys
import time

import pylsl


def emit(**kv):
    print(json.dumps(kv), flush=True)


def eeg_info(p, channels):
    info = pylsl.StreamInfo(p["name"], p.get("type", "EEG"), channels, p["rate"], pylsl.cf_float32, p["source_id"])
    chans = info.desc().append_child("channels")
    for c in range(channels):
        ch = chans.append_child("channel")
        ch.append_child_value("label", p["labels"][c] if c < len(p.get("labels", [])) else "E%d" % (c + 1))
        ch.append_child_value("unit", p.get("unit", "microvolts"))
        ch.append_child_value("type", "EEG")
    return info


def main(p):
    nch, rate, n = p["channels"], p["rate"], p["n"]
    pace, chunk = p.get("pace", 0.0), p.get("chunk", 10)
    out = pylsl.StreamOutlet(eeg_info(p, nch), chunk_size=0, max_buffered=360)
    mk = None
    m = p.get("markers")
    if m:
        fmt = pylsl.cf_string if m["format"] == "string" else pylsl.cf_int32
        mk = pylsl.StreamOutlet(pylsl.StreamInfo(m["name"], "Markers", 1, 0, fmt, m["source_id"]))
    emit(event="ready", uid=out.get_info().uid())
    for o in (out, mk):
        if o is not None and not o.wait_for_consumers(20.0):
            emit(event="error", error="no consumer connected")
            return 1
    t0 = pylsl.local_clock() + p.get("shift", 0.0)
    start = time.monotonic()
    restart_at = p.get("restart_at", -1)
    k = 0
    while k < n:
        if k == restart_at:
            # The outlet goes away (after liblsl sent what was pushed:
            # an outlet destroyed at once drops its queue).
            time.sleep(0.3)
            del out
            emit(event="outlet_closed", k=k)
            time.sleep(p.get("restart_pause", 1.0))
            out = pylsl.StreamOutlet(eeg_info(p, p.get("restart_channels", nch)), chunk_size=0, max_buffered=360)
            nch = p.get("restart_channels", nch)
            if not out.wait_for_consumers(20.0):
                emit(event="error", error="no consumer after the restart")
                return 1
            emit(event="restarted", uid=out.get_info().uid())
        j = min(n, k + chunk)
        if restart_at > k:
            j = min(j, restart_at)
        if pace:
            due = start + j / (rate * pace)
            # One clock read per turn: reading it twice let the second
            # read pass the due time and ask for a negative sleep.
            while (left := due - time.monotonic()) > 0:
                time.sleep(min(0.002, left))
        rows = [[float(i * nch + c) + 0.5 for c in range(nch)] for i in range(k, j)]
        out.push_chunk(rows, [t0 + i / rate for i in range(k, j)])
        if mk is not None:
            for i in range(k, j):
                if i % m["every"] == m["first"]:
                    v = m["values"][(i // m["every"]) % len(m["values"])]
                    mk.push_sample([v], t0 + i / rate)
        k = j
    emit(event="pushed", n=n, t0=t0)
    time.sleep(p.get("linger", 0.5))
    del out
    if mk is not None:
        del mk
    emit(event="closed")
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
