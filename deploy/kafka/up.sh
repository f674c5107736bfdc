#!/usr/bin/env bash
# Start a single-node Apache Kafka 3.9.1 (KRaft, broker + controller) for
# tests and development, from Maven Central jars, and wait until it serves
# real requests. The storage is formatted only when its folder has none
# (no meta.properties), so a restart keeps every topic, record and
# committed offset; down.sh --wipe (make kafka-wipe) deletes it.
#
#   NEUROSTREAM_CACHE, NEUROSTREAM_KAFKA_RUN, NEUROSTREAM_KAFKA,
#   NEUROSTREAM_KAFKA_SECURE: see lib.sh
#   KAFKA_WAIT_TIMEOUT  seconds to wait for readiness (default 120)
#   KAFKA_HEAP_OPTS     JVM heap (default -Xms256m -Xmx1g)
#   KAFKA_GC_OPTS       JVM garbage collector (default -XX:+UseG1GC
#                       -XX:MaxGCPauseMillis=20, as Kafka's own scripts)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
timeout=${KAFKA_WAIT_TIMEOUT:-120}

say() { echo "kafka-up: $*"; }

# build NAME: builds ./deploy/kafka/NAME into $home/bin/kafka-NAME, under a
# temporary name and renamed: two brokers starting at once (the shared one
# and a test's) must not run a half-written file.
build() {
	mkdir -p "$home/bin"
	(cd "$repo" && go build -o "$home/bin/kafka-$1.$$" "./deploy/kafka/$1")
	mv -f "$home/bin/kafka-$1.$$" "$home/bin/kafka-$1"
}

wait_ready() { # pid
	build wait
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
ports=("$port" "$cport")
if [[ $secure == 1 ]]; then
	ports+=("$sasl_port" "$mtls_port" "$expired_port")
fi
for p in "${ports[@]}"; do
	if (exec 3<>"/dev/tcp/$host/$p") 2>/dev/null; then
		echo "kafka-up: something already listens on $host:$p and it is not our broker (no live $pidfile); stop it or set NEUROSTREAM_KAFKA" >&2
		exit 1
	fi
done

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
listeners="PLAINTEXT://$host:$port,CONTROLLER://$host:$cport"
advertised="PLAINTEXT://$host:$port"
protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
if [[ $secure == 1 ]]; then
	secure_listeners="SASL_SSL://$host:$sasl_port,SSL://$host:$mtls_port,EXPIRED://$host:$expired_port"
	listeners+=",$secure_listeners"
	advertised+=",$secure_listeners"
	protocols+=",SASL_SSL:SASL_SSL,SSL:SSL,EXPIRED:SSL"
	# A new CA and certificates at every start; the password stays.
	build certs
	"$home/bin/kafka-certs" -dir "$secdir" -host "$host"
	user=$(cat "$secdir/username")
	password=$(cat "$secdir/password")
fi
sed -e "s|@LOG_DIRS@|$data|" -e "s|@HOST@|$host|g" -e "s|@PORT@|$port|g" \
	-e "s|@CONTROLLER_PORT@|$cport|g" -e "s|@LISTENERS@|$listeners|" -e "s|@ADVERTISED@|$advertised|" \
	-e "s|@PROTOCOL_MAP@|$protocols|" "$here/server.properties" >"$run/server.properties"
if [[ $secure == 1 ]]; then
	# The password is hex (deploy/kafka/certs): safe in sed and in JAAS.
	sed -e "s|@SECURE@|$secdir|g" -e "s|@USER@|$user|g" -e "s|@PASSWORD@|$password|g" \
		"$here/secure.properties" >>"$run/server.properties"
	chmod 600 "$run/server.properties"
fi
cp "$here/log4j.properties" "$run/log4j.properties"

# scram_stamp: what the SCRAM credentials in the data were made from.
scram_stamp() { printf '%s\n%s\n' "$user" "$password" | sha256sum | cut -c1-16; }

java_opts=(-Djava.awt.headless=true "-Dlog4j.configuration=file:$run/log4j.properties")
if [[ -f $data/meta.properties ]]; then
	cluster_id=$(sed -n 's/^cluster.id=//p' "$data/meta.properties")
	say "keeping the data in $data (cluster $cluster_id); make kafka-wipe deletes it"
else
	cluster_id=$(java "${java_opts[@]}" -cp "$jars/*" kafka.tools.StorageTool random-uuid | tail -n 1)
	scram=()
	if [[ $secure == 1 ]]; then
		# SCRAM users go into the new cluster metadata with the storage
		# (kafka-storage format --add-scram): no second JVM.
		scram=(--add-scram "SCRAM-SHA-256=[name=$user,password=$password]" --add-scram "SCRAM-SHA-512=[name=$user,password=$password]")
	fi
	java "${java_opts[@]}" -cp "$jars/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$run/server.properties" \
		"${scram[@]}" >"$run/format.log" 2>&1 || {
		cat "$run/format.log" >&2
		exit 1
	}
	if [[ $secure == 1 ]]; then
		scram_stamp >"$secdir/scram.stamp"
	fi
	say "formatted new storage in $data (cluster $cluster_id)"
fi

# The log is appended to, so a restart after a crash keeps the crash's
# last lines.
echo "=== kafka-up: starting broker on $addr at $(date -u +%FT%TZ)" >>"$logfile"
# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS and KAFKA_GC_OPTS are lists of JVM flags
nohup java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g} ${KAFKA_GC_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20} "${java_opts[@]}" \
	-cp "$jars/*" kafka.Kafka "$run/server.properties" >>"$logfile" 2>&1 </dev/null &
echo $! >"$pidfile"
say "started broker pid $(cat "$pidfile") on $addr (controller $host:$cport, cluster $cluster_id), log $logfile"
wait_ready "$(cat "$pidfile")"
if [[ $secure == 1 ]]; then
	if [[ $(cat "$secdir/scram.stamp" 2>/dev/null) != "$(scram_stamp)" ]]; then
		# Data formatted without these credentials (a plaintext start, or a
		# new password): kafka-configs adds them through the plaintext
		# listener, one mechanism per request (the broker refuses two
		# changes of one user in one request).
		for mech in SCRAM-SHA-256 SCRAM-SHA-512; do
			java "${java_opts[@]}" -cp "$jars/*" kafka.admin.ConfigCommand --bootstrap-server "$addr" --alter \
				--add-config "$mech=[password=$password]" --entity-type users --entity-name "$user" >"$run/scram.log" 2>&1 || {
				cat "$run/scram.log" >&2
				exit 1
			}
		done
		scram_stamp >"$secdir/scram.stamp"
		say "SCRAM credentials of $user set with kafka-configs"
	fi
	say "SASL_SSL on $host:$sasl_port (user $user, password in $secdir/password), mTLS on $host:$mtls_port, expired certificate on $host:$expired_port; CA $secdir/ca.pem"
fi
