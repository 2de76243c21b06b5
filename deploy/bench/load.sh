#!/usr/bin/env bash
# Load test: the built Gatehouse (decision cache on and off) beside Envoy's own filters and the
# reference peers of ../shared/bench, measured in one run, with realistic token traffic.
#
#   swift build -c release --product gatehouse
#   deploy/bench/load.sh                          # TOKENS=300: 300 distinct tokens, repeated at random
#   TOKENS=one deploy/bench/load.sh               # the shared bench's traffic: one token on every request
#   TOKENS=unique deploy/bench/load.sh            # every request a token never seen before (all misses)
#   ROUNDS=3 DURATION=10 deploy/bench/load.sh noauth extauthz:gatehouse extauthz:null   # a subset
#
# It mirrors ../shared/bench/run.sh and uses its fixtures (keys, Envoy and nginx configs, the
# prebuilt C++ peers: run ../shared/bench/setup.sh once) and its helpers (correctness probe,
# CPU accounting, per-run records, the summary tables). What it adds:
#   * peers `gatehouse` (deploy/bench/serve.sh: cache on, direct transport), `gatehouse-nocache`
#     (GATEHOUSE_CACHE=off), and
#     `gatehouse-1loop`/`gatehouse-2loops` (event-loop threads), so they appear in one run beside
#     `null` and `cpp`;
#   * TOKENS=one|unique|N: wrk sends tokens from a file (tokens.lua), minted by mint_tokens.py.
#     Every e2e scenario gets the same traffic; `direct:` scenarios (h2load) always repeat the
#     shared bench's one CheckRequest, i.e. they measure cache hits for Gatehouse.
# Results: $BENCH_WORK/results/gatehouse-<timestamp>/ (results.tsv, summary.md, raw output).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
export BENCH_WORK="${BENCH_WORK:-/tmp/bench-work}"
WORK="$BENCH_WORK"
VENV="${BENCH_VENV:-/tmp/bench-venv}"
PY="$VENV/bin/python"
ENVOY="${ENVOY_BIN:-$VENV/bin/envoy}"
TOKENS="${TOKENS:-300}"
ROUNDS="${ROUNDS:-2}" DURATION="${DURATION:-10}" WARMUP="${WARMUP:-2}"
WRK_THREADS="${WRK_THREADS:-1}" WRK_CONNS="${WRK_CONNS:-8}"
H2_CLIENTS="${H2_CLIENTS:-4}" H2_STREAMS="${H2_STREAMS:-32}"
ENVOY_CONCURRENCY="${ENVOY_CONCURRENCY:-2}"
export BENCH_UPSTREAM_PORT="${BENCH_UPSTREAM_PORT:-19080}" BENCH_ENVOY_PORT="${BENCH_ENVOY_PORT:-19000}"
export BENCH_ADMIN_PORT="${BENCH_ADMIN_PORT:-19001}" BENCH_EXTAUTHZ_PORT="${BENCH_EXTAUTHZ_PORT:-19191}"
export BENCH_ISSUER="${BENCH_ISSUER:-https://issuer.bench.local}" BENCH_AUDIENCE="${BENCH_AUDIENCE:-bench-api}"
export BENCH_PUBKEY_PEM="$WORK/keys/public.pem" BENCH_JWKS="$WORK/keys/jwks.json"
URL_PATH="/api/items/42"

log() { printf '[load %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

SCENARIOS=("$@")
if ((${#SCENARIOS[@]} == 0)); then
    SCENARIOS=(noauth jwt jwt-cached extauthz:null extauthz:cpp extauthz:gatehouse extauthz:gatehouse-nocache
        direct:cpp direct:gatehouse direct:gatehouse-nocache)
fi
[[ " ${SCENARIOS[*]} " == *" noauth "* ]] || SCENARIOS=(noauth "${SCENARIOS[@]}")

peer_cmd() {
    case "$1" in
    cpp) echo "exec '$WORK/bin/extauthz-cpp'" ;;
    null) echo "BENCH_CPP_NULL=1 exec '$WORK/bin/extauthz-cpp'" ;;
    gatehouse) echo "exec '$HERE/serve.sh'" ;;
    gatehouse-nocache) echo "GATEHOUSE_CACHE=off exec '$HERE/serve.sh'" ;;
    gatehouse-1loop) echo "GATEHOUSE_EVENT_LOOP_THREADS=1 exec '$HERE/serve.sh'" ;;
    gatehouse-2loops) echo "GATEHOUSE_EVENT_LOOP_THREADS=2 exec '$HERE/serve.sh'" ;;
    *) return 1 ;;
    esac
}
for s in "${SCENARIOS[@]}"; do
    case "$s" in
    noauth | jwt | jwt-cached) ;;
    extauthz:* | direct:*) peer_cmd "${s#*:}" > /dev/null || die "unknown peer in '$s' (cpp|null|gatehouse|gatehouse-nocache|gatehouse-1loop|gatehouse-2loops)" ;;
    *) die "unknown scenario '$s'" ;;
    esac
