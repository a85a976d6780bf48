#!/usr/bin/env bash
# Side-by-side run of `pyvet audit` and osv-scanner's offline mode on the same
# advisory snapshot and the same inputs: a small real requirements file and a
# generated 1,000-pin requirements file. Prints both results, every difference
# with its reason (read from the advisories), wall time, the ratio, and peak
# memory when /usr/bin/time is available.
#
# usage: bench/compare-osv-scanner.sh [ADVISORY_ZIP [SMALL_REQUIREMENTS]]
#   ADVISORY_ZIP        default: $PYVET_CORPUS/advisories/*.zip (PYVET_CORPUS defaults to ../shared/corpus)
#   SMALL_REQUIREMENTS  default: $PYVET_CORPUS/lockfiles/real/sigstore-python.install-requirements.txt
# environment:
#   OSV_SCANNER          an osv-scanner binary to use instead of installing one
#   OSV_SCANNER_VERSION  version to `go install` (default v2.5.1, the newest that builds with Go 1.26)
#   PINS                 size of the generated file (default 1000)
#   KEEP=1               keep the work directory
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${PYVET_CORPUS:-$root/../shared/corpus}
zip=${1:-$(ls "$corpus"/advisories/*.zip | head -n1)}
small=${2:-$corpus/lockfiles/real/sigstore-python.install-requirements.txt}
pins=${PINS:-1000}
version=${OSV_SCANNER_VERSION:-v2.5.1}
work=$(mktemp -d "${TMPDIR:-/tmp}/pyvet-bench.XXXXXX")
if [[ -z "${KEEP:-}" ]]; then trap 'rm -rf "$work"' EXIT; else echo "work directory: $work"; fi
zip=$(cd "$(dirname "$zip")" && pwd)/$(basename "$zip")

echo "== setup"
echo "advisory snapshot: $zip"
osv=${OSV_SCANNER:-}
if [[ -z "$osv" ]]; then
	echo "installing osv-scanner $version from the Go module proxy..."
	GOBIN="$work/bin" go install "github.com/google/osv-scanner/v2/cmd/osv-scanner@$version"
	osv=$work/bin/osv-scanner
fi
"$osv" --version 2>/dev/null | head -n1 || true
(cd "$root" && go build -o "$work/pyvet" ./cmd/pyvet)
(cd "$root" && go run ./bench/genreqs -db "$zip" -n "$pins") > "$work/requirements-$pins.txt"
echo "generated $work/requirements-$pins.txt ($(grep -c '==' "$work/requirements-$pins.txt") pins)"

# osv-scanner reads DIR/osv-scalibr/PyPI/all.zip (v2.3 and later) or DIR/osv-scanner/PyPI/all.zip.
mkdir -p "$work/osvdb/osv-scalibr/PyPI" "$work/osvdb/osv-scanner/PyPI"
ln -s "$zip" "$work/osvdb/osv-scalibr/PyPI/all.zip"
ln -s "$zip" "$work/osvdb/osv-scanner/PyPI/all.zip"
# pyvet's cached database, as `pyvet db update` leaves it (not timed, like osv-scanner's download).
"$work/pyvet" --cache-dir "$work/cache" db update --from "$zip"

# timed NAME OUT ERR CMD...: runs CMD, stdout to OUT, stderr to ERR; sets wall (s) and rss (MB).
timed() {
	local name=$1 out=$2 err=$3
	shift 3
	if [[ -x /usr/bin/time ]]; then
		/usr/bin/time -v -o "$work/$name.time" "$@" >"$out" 2>"$err" || true
		local e
		e=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/$name.time")
		wall=$(awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }' <<<"$e")
		rss=$(awk '/Maximum resident set size/ { printf "%.0f", $6/1024 }' "$work/$name.time")
	else
		local t0 t1
		t0=$(date +%s.%N)
		"$@" >"$out" 2>"$err" || true
		t1=$(date +%s.%N)
		wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b-a }')
		rss="?"
	fi
}

run_pair() {
	local label=$1 file=$2
	echo
	echo "== $label: $file"
	timed "pyvet-$label" "$work/pyvet-$label.json" "$work/pyvet-$label.err" \
		"$work/pyvet" --cache-dir "$work/cache" --offline -q audit -r "$file" -f json
	local pw=$wall pr=$rss
	timed "pyvet-cold-$label" /dev/null "$work/pyvet-cold-$label.err" \
		"$work/pyvet" --cache-dir "$work/cold-$label" --offline -q audit -r "$file" -f json --db "$zip"
	local cw=$wall cr=$rss
	timed "osv-$label" "$work/osv-$label.json" "$work/osv-$label.err" env OSV_SCANNER_LOCAL_DB_CACHE_DIRECTORY="$work/osvdb" \
		"$osv" scan source --offline --format json -L "requirements.txt:$file"
	local ow=$wall or=$rss
	if ! grep -qiE 'load|local' "$work/osv-$label.err"; then
		echo "WARNING: osv-scanner's stderr does not say it loaded the local database; its result may be empty for that reason:"
	fi
	echo "osv-scanner stderr:"
	sed 's/^/    /' "$work/osv-$label.err" | head -n 8
	if [[ -s "$work/pyvet-$label.err" ]]; then
		echo "pyvet stderr:"
		sed 's/^/    /' "$work/pyvet-$label.err" | head -n 8
	fi
	(cd "$root" && go run ./bench/osvdiff -pyvet "$work/pyvet-$label.json" -osv "$work/osv-$label.json" -db "$zip" -requirements "$file") | sed 's/^/  /'
	echo "  wall time: pyvet ${pw}s (peak ${pr} MB), osv-scanner ${ow}s (peak ${or} MB)"
	echo "  pyvet with --db ZIP and an empty cache (parses the zip, builds and caches the index): ${cw}s (peak ${cr} MB)"
	awk -v p="$pw" -v o="$ow" 'BEGIN { if (p > 0) printf "  ratio: osv-scanner / pyvet = %.1fx\n", o/p }'
}

run_pair small "$small"
run_pair "pins$pins" "$work/requirements-$pins.txt"
