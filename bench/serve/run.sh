#!/usr/bin/env bash
# Load test of `pyvet serve`: serves the corpus advisory snapshot on
# 127.0.0.1 and runs wrk for DURATION (default 20s) with single queries and
# with 1,000-package batches. Needs wrk (apt-get install -y wrk).
#
#   PYVET_CORPUS=../shared/corpus bench/serve/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

CORPUS=${PYVET_CORPUS:?set PYVET_CORPUS to the corpus directory}
DB=$(ls "$CORPUS"/advisories/*.zip | head -1)
DURATION=${DURATION:-20s}
THREADS=${THREADS:-4}
CONNS=${CONNS:-32}
BATCH_CONNS=${BATCH_CONNS:-8}
PORT=${PORT:-18080}
ANSWER_CACHE=${ANSWER_CACHE:-33554432} # bytes; 0: every query is matched against the database
OUT=bench/serve/out
mkdir -p "$OUT"

command -v wrk >/dev/null || { echo "wrk not installed (apt-get install -y wrk)"; exit 1; }
go build -o "$OUT/pyvet" ./cmd/pyvet
go run ./bench/serve/gen -db "$DB" -o "$OUT/queries.jsonl"

"$OUT/pyvet" serve --db "$DB" --listen "127.0.0.1:$PORT" --refresh 0 --answer-cache-bytes "$ANSWER_CACHE" --cache-dir "$OUT/cache" 2>"$OUT/serve.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$PORT/healthz"; echo

export QUERIES="$OUT/queries.jsonl"
echo "== single queries: wrk -t$THREADS -c$CONNS -d$DURATION"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency --timeout 10s -s bench/serve/query.lua "http://127.0.0.1:$PORT" | tee "$OUT/query.txt"
echo "== 1,000-package batches: wrk -t$THREADS -c$BATCH_CONNS -d$DURATION"
wrk -t"$THREADS" -c"$BATCH_CONNS" -d"$DURATION" --latency --timeout 10s -s bench/serve/batch.lua "http://127.0.0.1:$PORT" | tee "$OUT/batch.txt"
curl -fs "http://127.0.0.1:$PORT/metrics" | grep -E '^pyvet_serve_requests_total' || true
