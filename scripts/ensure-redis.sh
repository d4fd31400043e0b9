#!/usr/bin/env bash
# Makes sure a Redis answers at REDIS_URL (default redis://127.0.0.1:6379/0):
# if none does, installs redis-server from the OS packages when missing and
# starts a throwaway instance on that host and port. Used by `make test`.
# With --install-only it only installs redis-server and redis-cli when
# missing (scripts/redis-cluster.sh and the fault tests need the binaries
# even when a Redis already answers elsewhere).
set -euo pipefail

install_redis() {
	command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
	echo "ensure-redis: installing redis-server from the OS packages" >&2
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server redis-tools >/dev/null
}

if [ "${1:-}" = "--install-only" ]; then
	install_redis
	exit 0
fi

url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
hostport="${url#*://}"
hostport="${hostport#*@}"
hostport="${hostport%%/*}"
host="${hostport%%:*}"
port="${hostport##*:}"
[ "$port" = "$hostport" ] && port=6379

ping() {
	# Plain bash, so this works before redis-cli is installed.
	exec 3<>"/dev/tcp/$host/$port" 2>/dev/null || return 1
	printf 'PING\r\n' >&3
	local line=""
	read -r -t 2 line <&3 || true
	exec 3>&-
	[[ "$line" == +PONG* || "$line" == -NOAUTH* ]]
}

if ping; then
	exit 0
fi

case "$host" in
127.0.0.1 | localhost | ::1) ;;
*)
	echo "ensure-redis: nothing answers at $host:$port and it is not local; start it or set REDIS_URL" >&2
	exit 1
	;;
esac

install_redis

dir="$(mktemp -d)"
echo "ensure-redis: starting redis-server on $host:$port (data in $dir)" >&2
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no \
	--dir "$dir" --logfile "$dir/redis.log"
for _ in $(seq 1 100); do
	ping && exit 0
	sleep 0.1
done
echo "ensure-redis: redis-server did not answer on $host:$port; see $dir/redis.log" >&2
exit 1
