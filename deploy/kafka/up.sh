#!/usr/bin/env bash
# Start a single-node Apache Kafka 3.9.1 (KRaft, broker + controller) for
# tests and development, from Maven Central jars, and wait until it serves
# real requests. The storage is formatted only when its folder has none
# (no meta.properties), so a restart keeps every topic, record and
# committed offset; down.sh --wipe (make kafka-wipe) deletes it.
#
#   NEUROSTREAM_CACHE, NEUROSTREAM_KAFKA_RUN, NEUROSTREAM_KAFKA: see lib.sh
#   KAFKA_WAIT_TIMEOUT  seconds to wait for readiness (default 120)
#   KAFKA_HEAP_OPTS     JVM heap (default -Xms256m -Xmx1g)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
timeout=${KAFKA_WAIT_TIMEOUT:-120}

say() { echo "kafka-up: $*"; }

wait_ready() { # pid
	mkdir -p "$home/bin"
	# Built under a temporary name and renamed: two brokers starting at
	# once (the shared one and a test's) must not run a half-written file.
	(cd "$repo" && go build -o "$home/bin/kafka-wait.$$" ./deploy/kafka/wait)
	mv -f "$home/bin/kafka-wait.$$" "$home/bin/kafka-wait"
	if ! "$home/bin/kafka-wait" -addr "$addr" -timeout "${timeout}s" -pid "$1"; then
		echo "kafka-up: broker log ($logfile), last 60 lines:" >&2
		tail -n 60 "$logfile" >&2 || true
		return 1
	fi
}

if pid=$(broker_pid) && [[ -n $pid ]]; then
	say "already running (pid $pid), checking readiness"
	wait_ready "$pid"
	exit 0
fi
if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
	echo "kafka-up: something already listens on $addr and it is not our broker (no live $pidfile); stop it or set NEUROSTREAM_KAFKA" >&2
	exit 1
fi

# Jars: fetched once per pom.xml content.
stamp=$(sha256sum "$here/pom.xml" | cut -c1-16)
if [[ ! -f $jars/.stamp || $(cat "$jars/.stamp") != "$stamp" ]]; then
	say "fetching Kafka jars from Maven Central into $jars"
	rm -rf "$jars.tmp"
	mkdir -p "$home"
	if ! mvn -B -Dstyle.color=never -f "$here/pom.xml" dependency:copy-dependencies \
		-DoutputDirectory="$jars.tmp" >"$home/mvn.log" 2>&1; then
		tail -n 40 "$home/mvn.log" >&2
		exit 1
	fi
	echo "$stamp" >"$jars.tmp/.stamp"
	rm -rf "$jars"
	mv "$jars.tmp" "$jars"
fi

# The configuration is written again at every start (the listener may have
# moved); the data stays.
mkdir -p "$data"
sed -e "s|@LOG_DIRS@|$data|" -e "s|@HOST@|$host|g" -e "s|@PORT@|$port|g" \
	-e "s|@CONTROLLER_PORT@|$cport|g" "$here/server.properties" >"$run/server.properties"
cp "$here/log4j.properties" "$run/log4j.properties"

java_opts=(-Djava.awt.headless=true "-Dlog4j.configuration=file:$run/log4j.properties")
if [[ -f $data/meta.properties ]]; then
	cluster_id=$(sed -n 's/^cluster.id=//p' "$data/meta.properties")
	say "keeping the data in $data (cluster $cluster_id); make kafka-wipe deletes it"
else
	cluster_id=$(java "${java_opts[@]}" -cp "$jars/*" kafka.tools.StorageTool random-uuid | tail -n 1)
	java "${java_opts[@]}" -cp "$jars/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$run/server.properties" >"$run/format.log" 2>&1 || {
		cat "$run/format.log" >&2
		exit 1
	}
	say "formatted new storage in $data (cluster $cluster_id)"
fi

# The log is appended to, so a restart after a crash keeps the crash's
# last lines.
echo "=== kafka-up: starting broker on $addr at $(date -u +%FT%TZ)" >>"$logfile"
# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM flags
nohup java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 "${java_opts[@]}" \
	-cp "$jars/*" kafka.Kafka "$run/server.properties" >>"$logfile" 2>&1 </dev/null &
echo $! >"$pidfile"
say "started broker pid $(cat "$pidfile") on $addr (controller $host:$cport, cluster $cluster_id), log $logfile"
wait_ready "$(cat "$pidfile")"