done

[[ -x "$ENVOY" && -x "$PY" && -x "$WORK/bin/extauthz-cpp" ]] || die "run $BENCH/setup.sh first"
[[ -x "${GATEHOUSE_BIN:-$ROOT/.build/release/gatehouse}" ]] || die "build first: swift build -c release --product gatehouse"
command -v wrk > /dev/null && command -v h2load > /dev/null && command -v nginx > /dev/null || die "missing wrk/h2load/nginx: run $BENCH/setup.sh"
"$BENCH/gen.sh" >&2 || die "fixture generation failed"

# The traffic: a token file and the order wrk takes tokens from it.
case "$TOKENS" in
one) TOKEN_FILE="$WORK/token.valid" ORDER=sequential ;;
unique) TOKEN_FILE="$WORK/tokens-unique-100000.txt" ORDER=sequential COUNT=100000 ;;
*[!0-9]* | '') die "TOKENS must be one, unique or a number" ;;
*) TOKEN_FILE="$WORK/tokens-$TOKENS.txt" ORDER=random COUNT="$TOKENS" ;;
esac
if [[ -n "${COUNT:-}" ]]; then
    log "minting $COUNT tokens into $TOKEN_FILE (kept for the next run)"
    "$PY" "$HERE/mint_tokens.py" "$COUNT" "$TOKEN_FILE" || die "minting tokens failed"
fi

