#!/usr/bin/env bash
# CPU per check and where it goes: the built Gatehouse (deploy/bench/serve.sh, the bench policy,
# the decision log and metrics on as in every bench serve) answering a fixed number of checks
# straight at its gRPC listener, counted from after a warm-up (issue #15's before/after measure
# for work on the check path).
#
#   GATEHOUSE_BIN=/tmp/rel/.build/release/gatehouse deploy/bench/profile-check.sh           # cached
#   MODE=unique COUNT=5000 GATEHOUSE_BIN=… deploy/bench/profile-check.sh                    # every token new
#   TOOL=perf GATEHOUSE_BIN=… deploy/bench/profile-check.sh                                 # and perf's profile
#
# MODE=cached (default): h2load sends ../shared/bench's one CheckRequest COUNT times (default
# 100000; 4 connections × 32 streams, as the bench's direct: scenario), all cache hits after
# warm-up. MODE=unique: check_load.py sends COUNT (default 5000) requests, 8 in flight, each with
# a token never sent before (minted by mint_tokens.py): every check a miss (RS256 verification,
# evaluation, insertion). Prints Gatehouse's CPU time (user + system, every thread: event loops,
# decision-log writer, metrics; from /proc) divided by COUNT. TOOL=perf also records
# `perf record -g` (software clock; this VM has no hardware counters) over the same checks and
# keeps perf's reports in $OUT (default /tmp/gatehouse-profile-<mode>-<time>).
# valgrind's callgrind would give repeatable instruction counts, but valgrind 3.19 dies with an
# internal SIGSEGV as `gatehouse serve` starts (with or without debug info), so CPU time it is:
# repeat a measurement and say the load average beside it.
# Needs ../shared/bench/setup.sh run once (fixtures in $BENCH_WORK, the venv, h2load).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bench="${BENCH_DIR:-$root/../shared/bench}"
export BENCH_WORK="${BENCH_WORK:-/tmp/bench-work}"
python="${BENCH_VENV:-/tmp/bench-venv}/bin/python"
mode="${MODE:-cached}" tool="${TOOL:-cpu}"
case "$mode" in cached) count="${COUNT:-100000}" ;; unique) count="${COUNT:-5000}" ;; *)
    echo "MODE must be cached or unique" >&2
    exit 2
    ;;
esac
port="${PORT:-29391}"
binary="${GATEHOUSE_BIN:-$root/.build/release/gatehouse}"
out="${OUT:-/tmp/gatehouse-profile-$mode-$(date +%H%M%S)}"
mkdir -p "$out"
[ -x "$binary" ] || { echo "no Gatehouse at $binary: swift build -c release --product gatehouse" >&2; exit 1; }
[ -f "$BENCH_WORK/checkreq.bin" ] || "$bench/gen.sh" > /dev/null
if [ "$mode" = unique ]; then
    tokens="$BENCH_WORK/tokens-profile-$count.txt"
    "$python" "$here/mint_tokens.py" "$count" "$tokens" > /dev/null
fi

case "$tool" in cpu | perf) ;; *)
    echo "TOOL must be cpu or perf" >&2
    exit 2
    ;;
esac
# Its own admin port and decision log, so that it runs beside other Gatehouses on the machine.
setsid env GATEHOUSE_BIN="$binary" BENCH_LISTEN="127.0.0.1:$port" BENCH_JWKS="$BENCH_WORK/keys/jwks.json" \
    GATEHOUSE_ADMIN_LISTEN="127.0.0.1:$((port + 1))" GATEHOUSE_AUDIT_STORE="$out/decisions.db" \
    GATEHOUSE_AUDIT_KEY="$out/audit-key.pem" GATEHOUSE_LOG_LEVEL=error "$here/serve.sh" > "$out/serve.log" 2>&1 &
server=$!
trap 'kill -TERM "$server" 2> /dev/null; wait "$server" 2> /dev/null || true' EXIT
for _ in $(seq 600); do
    "$python" "$here/check_load.py" "127.0.0.1:$port" 1 > /dev/null 2>&1 && break
    kill -0 "$server" 2> /dev/null || { echo "Gatehouse exited: see $out/serve.log" >&2; exit 1; }
    sleep 0.5
done
"$python" "$here/check_load.py" "127.0.0.1:$port" 200 > /dev/null
h2load=(h2load -c4 -m32 -t1 -d "$BENCH_WORK/checkreq.bin" -H 'content-type: application/grpc' -H 'te: trailers'
    "http://127.0.0.1:$port/envoy.service.auth.v3.Authorization/Check")
"${h2load[@]}" -n 2000 > /dev/null
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }
send() {
    if [ "$mode" = cached ]; then
        "${h2load[@]}" -n "$count" | grep -E '^requests:'
    else
        "$python" "$here/check_load.py" "127.0.0.1:$port" "$count" "$tokens"
    fi
}
if [ "$tool" = perf ]; then
    perf record -g -F 999 -o "$out/perf.data" -p "$server" > "$out/perf-record.log" 2>&1 &
    recorder=$!
    sleep 1
fi
before="$(cpu_ticks)"
send
after="$(cpu_ticks)"
hz="$(getconf CLK_TCK)"
echo "mode=$mode count=$count cpu-us-per-check=$(echo "($after - $before) * 1000000 / $hz / $count" | bc -l | cut -c1-6) load=$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$tool" = perf ]; then
    kill -INT "$recorder"
    wait "$recorder" || true
    perf report -i "$out/perf.data" --no-children --percent-limit 0.5 --stdio -g none > "$out/perf-self.txt" 2> /dev/null
    perf report -i "$out/perf.data" --children --percent-limit 2 --stdio -g none > "$out/perf-inclusive.txt" 2> /dev/null
    echo "perf: $out/perf-self.txt $out/perf-inclusive.txt"
fi
