#!/usr/bin/env bash
# Stop the broker that up.sh started; its data stays for the next up.sh.
# Safe to run when it is not running.
#
#   down.sh          stop it (SIGTERM: a controlled shutdown; SIGKILL after 20 s)
#   down.sh --wipe   stop it and delete its data (topics, records, offsets),
#                    so the next up.sh formats fresh storage (make kafka-wipe)
#
# NEUROSTREAM_CACHE and NEUROSTREAM_KAFKA_RUN choose the broker, as for
# up.sh (lib.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

wipe=false
case ${1:-} in
"") ;;
--wipe) wipe=true ;;
*)
	echo "usage: down.sh [--wipe]" >&2
	exit 2
	;;
esac

pid=$(broker_pid)
if [[ -n $pid ]]; then
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do # up to 20 s for a controlled shutdown
		broker_alive "$pid" || break
		sleep 0.2
	done
	if broker_alive "$pid"; then
		echo "kafka-down: broker $pid still running after 20 s, killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	echo "kafka-down: stopped broker $pid"
fi
rm -f "$pidfile"
if $wipe; then
	# Keep the log for a post-mortem; drop the data.
	rm -rf "$data" "$secdir" "$run/server.properties" "$run/log4j.properties" "$run/format.log" "$run/scram.log"
	echo "kafka-down: deleted the broker's data ($data)"
fi
