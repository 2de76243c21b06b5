#!/usr/bin/env bash
# Issue #13's logging cost: cached checks with the decision log on against the same checks with
# it off, through Envoy (../shared/bench's extauthz scenario, wrk) and direct (h2load at Check),
# interleaved on/off in every round so that both see the same machine.
#
#   swift build -c release --product gatehouse
#   TOKENS=300 ROUNDS=3 deploy/bench/audit-cost.sh
#
# Each round runs ../shared/bench/run.sh twice with ROUNDS=1 (its own noauth reference, then
# extauthz and direct), once as peer `gatehouse-log-on` (the default decision log: SQLite in a
# fresh temporary directory, gap policy) and once as `gatehouse-log-off` (GATEHOUSE_AUDIT=off),
# alternating which goes first. The summary (audit_cost.py) prints per scenario the medians of
# req/s, p99 and Gatehouse's CPU µs per request for both, and what logging costs: the req/s and
# p99 ratios (targets: ≤ 5 % of throughput through Envoy, ≤ 10 % direct, ≤ 10 % on p99) and the
# records written against the checks answered (from each run's decision log).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
ROUNDS="${ROUNDS:-3}"
export GATEHOUSE_BIN="${GATEHOUSE_BIN:-$ROOT/.build/release/gatehouse}"
export GATEHOUSE_ADMIN_LISTEN="${GATEHOUSE_ADMIN_LISTEN:-off}"
WORK="$(mktemp -d /tmp/gatehouse-audit-cost.XXXXXX)"
SCENARIOS="${SCENARIOS:-noauth extauthz:PEER direct:PEER}"
echo "results: $WORK" >&2

# Waits until nothing listens on the bench's ports: run.sh refuses to start on a busy port, and the
# previous run's Gatehouse may still be draining its decision log after run.sh stopped it.
wait_ports_free() {
    local port
    for port in "${BENCH_UPSTREAM_PORT:-19080}" "${BENCH_ENVOY_PORT:-19000}" "${BENCH_ADMIN_PORT:-19001}" \
        "${BENCH_EXTAUTHZ_PORT:-19191}"; do
        for _ in $(seq 1 120); do
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
            sleep 0.5
        done
    done
}

run_one() { # $1 = on|off, $2 = round
    local mode="$1" round="$2" name="gatehouse-log-$1" store="$WORK/store-$1-$2"
    mkdir -p "$store"
    wait_ports_free
    local scenarios="${SCENARIOS//PEER/$name}"
    # shellcheck disable=SC2086
    GATEHOUSE_AUDIT="$mode" GATEHOUSE_AUDIT_STORE="$store/decisions.db" GATEHOUSE_AUDIT_KEY="$store/audit.key" \
        ROUNDS=1 EXTAUTHZ_NAME="$name" EXTAUTHZ_CMD="exec $HERE/serve.sh" \
        bash "$BENCH/run.sh" $scenarios > "$WORK/run-$mode-$round.log" 2>&1 || true
    local results
    results="$(grep -o 'raw results: .*' "$WORK/run-$mode-$round.log" | tail -1 | cut -d' ' -f3 || true)"
    [ -n "$results" ] && [ -f "$results/results.tsv" ] || { echo "round $round ($mode): run.sh failed, see $WORK/run-$mode-$round.log" >&2; return; }
    awk -v r="$round" -v m="$mode" 'NR > 1 { $1 = r; print m "\t" $0 }' OFS='\t' "$results/results.tsv" >> "$WORK/results.tsv"
    if [ "$mode" = on ]; then
        # Decision records written and records lost to a full queue (the gap records' counts).
        python3 - "$store/decisions.db" "$round" >> "$WORK/records.tsv" <<'PY' || true
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
written = db.execute("SELECT count(*) FROM records WHERE json_extract(body, '$.kind') = 'decision'").fetchone()[0]
lost = db.execute("SELECT coalesce(sum(json_extract(body, '$.count')), 0) FROM records WHERE json_extract(body, '$.kind') = 'gap'").fetchone()[0]
print(f"{sys.argv[2]}\t{written}\t{lost}")
PY
    fi
    rm -rf "$store"
}

for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="on off"; else order="off on"; fi
    for mode in $order; do
        echo "round $round: decision log $mode" >&2
        run_one "$mode" "$round"
    done
done
python3 "$HERE/audit_cost.py" "$WORK/results.tsv" "$WORK/records.tsv" | tee "$WORK/summary.md"
