#!/usr/bin/env bash
# cadrebot against the grammY check-in peer (scripts/grammy-peer, a copy of
# ../shared/peers/grammy-checkin,
# or PEER_DIR), measured the same way: cmd/cadreload offers
# GROUPS x USERS "/checkin" updates at once to each bot in turn, RUNS times
# each, alternating, on one Redis. Prints each run and the medians of
# check-ins/s, p99 and peak RSS, and the ratio cadrebot/grammY.
#
#   scripts/bench-vs-grammy.sh                 # 3 runs each, 200 groups x 100 = 20,000
#   scripts/bench-vs-grammy.sh -runs 5 -groups 2000 -users 10
#   scripts/bench-vs-grammy.sh -smoke          # 1 run each, 20 x 10 (CI)
#
# Both bots answer every check-in (cadrebot with a 👍, the peer with a
# reply); cadreload's fake Bot API does not enforce Telegram's rate limits
# here (-limits=false), or the peer's replies would cap it at 30 a second.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 groups=200 users=100 smoke=0
while [ $# -gt 0 ]; do
	case "$1" in
	-runs) runs=$2; shift 2 ;;
	-groups) groups=$2; shift 2 ;;
	-users) users=$2; shift 2 ;;
	-smoke) smoke=1 runs=1 groups=20 users=10; shift ;;
	*) echo "usage: $0 [-runs N] [-groups G] [-users U] [-smoke]" >&2; exit 2 ;;
	esac
done
./scripts/ensure-redis.sh
peer_src="${PEER_DIR:-scripts/grammy-peer}"
if [ ! -f "$peer_src/bot.mjs" ]; then
	echo "bench-vs-grammy: no peer at $peer_src (set PEER_DIR)" >&2
	exit 2
fi
./scripts/ensure-node.sh

