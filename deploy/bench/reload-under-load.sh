#!/usr/bin/env bash
# Issue #12's reliability run: 100 reloads under load at the gRPC port.
#
#   swift build -c release --product gatehouse        # or it falls back to .build/debug/gatehouse
#   deploy/bench/reload-under-load.sh                 # COUNT=100 reloads, one every INTERVAL=0.4 s,
#                                                     # h2load for DURATION=COUNT*INTERVAL+8 s
#   COUNT=20 DURATION=20 RULES=10000 deploy/bench/reload-under-load.sh
#   FRONT=envoy deploy/bench/reload-under-load.sh     # wrk through a real Envoy (ext_authz) instead of h2load
#   COUNT=0 DURATION=300 deploy/bench/reload-under-load.sh   # the same load without reloads (memory control)
#
# A `gatehouse serve` reads a signed .tar.gz bundle with `bundles.requireSignature: true`. While
# h2load sends the same CheckRequest on H2_CLIENTS connections (H2_STREAMS streams each) and a
# probe sends distinct checks in PROBE_THREADS loops recording each decision's policy_revision,
# COUNT reloads alternate a valid bundle (a new revision) with, in turn, one that does not compile,
# an unsigned one, one signed by an unknown key and one whose policy test fails; each is
# published by rename and activated with POST /v1/policy/notify (reload_probe.py drive).
# The verdict (reload_probe.py judge, exit 1 on any violation):
#   * no failed check: h2load's failed/errored count and non-2xx statuses, and no gRPC error in the
#     probe (h2load cannot read grpc-status trailers; the probe does);
#   * every decision on a revision that was activated, and none on an older one once the notify
#     that activated the newer one was answered;
#   * each refusal answered with its code and shown as /v1/status's last_failure.
# It also prints notify → active times and the server's resident memory after the first and the
# last activation (issue #12: within 10 % after 100 reloads of a 10,000-rule bundle; RULES=10000).
# RULES adds generated rules to every bundle (reload_bundle.py), to reload large policy sets.
# Needs: h2load, openssl, and a Python with grpcio, xds-protos, PyJWT and cryptography (PYTHON;
# default the e2e tests' virtualenv, .build/e2e-venv, made by Tests/GatehouseIntegrationTests/Scripts/provision.sh).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
GH="${GATEHOUSE_BIN:-$ROOT/.build/release/gatehouse}"
[[ -x "$GH" ]] || GH="$ROOT/.build/debug/gatehouse"
PY="${PYTHON:-$ROOT/.build/e2e-venv/bin/python3}"
COUNT="${COUNT:-100}" RULES="${RULES:-0}" INTERVAL="${INTERVAL:-0.4}"
DURATION="${DURATION:-$(awk "BEGIN { print int($COUNT * $INTERVAL + 8) }")}"
H2_CLIENTS="${H2_CLIENTS:-4}" H2_STREAMS="${H2_STREAMS:-16}" PROBE_THREADS="${PROBE_THREADS:-2}"
FRONT="${FRONT:-grpc}" WRK_CONNS="${WRK_CONNS:-4}" ENVOY_BIN="${ENVOY_BIN:-$ROOT/.build/e2e-venv/bin/envoy}"
WORK="$(mktemp -d /tmp/gatehouse-reload-XXXXXX)"

