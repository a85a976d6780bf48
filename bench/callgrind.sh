#!/bin/sh
# callgrind.sh BINARY [CACHE_DIR]: instruction counts (valgrind's callgrind,
# stable on a shared machine) of offline JSON audits of 10 pins, 1,000 pins and
# transformers' uv.lock, with the inclusive count of openIndexFile (the index open; callgrind's
# attribution across goroutine switches makes that column vary between runs,
# the totals much less).
# Needs PYVET_CORPUS and a database built with
#   pyvet --cache-dir CACHE_DIR db update --from "$PYVET_CORPUS"/advisories/*.zip --no-popularity
set -eu
bin=${1:?usage: callgrind.sh BINARY [CACHE_DIR]}
cache=${2:-${PYVET_CACHE_DIR:-}}
: "${PYVET_CORPUS:?set PYVET_CORPUS}"
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
zip=$(ls "$PYVET_CORPUS"/advisories/*.zip)
(cd "$here/.." && go run ./bench/genreqs -db "$zip" -n 10 >"$tmp/pins10.txt" && go run ./bench/genreqs -db "$zip" -n 1000 >"$tmp/pins1000.txt")
lock="$PYVET_CORPUS/lockfiles/uv/test/ecosystem/transformers/uv.lock"
for in in "$tmp/pins10.txt" "$tmp/pins1000.txt" "$lock"; do
	out="$tmp/cg.out"
	# Go's asynchronous preemption signals trip callgrind's signal handling.
	GODEBUG=asyncpreemptoff=1 valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --cache-dir "$cache" audit --offline --no-deps -f json "$in" >/dev/null 2>"$tmp/vg.err" || true
	total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
	open=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null | awk '/openIndexFile/ {gsub(",", "", $1); print $1; exit}')
	[ -n "$total" ] || { echo "callgrind failed on $in:" >&2; tail -5 "$tmp/vg.err" >&2; exit 1; }
	printf '%-40s total %15s Ir   openIndexFile %15s Ir\n' "$(basename "$in")" "$total" "${open:-0}"
done
