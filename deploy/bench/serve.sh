#!/usr/bin/env bash
# Starts the built Gatehouse for ../shared/bench, listening on $BENCH_LISTEN
# (127.0.0.1:PORT or unix:PATH):
#
#   swift build -c release --product gatehouse
#   EXTAUTHZ_CMD='exec deploy/bench/serve.sh' EXTAUTHZ_NAME=gatehouse EXTAUTHZ_PROBE=allow-all \
#     ../shared/bench/run.sh noauth extauthz:null extauthz:gatehouse uds:gatehouse direct:gatehouse direct:cpp
#
# With EXTAUTHZ_PROBE=allow-all the allow-all variant of the policy is served (see its header).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
binary="${GATEHOUSE_BIN:-$root/.build/release/gatehouse}"
policies="$here/policies"
[ "${EXTAUTHZ_PROBE:-}" = "allow-all" ] && policies="$here/allow-all"
listen="${BENCH_LISTEN:-127.0.0.1:9191}"
exec "$binary" serve --policies "$policies" --listen "$listen" --log-level "${GATEHOUSE_LOG_LEVEL:-warning}"
