#!/usr/bin/env bash
# Notification → new revision active, for large bundles (issue #12: 10,000 rules under 1 s,
# 100,000 under 5 s).
#
#   swift build -c release --product gatehouse        # or it falls back to .build/debug/gatehouse
#   deploy/bench/reload-activation.sh                 # SIZES="1000 10000 100000", REPEAT=3
#
# A `gatehouse serve` starts on a small signed bundle (signatures required). For each size,
# reload_bundle.py writes a signed .tar.gz with that many generated rules (Tests/Benchmarks'
# PolicySet rule kinds, 100 rules a policy file) and a new revision, renames it over the served
# file, and POST /v1/policy/notify is timed from the request to the answer, which comes once
# the revision is active (fetch, verify, parse, compile, identity, tests, swap). Each size is
# activated REPEAT times, alternating two revisions; the table gives the notify round trip and
# the server's own activation duration (/v1/status active.duration_seconds), min and median.
# Needs: openssl and a Python with PyJWT and cryptography (PYTHON; default .build/e2e-venv).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
GH="${GATEHOUSE_BIN:-$ROOT/.build/release/gatehouse}"
[[ -x "$GH" ]] || GH="$ROOT/.build/debug/gatehouse"
PY="${PYTHON:-$ROOT/.build/e2e-venv/bin/python3}"
SIZES="${SIZES:-1000 10000 100000}" REPEAT="${REPEAT:-3}"
WORK="$(mktemp -d /tmp/gatehouse-activation-XXXXXX)"

log() { printf '[activation %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
"$PY" -c 'import jwt, cryptography' 2> /dev/null || die "$PY lacks PyJWT or cryptography; set PYTHON"
SERVER=""
cleanup() { [[ -n "$SERVER" ]] && kill "$SERVER" 2> /dev/null; wait 2> /dev/null || true; }
trap cleanup EXIT

cd "$WORK"
log "work directory $WORK, gatehouse $GH"
openssl genpkey -algorithm ed25519 -out signer.pem 2> /dev/null
"$GH" bundle jwks --key signer.pem --kid bench-signer -o bundle-keys.jwks > /dev/null
"$PY" "$HERE/reload_bundle.py" -o current.tar.gz --revision start --key signer.pem --kid bench-signer
TOKEN="$(openssl rand -hex 24)"
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
  maxBundleBytes: 268435456
  tokens:
    - { name: activation-bench, sha256: $(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1), role: admin }
log:
  level: info
EOF
"$GH" serve --config gatehouse.yaml > serve.log 2>&1 &
SERVER=$!
for _ in $(seq 300); do
    grep -q 'gatehouse.admin.address=' serve.log && break
    kill -0 "$SERVER" 2> /dev/null || die "gatehouse serve exited: $(tail -5 serve.log)"
    sleep 0.1
done
ADMIN="http://127.0.0.1:$(grep -o 'gatehouse.admin.address=127.0.0.1:[0-9]*' serve.log | head -1 | cut -d: -f2)"

printf '%-8s %-10s %-22s %-22s %s\n' rules bundle "notify→active min/med" "server activation min/med" outcome
for size in $SIZES; do
    for variant in a b; do
        "$PY" "$HERE/reload_bundle.py" -o "bundle-$size-$variant.tar.gz" --revision "rules-$size-$variant" \
            --rules "$size" --key signer.pem --kid bench-signer
    done
    rounds=() durations=() outcome=ok
    for round in $(seq "$REPEAT"); do
        variant=$([[ $((round % 2)) == 1 ]] && echo a || echo b)
        cp "bundle-$size-$variant.tar.gz" next.tar.gz && mv next.tar.gz current.tar.gz
        start=$(date +%s.%N)
        answer="$(curl -s -X POST -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{}' \
            "$ADMIN/v1/policy/notify")"
        end=$(date +%s.%N)
        [[ "$answer" == *'"activated"'* ]] || { outcome="refused: $(echo "$answer" | tr -d '\n' | cut -c1-200)"; break; }
        rounds+=("$(awk "BEGIN { print $end - $start }")")
        durations+=("$(curl -s -H "Authorization: Bearer $TOKEN" "$ADMIN/v1/status" \
            | "$PY" -c 'import json, sys; print(json.load(sys.stdin)["active"]["duration_seconds"])')")
    done
    stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%.3f / %.3f s", v[1], v[int((NR + 1) / 2)]; else printf "-" }'; }
    printf '%-8s %-10s %-22s %-22s %s\n' "$size" "$(du -h "bundle-$size-a.tar.gz" | cut -f1)" \
        "$(stats "${rounds[@]}")" "$(stats "${durations[@]}")" "$outcome"
done
log "done; files in $WORK"
