#!/usr/bin/env bash
# Issue #12's reliability run: 100 reloads under load at the gRPC port.
#
#   swift build -c release --product gatehouse        # or it falls back to .build/debug/gatehouse
#   deploy/bench/reload-under-load.sh                 # COUNT=100 reloads, one every INTERVAL=0.4 s,
#                                                     # h2load for DURATION=COUNT*INTERVAL+8 s
#   COUNT=20 DURATION=20 RULES=10000 deploy/bench/reload-under-load.sh
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
WORK="$(mktemp -d /tmp/gatehouse-reload-XXXXXX)"

log() { printf '[reload %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ -x "$GH" ]] || die "build first: swift build -c release --product gatehouse"
command -v h2load > /dev/null || die "h2load is missing (apt-get install nghttp2-client)"
"$PY" -c 'import grpc, jwt, cryptography, envoy.service.auth.v3' 2> /dev/null \
    || die "$PY lacks grpcio, xds-protos, PyJWT or cryptography; set PYTHON"

SERVER=""
cleanup() { [[ -n "$SERVER" ]] && kill "$SERVER" 2> /dev/null; wait 2> /dev/null || true; }
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
h2load -t1 -c"$H2_CLIENTS" -m"$H2_STREAMS" -D "$DURATION" -d checkreq.bin \
    -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$GRPC_PORT/envoy.service.auth.v3.Authorization/Check" > h2load.out 2>&1 &
H2LOAD=$!
sleep 2
log "$COUNT reloads under load"
START=$(date +%s.%N)
DRIVE=0
"$PY" "$HERE/reload_probe.py" drive "http://127.0.0.1:$ADMIN_PORT" "$TOKEN" "$WORK/current.tar.gz" reloads.json \
    --count "$COUNT" --key signer.pem --kid bench-signer --rules "$RULES" --interval "$INTERVAL" || DRIVE=1
END=$(date +%s.%N)
log "reloads took $(awk "BEGIN { printf \"%.1f\", $END - $START }") s; waiting for h2load (${DURATION} s in all)"
wait "$H2LOAD" || true
touch stop
wait "$PROBE" || true

echo "--- h2load (gRPC port, the whole run)"
grep -E '^(finished in|requests:|status codes:|traffic:)' h2load.out || cat h2load.out
echo "--- probe and reloads"
VERDICT=0
"$PY" "$HERE/reload_probe.py" judge reloads.json probe.json || VERDICT=1
read -r FAILED ERRORED < <(awk '/^requests:/ { gsub(",", ""); for (i = 1; i <= NF; i++) { if ($(i+1) == "failed") f = $i; if ($(i+1) == "errored") e = $i } } END { print f + 0, e + 0 }' h2load.out)
NON2XX="$(awk '/^status codes:/ { gsub(",", ""); print $5 + $7 + $9 }' h2load.out)"
echo "h2load: failed $FAILED, errored $ERRORED, 3xx/4xx/5xx ${NON2XX:-?}"
if ((FAILED != 0 || ERRORED != 0)) || [[ "${NON2XX:-1}" != 0 ]]; then VERDICT=1; fi
if ((DRIVE != 0 || VERDICT != 0)); then
    log "FAILED; everything is in $WORK"
    exit 1
fi
log "passed; the run's files are in $WORK"
