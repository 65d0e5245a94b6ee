#!/usr/bin/env bash
# A/B of Rendition's malloc tuning (src/allocator.rs) on one binary.
#
# Run `python3 benches/load/run.py` once first: it fetches the photos, builds
# the binaries and imports the photos into target/loadbench/. Then, from the
# repository root:
#
#   benches/load/malloc_ab.sh [BINARY]   # default target/loadbench/rendition-turbojpeg
#
# Each variant gets a fresh server on the benchmark's catalog and three runs
# at concurrency 2: the 12 photos, the 5120x2880 illustrations, the photos
# again; then its peak and current RSS. "glibc" sets an unrelated glibc
# tunable, which makes Rendition leave malloc alone; "tuned" is the default.
# The variants alternate, twice each.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-target/loadbench/rendition-turbojpeg}
DATA=target/loadbench/data-rendition-turbojpeg
[[ $BIN == */rendition ]] && DATA=target/loadbench/data
LOADGEN=target/release/examples/loadgen
PHOTOS=target/loadbench/photos/bench
for need in "$BIN" "$LOADGEN" "$DATA" "$PHOTOS"; do
  [[ -e $need ]] || { echo "missing $need: run python3 benches/load/run.py first" >&2; exit 2; }
done

summary() { python3 -c 'import json, sys; d = json.load(sys.stdin); print("%6.1f req/s p99 %5.1f ms" % (d["rps"], d["p99_ms"]))'; }

port=$((20000 + RANDOM % 20000))
for variant in glibc tuned glibc tuned; do
  port=$((port + 1))
  if [[ $variant == glibc ]]; then extra=(GLIBC_TUNABLES=glibc.rtld.nns=4); else extra=(); fi
  env "${extra[@]}" RUST_LOG=warn "$BIN" serve --data "$DATA" --listen "127.0.0.1:$port" --no-demo \
    > "target/loadbench/malloc_ab-$variant.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" > /dev/null && break; sleep 0.2; done
  photos=$(mktemp); large=$(mktemp)
  for f in "$PHOTOS"/*.jpg; do
    name=$(basename "$f" .jpg)
    url="http://127.0.0.1:$port/is/image/Bench/$name?wid=512&fmt=jpeg&qlt=80&cache=off"
    if [[ $name == *_5120 ]]; then echo "$url" >> "$large"; else echo "$url" >> "$photos"; fi
  done
  first=$("$LOADGEN" --urls "$photos" --concurrency 2 --duration 8 --warmup 12 | summary)
  big=$("$LOADGEN" --urls "$large" --concurrency 2 --duration 6 --warmup 4 | summary)
  again=$("$LOADGEN" --urls "$photos" --concurrency 2 --duration 8 --warmup 12 | summary)
  hwm=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status")
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status")
  echo "$variant: photos $first | 5120x2880 $big | photos again $again | peak RSS $hwm MB, now $rss MB"
  kill "$pid"; wait "$pid" 2> /dev/null || true
  rm -f "$photos" "$large"
done
