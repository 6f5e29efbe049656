#!/usr/bin/env bash
# Content page versus a static file of the same size, served by the same
# server in one run, with wrk (Debian's package). Prints requests/s for each
# and the ratio. Usage: bash tests/bench/pages.sh [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-10}; conns=${2:-64}; page=${PAGE:-/en/what-is-an-imha}
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/imha" ./server
cp -r static "$work/static"
port=$((20000 + RANDOM % 10000))
PORT=$port DATA_DIR=$work/data STATIC_DIR=$work/static "$work/imha" serve 2>"$work/log" & pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
# The static twin has the same number of bytes as the page's body.
size=$(curl -fs "http://127.0.0.1:$port$page" | wc -c)
head -c "$size" /dev/zero | tr '\0' 'x' > "$work/static/bench.html"
echo "page $page: $size bytes; static twin /static/bench.html: $(wc -c < "$work/static/bench.html") bytes"
echo "wrk: 2 threads, $conns connections, ${secs}s each, on $(nproc) cores"
rate() { wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port$1" | tee "$work/wrk.out" >&2; awk '/Requests\/sec/ {print $2}' "$work/wrk.out"; }
curl -fs "http://127.0.0.1:$port/static/bench.html" >/dev/null
static_rps=$(rate /static/bench.html)
page_rps=$(rate "$page")
echo
printf 'static file:  %10.0f requests/s\n' "$static_rps"
printf 'content page: %10.0f requests/s\n' "$page_rps"
awk -v p="$page_rps" -v s="$static_rps" 'BEGIN { printf "content page / static file: %.0f%% (target at least 80%%)\n", 100*p/s }'
