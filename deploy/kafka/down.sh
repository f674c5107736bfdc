#!/usr/bin/env bash
# Stop the broker that up.sh started and remove its data. Safe to run when
# it is not running.
set -euo pipefail

home=${NEUROSTREAM_CACHE:-$HOME/.cache/neurostream}/kafka
run=$home/run
pidfile=$run/kafka.pid

if [[ -f $pidfile ]]; then
	pid=$(cat "$pidfile")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 100); do # up to 20 s for a controlled shutdown
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.2
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "kafka-down: broker $pid still running after 20 s, killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		echo "kafka-down: stopped broker $pid"
	fi
	rm -f "$pidfile"
fi
# Keep the log for a post-mortem; drop the data.
rm -rf "$run/data" "$run/server.properties" "$run/log4j.properties" "$run/format.log"
