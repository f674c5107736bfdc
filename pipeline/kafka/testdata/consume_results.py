"""Read a neurostream result topic with no neurostream code: confluent-kafka
and pyarrow only. Prints a JSON summary for the Go test to check.

usage: consume_results.py BOOTSTRAP TOPIC COUNT TIMEOUT_SECONDS
"""
import json
import sys
import time

import pyarrow as pa
import pyarrow.ipc
from confluent_kafka import Consumer, KafkaException, TopicPartition, OFFSET_BEGINNING

bootstrap, topic, count, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])

consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "neurostream-python-reader",  # required by the client; nothing is committed
    "enable.auto.commit": False,
    "enable.partition.eof": False,
})
meta = consumer.list_topics(topic, timeout=10)
partitions = sorted(meta.topics[topic].partitions)
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])

messages = 0
rows = 0
windows = {}          # session -> set of window indices
keys_ok = True
psd_sum = 0.0
psd_values = 0
schema_kind = set()
columns = None
deadline = time.monotonic() + timeout
while messages < count and time.monotonic() < deadline:
    msg = consumer.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        raise KafkaException(msg.error())
    headers = {k: v.decode() for k, v in (msg.headers() or [])}
    table = pa.ipc.open_stream(msg.value()).read_all()
    columns = table.column_names
    schema_kind.add(table.schema.metadata[b"neurostream.kind"].decode())
    session = table.column("session")[0].as_py()
    window = table.column("window")[0].as_py()
    want_key = f"{session}/{headers['neurostream-kind']}/{window}"
    if headers.get("neurostream-idempotency-key") != want_key or msg.key().decode() != session:
        keys_ok = False
    windows.setdefault(session, set()).add(window)
    rows += table.num_rows
    for values in table.column("psd").to_pylist():
        psd_sum += sum(values)
        psd_values += len(values)
    messages += 1
consumer.close()

print(json.dumps({
    "messages": messages,
    "rows": rows,
    "windows": {s: sorted(w) for s, w in sorted(windows.items())},
    "keys_ok": keys_ok,
    "psd_sum": psd_sum,
    "psd_values": psd_values,
    "kinds": sorted(schema_kind),
    "columns": columns,
}))
