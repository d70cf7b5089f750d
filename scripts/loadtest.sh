#!/usr/bin/env bash
# Load test of `suanli web` on loopback: 64 connections on POST /v1/infer for 10 s with wrk
# (Debian's `wrk` package), failing on any socket error or non-2xx answer.
# Usage: scripts/loadtest.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
conns="${2:-64}"
command -v wrk >/dev/null || { echo "needs wrk: apt-get install wrk" >&2; exit 2; }

cargo build --release --quiet -p suanli-cli
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
./target/release/suanli web --addr 127.0.0.1:0 2>"$work/server.log" &
pid=$!
for _ in $(seq 50); do grep -q listening "$work/server.log" && break; sleep 0.1; done
addr="$(grep -o 'http://[0-9.:]*' "$work/server.log" | head -1)"
[ -n "$addr" ] || { echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"llama-2-70b","gpu":"h100-sxm","tp":8,"input":512,"output":256}'
LUA

curl -sf -X POST -H 'content-type: application/json' --data "$(sed -n "s/^wrk.body = '\(.*\)'$/\1/p" "$work/post.lua")" "$addr/v1/infer" >/dev/null
wrk -t 2 -c "$conns" -d "${secs}s" --latency -s "$work/post.lua" "$addr/v1/infer" | tee "$work/wrk.txt"
if grep -qE 'Non-2xx|Socket errors' "$work/wrk.txt"; then
  echo "FAIL: errors under load" >&2
  exit 1
fi
echo "OK: $(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt") requests/s, p99 $(awk '$1 == "99%" {print $2}' "$work/wrk.txt"), zero errors"
