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
exec "$binary" serve --policies "$policies" --listen "$listen" --log-level "${GATEHOUSE_LOG_LEVEL:-warning}"
