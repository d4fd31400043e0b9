#!/usr/bin/env bash
# Measures cadrebot with cmd/cadreload: builds both, starts the load tool's
# fake Bot API, starts cadrebot against it (real Redis at REDIS_URL, a
# throwaway key prefix), prints cadreload's report and cleans up.
#
#   scripts/bench-load.sh [cadreload flags...]
#   scripts/bench-load.sh -groups 2000 -users 10      # RSS with 2,000 groups
#
# CADREBOT_CONFIG and other CADREBOT_* variables pass through to the bot.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-redis.sh
dir="$(mktemp -d)"
prefix="cadrebot-bench:$$:"
api_port="${API_PORT:-18081}"
http_port="${HTTP_PORT:-18080}"
bot_pid=""
cleanup() {
	[ -n "$bot_pid" ] && kill "$bot_pid" 2>/dev/null && wait "$bot_pid" 2>/dev/null || true
	url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
	hp="${url#*://}"; hp="${hp#*@}"; hp="${hp%%/*}"
	redis-cli -h "${hp%%:*}" -p "${hp##*:}" --scan --pattern "${prefix}*" 2>/dev/null |
		xargs -r -n 500 redis-cli -h "${hp%%:*}" -p "${hp##*:}" del >/dev/null 2>&1 || true
	rm -rf "$dir"
}
trap cleanup EXIT
go build -o "$dir/cadreload" ./cmd/cadreload
go build -o "$dir/cadrebot" ./cmd/cadrebot
"$dir/cadreload" -listen "127.0.0.1:$api_port" -metrics "http://127.0.0.1:$http_port/metrics" "$@" &
load_pid=$!
for _ in $(seq 1 100); do
	(exec 3<>"/dev/tcp/127.0.0.1/$api_port") 2>/dev/null && break
	sleep 0.05
done
TELEGRAM_API_URL="http://127.0.0.1:$api_port" TELEGRAM_BOT_TOKEN="1:bench" \
	CADREBOT_HTTP_ADDR="127.0.0.1:$http_port" CADREBOT_KEY_PREFIX="$prefix" \
	"$dir/cadrebot" >"$dir/bot.log" 2>&1 &
bot_pid=$!
status=0
wait "$load_pid" || status=$?
[ "$status" -ne 0 ] && tail -20 "$dir/bot.log" >&2
[ -n "${BOT_LOG:-}" ] && cp "$dir/bot.log" "$BOT_LOG"
exit "$status"