dir="$(mktemp -d)"
prefix="cadrebot-bench:$$:"
api_port="${API_PORT:-18091}"
http_port="${HTTP_PORT:-18090}"
peer_db="${PEER_REDIS_DB:-15}"
redis_url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
hp="${redis_url#*://}"; hp="${hp#*@}"; hp="${hp%%/*}"
rcli() { redis-cli -h "${hp%%:*}" -p "${hp##*:}" "$@"; }
bot_pid=""
cleanup() {
	[ -n "$bot_pid" ] && kill "$bot_pid" 2>/dev/null && wait "$bot_pid" 2>/dev/null || true
	rcli --scan --pattern "${prefix}*" 2>/dev/null | xargs -r -n 500 redis-cli -h "${hp%%:*}" -p "${hp##*:}" del >/dev/null 2>&1 || true
	rcli -n "$peer_db" --scan --pattern 'checkin:*' 2>/dev/null | xargs -r -n 500 redis-cli -h "${hp%%:*}" -p "${hp##*:}" -n "$peer_db" del >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT

cp "$peer_src/bot.mjs" "$peer_src/package.json" "$peer_src/package-lock.json" "$dir/"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
go build -o "$dir/cadreload" ./cmd/cadreload
go build -o "$dir/cadrebot" ./cmd/cadrebot

# run NAME: one measurement; prints "NAME updates/s p99_ms handout_p99_ms
# rss_mib": p99 from injection (the whole queue of 20,000 included) and
# from getUpdates handing the check-in to the bot.
run() {
	local name=$1 out="$dir/$1.json"
	local load_args=(-listen "127.0.0.1:$api_port" -groups "$groups" -users "$users" -text /checkin -limits=false -json)
	if [ "$name" = cadrebot ]; then
		load_args+=(-metrics "http://127.0.0.1:$http_port/metrics")
	else
		load_args+=(-setup "")
	fi
	"$dir/cadreload" "${load_args[@]}" >"$out" 2>"$dir/load.log" &
	local load_pid=$!
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$api_port") 2>/dev/null && break
		sleep 0.05
	done
	if [ "$name" = cadrebot ]; then
		rcli --scan --pattern "${prefix}*" | xargs -r -n 500 redis-cli -h "${hp%%:*}" -p "${hp##*:}" del >/dev/null
		TELEGRAM_API_URL="http://127.0.0.1:$api_port" TELEGRAM_BOT_TOKEN="1:bench" REDIS_URL="$redis_url" \
			CADREBOT_HTTP_ADDR="127.0.0.1:$http_port" CADREBOT_KEY_PREFIX="$prefix" CADREBOT_LOG_LEVEL=warn \
			"$dir/cadrebot" >"$dir/bot.log" 2>&1 &
	else
		rcli -n "$peer_db" --scan --pattern 'checkin:*' | xargs -r -n 500 redis-cli -h "${hp%%:*}" -p "${hp##*:}" -n "$peer_db" del >/dev/null
		(cd "$dir" && TELEGRAM_API_URL="http://127.0.0.1:$api_port" TELEGRAM_BOT_TOKEN="1:bench" \
			REDIS_URL="redis://$hp/$peer_db" exec node bot.mjs runner >"$dir/bot.log" 2>&1) &
	fi
	bot_pid=$!
	local peak=0 rss
	while kill -0 "$load_pid" 2>/dev/null; do
		rss=$(awk '/VmRSS/ {print $2}' "/proc/$bot_pid/status" 2>/dev/null || echo 0)
		[ "${rss:-0}" -gt "$peak" ] && peak=$rss
		sleep 0.1
	done
	local status=0
	wait "$load_pid" || status=$?
	kill "$bot_pid" 2>/dev/null; wait "$bot_pid" 2>/dev/null || true
	bot_pid=""
	if [ "$status" -ne 0 ]; then
		echo "bench-vs-grammy: $name run failed" >&2
		tail -20 "$dir/load.log" "$dir/bot.log" >&2
		exit 1
	fi
	awk -v n="$name" -v rss="$peak" '
		/"updates_per_second"/ { gsub(/[,]/, "", $2); ups = $2 }
		/"p99_ms"/ { gsub(/[,]/, "", $2); p99 = $2 }
		/"handout_p99_ms"/ { gsub(/[,]/, "", $2); hp99 = $2 }
		END { printf "%s %.0f %.1f %.1f %.0f\n", n, ups, p99, hp99, rss / 1024 }' "$out"
}

results="$dir/results"
echo "run  bot       check-ins/s  p99_ms  p99_handout_ms  rss_MiB"
for i in $(seq 1 "$runs"); do
	for name in cadrebot grammy; do
		line=$(run "$name")
		echo "$line" >>"$results"
		echo "$i    $line" | awk '{printf "%-4s %-9s %11s %7s %15s %8s\n", $1, $2, $3, $4, $5, $6}'
	done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for name in cadrebot grammy; do
	ups=$(awk -v n="$name" '$1 == n {print $2}' "$results" | median)
	p99=$(awk -v n="$name" '$1 == n {print $3}' "$results" | median)
	hp99=$(awk -v n="$name" '$1 == n {print $4}' "$results" | median)
	rss=$(awk -v n="$name" '$1 == n {print $5}' "$results" | median)
	echo "median $name $ups $p99 $hp99 $rss" >>"$results"
done
awk '
	$1 == "median" { ups[$2] = $3; p99[$2] = $4; hp99[$2] = $5; rss[$2] = $6 }
	END {
		printf "\nmedian of %s runs, %s check-ins each\n", "'"$runs"'", "'"$((groups * users))"'"
		printf "%-9s %11s %7s %15s %8s\n", "bot", "check-ins/s", "p99_ms", "p99_handout_ms", "rss_MiB"
		printf "%-9s %11s %7s %15s %8s\n", "cadrebot", ups["cadrebot"], p99["cadrebot"], hp99["cadrebot"], rss["cadrebot"]
		printf "%-9s %11s %7s %15s %8s\n", "grammY", ups["grammy"], p99["grammy"], hp99["grammy"], rss["grammy"]
		if (ups["grammy"] > 0) printf "ratio cadrebot/grammY: %.2fx\n", ups["cadrebot"] / ups["grammy"]
	}' "$results"
if [ "$smoke" = 1 ]; then
	# The smoke run only proves the script still works end to end.
	awk '$1 == "median" && $3 <= 0 { bad = 1 } END { exit bad }' "$results" || { echo "bench-vs-grammy: a bot answered nothing" >&2; exit 1; }
fi
