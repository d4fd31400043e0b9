#!/usr/bin/env bash
# Starts a throwaway 3-master Redis Cluster on loopback ports, for the
# Cluster tests.
#
#   scripts/redis-cluster.sh start DIR   start it with its data in DIR; print
#                                        the seed addresses (a,b,c) on stdout
#   scripts/redis-cluster.sh stop DIR    stop the cluster started in DIR
#   scripts/redis-cluster.sh run CMD...  start one, run CMD with
#                                        REDIS_CLUSTER_ADDRS set, stop it,
#                                        exit with CMD's status
#
# Ports are picked at random among free ones (each node also needs its
# port + 10000 for the cluster bus); REDIS_CLUSTER_PORTS="p1 p2 p3" fixes
# them. redis-server comes from the OS packages (scripts/ensure-redis.sh).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

port_free() {
	! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_ports() {
	local ports=() p
	while [ "${#ports[@]}" -lt 3 ]; do
		# Below the kernel's ephemeral range (32768+ by default), so an
		# outgoing connection cannot hold the port or its bus port.
		p=$((20000 + RANDOM % 2700))
		if port_free "$p" && port_free $((p + 10000)) && [[ " ${ports[*]-} " != *" $p "* ]]; then
			ports+=("$p")
		fi
	done
	echo "${ports[@]}"
}

cluster_ok() {
	local p
	for p in "$@"; do
		redis-cli -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
	done
}

start() {
	local dir="$1" try
	command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 ||
		"$here/ensure-redis.sh" --install-only >&2
	# Another test run may grab a port between the check and the bind;
	# then start over on other ports.
	for try in 1 2 3 4 5; do
		start_once "$dir" && return 0
		stop "$dir"
		[ -n "${REDIS_CLUSTER_PORTS:-}" ] && break
		echo "redis-cluster: attempt $try failed; retrying on other ports" >&2
	done
	return 1
}

start_once() {
	local dir="$1" ports p hostports=() up
	mkdir -p "$dir"
	read -r -a ports <<<"${REDIS_CLUSTER_PORTS:-$(pick_ports)}"
	for p in "${ports[@]}"; do
		mkdir -p "$dir/$p"
		redis-server --daemonize yes --bind 127.0.0.1 --port "$p" --cluster-enabled yes \
			--cluster-config-file "$dir/$p/nodes.conf" --cluster-node-timeout 5000 \
			--save "" --appendonly no --dir "$dir/$p" --logfile "$dir/$p/redis.log" \
			--pidfile "$dir/$p/redis.pid" >&2
		echo "$p" >>"$dir/ports"
		hostports+=("127.0.0.1:$p")
	done
	for p in "${ports[@]}"; do
		up=""
		for _ in $(seq 1 100); do
			redis-cli -p "$p" ping >/dev/null 2>&1 && up=1 && break
			sleep 0.05
		done
		if [ -z "$up" ]; then
			echo "redis-cluster: node on port $p did not start:" >&2
			tail -3 "$dir/$p/redis.log" >&2 || true
			return 1
		fi
	done
	redis-cli --cluster create "${hostports[@]}" --cluster-replicas 0 --cluster-yes >"$dir/create.log" 2>&1 || {
		cat "$dir/create.log" >&2
		return 1
	}
	for _ in $(seq 1 200); do
		if cluster_ok "${ports[@]}"; then
			local IFS=,
			echo "${hostports[*]}"
			return 0
		fi
		sleep 0.05
	done
	echo "redis-cluster: cluster_state never became ok; logs in $dir" >&2
	return 1
}

stop() {
	local dir="$1" p
	[ -f "$dir/ports" ] || return 0
	while read -r p; do
		redis-cli -p "$p" shutdown nosave >/dev/null 2>&1 || {
			[ -f "$dir/$p/redis.pid" ] && kill "$(cat "$dir/$p/redis.pid")" 2>/dev/null || true
		}
	done <"$dir/ports"
	rm -rf "$dir"
}

case "${1:-}" in
start) start "${2:?usage: $0 start DIR}" ;;
stop) stop "${2:?usage: $0 stop DIR}" ;;
run)
	shift
	dir="$(mktemp -d)"
	trap 'stop "$dir"' EXIT
	addrs="$(start "$dir")"
	echo "redis-cluster: 3 masters at $addrs" >&2
	set +e
	REDIS_CLUSTER_ADDRS="$addrs" "$@"
	status=$?
	exit $status
	;;
*)
	echo "usage: $0 start DIR | stop DIR | run CMD..." >&2
	exit 2
	;;
esac