STARTED=()
start_bg() { # start_bg NAME LOGFILE 'command' -> BG_PID (also its process group)
    setsid bash -c "$3" > "$2" 2>&1 < /dev/null &
    BG_PID=$!
    STARTED+=("$BG_PID")
}
stop_bg() {
    local pid="$1" i
    [[ -z "$pid" ]] && return 0
    kill -TERM -- "-$pid" 2> /dev/null
    for i in $(seq 50); do kill -0 -- "-$pid" 2> /dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    return 0
}
cleanup() { local p; for p in "${STARTED[@]}"; do stop_bg "$p"; done; }
trap cleanup EXIT
trap 'log interrupted; exit 130' INT TERM
wait_http() { local i; for i in $(seq $(($2 * 10))); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
expect_status() { # expect_status WANT TOKENFILE|- [body-substring]
    local want="$1" header=() out code
    [[ "$2" != - ]] && header=(-H "Authorization: Bearer $(cat "$WORK/token.$2")")
    out="$(curl -s -w '\n%{http_code}' "${header[@]}" "http://127.0.0.1:$BENCH_ENVOY_PORT$URL_PATH")"
    code="${out##*$'\n'}"
    [[ "$code" == "$want" && ( -z "${3:-}" || "$out" == *"$3"* ) ]] && return 0
    log "sanity: token=$2 got HTTP $code (want $want): ${out%$'\n'*}"
    return 1
}

RES="$WORK/results/gatehouse-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RES/raw" "$WORK/logs" "$WORK/nginx-tmp"
TSV="$RES/results.tsv"
"$PY" "$BENCH/lib/record.py" --header > "$TSV"
{
    echo "date: $(date -Is)"; echo "nproc: $(nproc)"; grep -m1 'model name' /proc/cpuinfo
    echo "gatehouse: $(git -C "$ROOT" rev-parse --short HEAD)"
    echo "envoy: $("$ENVOY" --version 2> /dev/null | grep -o 'version: .*')"
    echo "traffic: TOKENS=$TOKENS ($ORDER from $TOKEN_FILE)"
    echo "settings: ROUNDS=$ROUNDS DURATION=$DURATION WARMUP=$WARMUP WRK_THREADS=$WRK_THREADS WRK_CONNS=$WRK_CONNS H2_CLIENTS=$H2_CLIENTS H2_STREAMS=$H2_STREAMS ENVOY_CONCURRENCY=$ENVOY_CONCURRENCY"
    echo "scenarios: ${SCENARIOS[*]}"
} > "$RES/machine.txt"
cat "$RES/machine.txt" >&2

start_bg nginx "$WORK/logs/nginx.out" "exec nginx -p '$WORK' -c '$WORK/nginx.conf'"
NGINX_PID=$BG_PID
wait_http "http://127.0.0.1:$BENCH_UPSTREAM_PORT/" 10 || die "nginx did not come up"

run_one() { # run_one ROUND SCENARIO
    local round="$1" sc="$2" kind=e2e config="" peer="" tag="${2//:/-}" peer_pid="" envoy_pid="" ok=1
    case "$sc" in
    noauth | jwt | jwt-cached) config="$WORK/envoy-$sc.yaml" ;;
    extauthz:*) peer="${sc#*:}" config="$WORK/envoy-extauthz.yaml" ;;
    direct:*) peer="${sc#*:}" kind=direct ;;
    esac
    log "round $round: $sc"
    if [[ -n "$peer" ]]; then
        start_bg "$peer" "$WORK/logs/peer-$tag.log" \
            "export BENCH_LISTEN='127.0.0.1:$BENCH_EXTAUTHZ_PORT'; $(peer_cmd "$peer")"
        peer_pid=$BG_PID
        local probe=()
        [[ "$peer" == null ]] && probe=(--allow-all)
        "$PY" "$BENCH/lib/check_client.py" "127.0.0.1:$BENCH_EXTAUTHZ_PORT" --wait 20 "${probe[@]}" \
            > "$RES/raw/r$round-$tag.check" 2>&1 || { log "$peer failed its correctness probe"; ok=0; }
    fi
    if ((ok)) && [[ -n "$config" ]]; then
        start_bg envoy "$WORK/logs/envoy-$tag.log" \
            "exec '$ENVOY' -c '$config' --concurrency $ENVOY_CONCURRENCY --disable-hot-restart --log-level warn"
        envoy_pid=$BG_PID
        if ! wait_http "http://127.0.0.1:$BENCH_ADMIN_PORT/ready" 20 || ! wait_http "http://127.0.0.1:$BENCH_ENVOY_PORT/" 5; then
            log "envoy did not become ready"; ok=0
        elif [[ "$sc" == noauth || "$sc" == *:null ]]; then
            expect_status 200 valid || ok=0
        else
            expect_status 200 valid "sub=user-123" && expect_status 403 writer && expect_status 401 expired \
                && expect_status 401 - || ok=0
        fi
    fi
    if ((ok)); then
        local out="$RES/raw/r$round-$tag.out" h2log="$RES/raw/r$round-$tag.h2log" t0 t1 s0 s1 row
        local -a cmd
        if [[ $kind == e2e ]]; then
            cmd=(wrk -t"$WRK_THREADS" -c"$WRK_CONNS" --latency -s "$HERE/tokens.lua"
                "http://127.0.0.1:$BENCH_ENVOY_PORT$URL_PATH")
            "${cmd[@]}" -d"${WARMUP}s" -- "$TOKEN_FILE" "$ORDER" > /dev/null 2>&1
            s0="$("$PY" "$BENCH/lib/cpu.py" snapshot "$envoy_pid" "$peer_pid" "$NGINX_PID")" t0=$(date +%s.%N)
            { TIMEFORMAT='%U %S'; time "${cmd[@]}" -d"${DURATION}s" -- "$TOKEN_FILE" "$ORDER" > "$out" 2>&1; } 2> "$out.cpu"
        else
            cmd=(h2load -t1 -c"$H2_CLIENTS" -m"$H2_STREAMS" -d "$WORK/checkreq.bin"
                -H 'content-type: application/grpc' -H 'te: trailers'
                "http://127.0.0.1:$BENCH_EXTAUTHZ_PORT/envoy.service.auth.v3.Authorization/Check")
            "${cmd[@]}" -D "$WARMUP" > /dev/null 2>&1
            s0="$("$PY" "$BENCH/lib/cpu.py" snapshot "$envoy_pid" "$peer_pid" "$NGINX_PID")" t0=$(date +%s.%N)
            { TIMEFORMAT='%U %S'; time "${cmd[@]}" -D "$DURATION" --log-file="$h2log" > "$out" 2>&1; } 2> "$out.cpu"
        fi
        t1=$(date +%s.%N)
        s1="$("$PY" "$BENCH/lib/cpu.py" snapshot "$envoy_pid" "$peer_pid" "$NGINX_PID")"
        if row="$("$PY" "$BENCH/lib/record.py" --round "$round" --scenario "$sc" --kind "$kind" \
            --tool "$([[ $kind == e2e ]] && echo wrk || echo h2load)" --out "$out" --log "$h2log" \
            --snap0 "$s0" --snap1 "$s1" --wall "$("$PY" -c "print($t1-$t0)")" --loadgen_cpu "$out.cpu" \
            --envoy_pgid "$envoy_pid" --peer_pgid "$peer_pid" --nginx_pgid "$NGINX_PID" 2>&1)"; then
            echo "$row" >> "$TSV"
            log "  -> $(echo "$row" | awk -F'\t' '{printf "%s req/s  p50 %s ms  p99 %s ms  errors %s", $4, $5, $6, $8}')"
        else
            log "  could not parse $out: $row"
        fi
        rm -f "$h2log"
    else
        log "  skipped $sc in round $round"
    fi
    stop_bg "$envoy_pid"
    stop_bg "$peer_pid"
    sleep 1
}

for round in $(seq "$ROUNDS"); do
    mapfile -t ORDERED < <("$PY" -c 'import random,sys; s=sys.argv[2:]; random.Random(int(sys.argv[1])).shuffle(s); print("\n".join(s))' "$round" "${SCENARIOS[@]}")
    log "round $round order: ${ORDERED[*]}"
    for sc in "${ORDERED[@]}"; do run_one "$round" "$sc"; done
done
{
    echo "Traffic: TOKENS=$TOKENS ($ORDER from $(basename "$TOKEN_FILE"))."
    echo
    "$PY" "$BENCH/lib/summarize.py" "$TSV"
} | tee "$RES/summary.md"
echo
echo "raw results: $RES"
