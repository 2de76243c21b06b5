#!/usr/bin/env bash
# Issue #15's "also measure": how throughput and CPU per check grow with connections and token
# pools, for Gatehouse, the `null` peer and the C++ JWT peer through Envoy, by
# ../shared/bench/run.sh (not a copy of it): one run.sh invocation per (token pool, connections)
# cell with ROUNDS=1, the scenarios noauth extauthz:null extauthz:cpp extauthz:gatehouse.
#
#   swift build -c release --product gatehouse        # in a copy of your own, see Tests/Benchmarks/README.md
#   GATEHOUSE_BIN=/tmp/rel/.build/release/gatehouse deploy/bench/matrix.sh
#   CONNS="1 8" POOLS="300 unique" DURATION=5 deploy/bench/matrix.sh      # a smaller grid
#   deploy/bench/plot_matrix.py /tmp/gatehouse-matrix-…/matrix.tsv out.png
#
# CONNS (default "1 8 32 128") are wrk's connections to Envoy (one wrk thread up to 8, two
# above); POOLS (default "1 300 10000 unique") are run.sh's TOKENS. Gatehouse is
# deploy/bench/serve.sh with its admin API on its own port, and its cache counters scraped from
# /metrics (GATEHOUSE_BENCH_METRICS_OUT) give the hit ratio of each cell (from the start of the
# process, warm-up and correctness probe included). Output: $OUT/matrix.tsv (default
# /tmp/gatehouse-matrix-<time>): one row per scenario and cell (pool, conns, scenario, req/s,
# p50, p99, Envoy and authz CPU µs per request, other load %, and for Gatehouse hits, misses,
# hit ratio), plus each run.sh log and results directory.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
export GATEHOUSE_BIN="${GATEHOUSE_BIN:-$ROOT/.build/release/gatehouse}"
CONNS="${CONNS:-1 8 32 128}"
POOLS="${POOLS:-1 300 10000 unique}"
OUT="${OUT:-/tmp/gatehouse-matrix-$(date +%Y%m%d-%H%M%S)}"
ADMIN_PORT="${GATEHOUSE_MATRIX_ADMIN_PORT:-19181}"
mkdir -p "$OUT"
[ -x "$GATEHOUSE_BIN" ] || { echo "no Gatehouse at $GATEHOUSE_BIN: swift build -c release --product gatehouse" >&2; exit 1; }
TSV="$OUT/matrix.tsv"
printf 'pool\tconns\tscenario\trps\tp50_ms\tp99_ms\terrors\tenvoy_us_req\tauthz_us_req\tforeign_pct\thits\tmisses\thit_ratio\n' > "$TSV"
echo "matrix: $OUT" >&2

for pool in $POOLS; do
    for conns in $CONNS; do
        cell="tokens-$pool-conns-$conns"
        store="$OUT/$cell-store"
        mkdir -p "$store"
        metrics="$OUT/$cell.metrics"
        threads=$((conns > 8 ? 2 : 1))
        echo "matrix: TOKENS=$pool WRK_CONNS=$conns" >&2
        TOKENS="$pool" WRK_CONNS="$conns" WRK_THREADS="$threads" ROUNDS=1 DURATION="${DURATION:-8}" \
            GATEHOUSE_ADMIN_LISTEN="127.0.0.1:$ADMIN_PORT" GATEHOUSE_BENCH_METRICS_OUT="$metrics" \
            GATEHOUSE_AUDIT_STORE="$store/decisions.db" GATEHOUSE_AUDIT_KEY="$store/audit-key.pem" \
            EXTAUTHZ_NAME=gatehouse EXTAUTHZ_CMD="exec $HERE/serve.sh" \
            bash "$BENCH/run.sh" noauth extauthz:null extauthz:cpp extauthz:gatehouse > "$OUT/$cell.log" 2>&1 || true
        results="$(grep -o 'raw results: .*' "$OUT/$cell.log" | tail -1 | cut -d' ' -f3 || true)"
        if [ -z "$results" ] || [ ! -f "$results/results.tsv" ]; then
            echo "matrix: $cell produced no results (see $OUT/$cell.log)" >&2
            continue
        fi
        cp "$results/results.tsv" "$OUT/$cell.results.tsv"
        hits="$(awk '/^gatehouse_cache_hits_total/ {print $2}' "$metrics" 2> /dev/null || true)"
        misses="$(awk '/^gatehouse_cache_misses_total/ {print $2}' "$metrics" 2> /dev/null || true)"
        # run.sh's columns: round scenario kind rps p50_ms p99_ms requests errors envoy_us_req
        # peer_us_req nginx_us_req loadgen_us_req foreign_pct wall_s.
        awk -F'\t' -v pool="$pool" -v conns="$conns" -v hits="${hits:--}" -v misses="${misses:--}" '
            NR > 1 {
                h = "-"; m = "-"; r = "-"
                if ($2 == "extauthz:gatehouse" && hits != "-" && misses != "-") {
                    h = hits; m = misses; r = (hits + misses > 0) ? sprintf("%.3f", hits / (hits + misses)) : "-"
                }
                printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", pool, conns, $2, $4, $5, $6, $8, $9, $10, $13, h, m, r
            }' "$results/results.tsv" >> "$TSV"
    done
done
column -t -s$'\t' "$TSV"
echo "matrix: $TSV" >&2