log() { printf '[reload %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ -x "$GH" ]] || die "build first: swift build -c release --product gatehouse"
command -v h2load > /dev/null || die "h2load is missing (apt-get install nghttp2-client)"
[[ "$FRONT" != envoy ]] || { command -v wrk > /dev/null && [[ -x "$ENVOY_BIN" ]]; } || die "FRONT=envoy needs wrk and ENVOY_BIN"
"$PY" -c 'import grpc, jwt, cryptography, envoy.service.auth.v3' 2> /dev/null \
    || die "$PY lacks grpcio, xds-protos, PyJWT or cryptography; set PYTHON"

SERVER="" ENVOY=""
cleanup() {
    [[ -n "$SERVER" ]] && kill "$SERVER" 2> /dev/null
    [[ -n "$ENVOY" ]] && kill "$ENVOY" 2> /dev/null
    wait 2> /dev/null || true
}

# Envoy in front: ext_authz over gRPC to Gatehouse, then a direct 200 (no upstream needed). An
# ext_authz failure answers 503, so it cannot pass for the policy's own 403.
write_envoy_config() {
    cat << EOF
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
          route_config:
            virtual_hosts:
            - name: reload
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
    connect_timeout: 1s
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
}
trap cleanup EXIT

cd "$WORK"
log "work directory $WORK, gatehouse $GH"
openssl genpkey -algorithm ed25519 -out signer.pem 2> /dev/null
"$GH" bundle jwks --key signer.pem --kid bench-signer -o bundle-keys.jwks > /dev/null
"$PY" "$HERE/reload_bundle.py" -o current.tar.gz --revision r0 --rules "$RULES" --key signer.pem --kid bench-signer
TOKEN="$(openssl rand -hex 24)"
DIGEST="$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)"
cat > gatehouse.yaml << EOF
policies: $WORK/current.tar.gz
grpc:
  listeners:
    - address: 127.0.0.1:0
bundles:
  requireSignature: true
  keys: $WORK/bundle-keys.jwks
  store: $WORK/store
  watch: false
admin:
  listen: 127.0.0.1:0
  tokens:
    - { name: reload-bench, sha256: $DIGEST, role: admin }
log:
  level: info
EOF
"$GH" serve --config gatehouse.yaml > serve.log 2>&1 &
SERVER=$!
for _ in $(seq 300); do
    grep -q 'gatehouse.admin.address=' serve.log && grep -q 'gatehouse.address=' serve.log && break
    kill -0 "$SERVER" 2> /dev/null || die "gatehouse serve exited: $(tail -5 serve.log)"
    sleep 0.1
done
GRPC_PORT="$(grep -o 'gatehouse.address=127.0.0.1:[0-9]*' serve.log | head -1 | cut -d: -f2)"
ADMIN_PORT="$(grep -o 'gatehouse.admin.address=127.0.0.1:[0-9]*' serve.log | head -1 | cut -d: -f2)"
[[ -n "$GRPC_PORT" && -n "$ADMIN_PORT" ]] || die "no listening ports in serve.log"
log "serving r0 ($RULES generated rules): gRPC 127.0.0.1:$GRPC_PORT, admin 127.0.0.1:$ADMIN_PORT"

"$PY" "$HERE/reload_probe.py" request checkreq.bin
rm -f stop
"$PY" "$HERE/reload_probe.py" probe "127.0.0.1:$GRPC_PORT" probe.json stop --threads "$PROBE_THREADS" &
PROBE=$!
if [[ "$FRONT" == envoy ]]; then
    ENVOY_PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    write_envoy_config > envoy.yaml
    "$ENVOY_BIN" -c envoy.yaml --concurrency 1 --log-level warn > envoy.log 2>&1 &
    ENVOY=$!
    for _ in $(seq 100); do
        [[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: reload.example' "http://127.0.0.1:$ENVOY_PORT/public/probe")" == 200 ]] && break
        sleep 0.2
    done
    wrk -t1 -c"$WRK_CONNS" -d"${DURATION}s" -H 'Host: reload.example' "http://127.0.0.1:$ENVOY_PORT/public/wrk" > wrk.out 2>&1 &
else
    h2load -t1 -c"$H2_CLIENTS" -m"$H2_STREAMS" -D "$DURATION" -d checkreq.bin \
        -H 'content-type: application/grpc' -H 'te: trailers' \
        "http://127.0.0.1:$GRPC_PORT/envoy.service.auth.v3.Authorization/Check" > h2load.out 2>&1 &
fi
H2LOAD=$!
# The server's resident set every second, for the whole run (rss.tsv: seconds, KiB), so that growth
# driven by checks can be told from growth driven by reloads: COUNT=0 is the same load without reloads.
(t=0; while kill -0 "$H2LOAD" 2> /dev/null; do
    printf '%s\t%s\n' "$t" "$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER/status" 2> /dev/null)" >> rss.tsv
    sleep 1; t=$((t + 1))
done) &
sleep 2
log "$COUNT reloads under load"
START=$(date +%s.%N)
DRIVE=0
if ((COUNT > 0)); then
    "$PY" "$HERE/reload_probe.py" drive "http://127.0.0.1:$ADMIN_PORT" "$TOKEN" "$WORK/current.tar.gz" reloads.json \
        --count "$COUNT" --key signer.pem --kid bench-signer --rules "$RULES" --interval "$INTERVAL" \
        --pid "$SERVER" || DRIVE=1
fi
END=$(date +%s.%N)
log "reloads took $(awk "BEGIN { printf \"%.1f\", $END - $START }") s; waiting for the load generator (${DURATION} s in all)"
wait "$H2LOAD" || true
touch stop
wait "$PROBE" || true
echo "--- resident memory (rss.tsv, one sample a second)"
awk 'NR == 11 { a = $2 } { l = $2; if ($2 > m) m = $2 } END { if (a) printf "VmRSS at 10 s %.1f MiB, at the end %.1f MiB (%+.1f %%), max %.1f MiB\n", a / 1024, l / 1024, (l / a - 1) * 100, m / 1024 }' rss.tsv
if ((COUNT == 0)); then log "no reloads (COUNT=0): load and memory only; the run's files are in $WORK"; exit 0; fi

echo "--- probe and reloads"
VERDICT=0
"$PY" "$HERE/reload_probe.py" judge reloads.json probe.json || VERDICT=1
if [[ "$FRONT" == envoy ]]; then
    echo "--- wrk through Envoy (every request must be 200: ext_authz errors are 503 here)"
    grep -E 'requests in|Requests/sec|Non-2xx|Socket errors' wrk.out || cat wrk.out
    REQUESTS="$(awk '/requests in/ { print $1 }' wrk.out)"
    if grep -qE 'Non-2xx|Socket errors' wrk.out || [[ -z "$REQUESTS" ]]; then VERDICT=1; fi
    if ((DRIVE != 0 || VERDICT != 0)); then log "FAILED; everything is in $WORK"; exit 1; fi
    log "passed; the run's files are in $WORK"
    exit 0
fi
echo "--- h2load (gRPC port, the whole run)"
grep -E '^(finished in|requests:|status codes:|traffic:)' h2load.out || cat h2load.out
read -r FAILED ERRORED < <(awk '/^requests:/ { gsub(",", ""); for (i = 1; i <= NF; i++) { if ($(i+1) == "failed") f = $i; if ($(i+1) == "errored") e = $i } } END { print f + 0, e + 0 }' h2load.out)
NON2XX="$(awk '/^status codes:/ { gsub(",", ""); print $5 + $7 + $9 }' h2load.out)"
echo "h2load: failed $FAILED, errored $ERRORED, 3xx/4xx/5xx ${NON2XX:-?}"
if ((FAILED != 0 || ERRORED != 0)) || [[ "${NON2XX:-1}" != 0 ]]; then VERDICT=1; fi
if ((DRIVE != 0 || VERDICT != 0)); then
    log "FAILED; everything is in $WORK"
    exit 1
fi
log "passed; the run's files are in $WORK"
