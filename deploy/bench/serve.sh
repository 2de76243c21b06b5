#!/usr/bin/env bash
# Starts the built Gatehouse for ../shared/bench, listening on $BENCH_LISTEN
# (127.0.0.1:PORT or unix:PATH):
#
#   swift build -c release --product gatehouse
#   EXTAUTHZ_CMD='exec deploy/bench/serve.sh' EXTAUTHZ_NAME=gatehouse \
#     ../shared/bench/run.sh noauth extauthz:null extauthz:gatehouse uds:gatehouse direct:gatehouse direct:cpp
#
# The bench policy verifies the bench's RS256 tokens against $BENCH_JWKS (copied in beside the
# policy). With EXTAUTHZ_PROBE=allow-all the allow-all variant is served instead (see its header).
# With GATEHOUSE_BENCH_TLS=mtls it adds an mTLS listener (see envoy-mtls.sh for the Envoy side).
# With GATEHOUSE_BENCH_METRICS_OUT=FILE it appends the cache counters to FILE when stopped (below).
# With BENCH_MODE=http (the harness's httpauthz:NAME scenarios) it serves Envoy's ext_authz HTTP
# mode on $BENCH_LISTEN instead of gRPC:
#
#   EXTAUTHZ_CMD='exec deploy/bench/serve.sh' EXTAUTHZ_NAME=gatehouse \
#     ../shared/bench/run.sh noauth httpauthz:null httpauthz:gatehouse extauthz:gatehouse
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
binary="${GATEHOUSE_BIN:-$root/.build/release/gatehouse}"
if [ "${EXTAUTHZ_PROBE:-}" = "allow-all" ]; then
    policies="$here/allow-all"
else
    : "${BENCH_JWKS:?BENCH_JWKS must name the bench JWKS file (../shared/bench/run.sh exports it)}"
    policies="$(mktemp -d /tmp/gatehouse-bench-policies.XXXXXX)"
    cp "$here/policies/"*.yaml "$policies/"
    mkdir -p "$policies/keys"
    cp "$BENCH_JWKS" "$policies/keys/bench.jwks.json"
fi
listen="${BENCH_LISTEN:-127.0.0.1:9191}"
if [ -n "${GATEHOUSE_BENCH_RELOAD_EVERY:-}" ] && [ "${EXTAUTHZ_PROBE:-}" != "allow-all" ]; then
    # Reload while measuring (issue #12: p99 while reloading every second): every N seconds a
    # comment in the watched policy directory changes, so the watcher activates a new revision
    # (a new content revision, hence a new cache generation: the cost includes the cache
    # starting empty again). The loop ends with this process group when the harness stops it.
    (
        n=0
        while sleep "$GATEHOUSE_BENCH_RELOAD_EVERY"; do
            n=$((n + 1))
            for file in "$policies"/*.yaml; do
                sed -i '/^# bench reload /d' "$file"
                echo "# bench reload $n" >> "$file"
                break
            done
        done
    ) &
fi
args=(serve --policies "$policies" --log-level "${GATEHOUSE_LOG_LEVEL:-warning}")
config=""
if [ "${GATEHOUSE_BENCH_TLS:-}" = "mtls" ]; then
    # Also an mTLS listener, which deploy/bench/envoy-mtls.sh points the bench's Envoy at: Envoy's
    # dev certificate verified against certs-dev/ca.pem in the handshake and pinned. The
    # plaintext listener stays for the harness's own correctness probe, which speaks plaintext.
    certs="$root/certs-dev"
    tls_port="${GATEHOUSE_BENCH_TLS_PORT:-19443}"
    config="$(mktemp /tmp/gatehouse-bench-mtls.XXXXXX.yaml)"
    cat > "$config" <<YAML
grpc:
  listeners:
    - address: $listen
    - address: 127.0.0.1:$tls_port
      tls:
        certificate: $certs/gatehouse.pem
        key: $certs/gatehouse-dev-key.pem
        clientCA: $certs/ca.pem
        trustDomain: gov.example
        allowedClients:
          spiffeIds: [spiffe://gov.example/envoy/front]
YAML
    # Tells envoy-mtls.sh which port, while this process (exec keeps the PID) lives.
    echo "$$ $tls_port" > "${BENCH_WORK:-/tmp/bench-work}/gatehouse-mtls"
elif [ "${BENCH_MODE:-}" = "http" ]; then
    # The bench's httpauthz:gatehouse scenario: Envoy's ext_authz in HTTP mode (http_service, no
    # path_prefix) calls $BENCH_LISTEN over HTTP/1.1. The gRPC listener, which serve requires,
    # moves to a Unix socket of its own so that nothing else takes the bench's port.
    grpc_socket="$(mktemp -u /tmp/gatehouse-bench-grpc.XXXXXX.sock)"
    args+=(--listen "unix:$grpc_socket" --http-listen "$listen")
else
    args+=(--listen "$listen")
fi
if [ -z "${GATEHOUSE_BENCH_METRICS_OUT:-}" ]; then
    [ -z "$config" ] || args+=(--config "$config")
    exec "$binary" "${args[@]}"
fi
# GATEHOUSE_BENCH_METRICS_OUT=FILE (deploy/bench/matrix.sh): every 2 s, Gatehouse's cache
# counters from the admin API's /metrics replace FILE's content, so that after the harness stops
# this process group FILE holds the run's cache hits and misses as of at most 2 s before the end.
# (The harness signals the whole group at once, so there is no scraping after the stop; one
# scrape costs Gatehouse well under a millisecond.) Needs GATEHOUSE_ADMIN_LISTEN=HOST:PORT; the
# metrics role's token is the bench's own.
: "${GATEHOUSE_ADMIN_LISTEN:?GATEHOUSE_BENCH_METRICS_OUT needs GATEHOUSE_ADMIN_LISTEN=HOST:PORT}"
metrics_token=bench-metrics-token
[ -n "$config" ] || config="$(mktemp /tmp/gatehouse-bench-metrics.XXXXXX.yaml)"
cat >> "$config" <<YAML
admin:
  tokens:
    - {name: bench, sha256: $(printf %s "$metrics_token" | sha256sum | cut -d' ' -f1), role: metrics}
YAML
(
    while sleep 2; do
        scraped="$(curl -s --max-time 1 -H "authorization: Bearer $metrics_token" \
            "http://$GATEHOUSE_ADMIN_LISTEN/metrics" | grep -E '^gatehouse_cache_(hits|misses|coalesced)_total')" &&
            printf '%s\n' "$scraped" > "$GATEHOUSE_BENCH_METRICS_OUT.tmp" &&
            mv "$GATEHOUSE_BENCH_METRICS_OUT.tmp" "$GATEHOUSE_BENCH_METRICS_OUT"
    done
) &
exec "$binary" "${args[@]}" --config "$config"
