# Shared by up.sh and down.sh (sourced, not run): where a broker lives and
# how to tell whether the process in its pid file is still that broker.
#
#   NEUROSTREAM_CACHE      cache folder (default ~/.cache/neurostream); the
#                          jars go to $NEUROSTREAM_CACHE/kafka/jars
#   NEUROSTREAM_KAFKA_RUN  the broker's folder: data, pid file, log,
#                          generated configuration (default
#                          $NEUROSTREAM_CACHE/kafka/run). A second broker
#                          (the outage tests start one) needs its own.
#   NEUROSTREAM_KAFKA      listener host:port (default 127.0.0.1:9092); the
#                          controller listens on port+1
#   NEUROSTREAM_KAFKA_SECURE  1: also SASL_SSL on port+2, SSL with client
#                          certificates (mTLS) on port+3 and a TLS listener
#                          with an expired certificate on port+4
#                          (secure.properties; files in $run/secure)

home=${NEUROSTREAM_CACHE:-$HOME/.cache/neurostream}/kafka
run=${NEUROSTREAM_KAFKA_RUN:-$home/run}
addr=${NEUROSTREAM_KAFKA:-127.0.0.1:9092}
host=${addr%:*}
port=${addr##*:}
cport=$((port + 1))
secure=${NEUROSTREAM_KAFKA_SECURE:-0}
sasl_port=$((port + 2))
mtls_port=$((port + 3))
expired_port=$((port + 4))
[[ $home == /* ]] || home=$PWD/$home
[[ $run == /* ]] || run=$PWD/$run
jars=$home/jars
data=$run/data
pidfile=$run/kafka.pid
secdir=$run/secure
logfile=$run/kafka.log

# broker_alive PID: the process exists, is not a zombie (a SIGKILLed broker
# whose parent has not reaped it still answers kill -0), and runs this
# folder's configuration, so a pid reused by another process after a crash
# or reboot is never taken for the broker, nor stopped.
broker_alive() {
	local pid=$1 stat cmd
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 1
	[[ -r /proc/$pid/stat ]] || return 0 # no procfs: trust kill -0
	stat=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ ${stat%% *} != Z ]] || return 1
	cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
	[[ $cmd == *kafka.Kafka*"$run/server.properties"* ]]
}

# broker_pid: the pid in the pid file if that broker is alive, else empty.
broker_pid() {
	local pid
	[[ -f $pidfile ]] || return 0
	pid=$(cat "$pidfile")
	if broker_alive "$pid"; then
		echo "$pid"
	fi
}
