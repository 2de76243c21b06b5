#!/usr/bin/env bash
# Issue #13's clean-shutdown run: SIGTERM to `gatehouse serve` under load through a real Envoy,
# then every decision id Envoy logged as answered by Gatehouse must be a record in the store
# (`gatehouse audit query --format jsonl`), `gatehouse audit verify` must exit 0, and serve must
# exit 0. RUNS (default 5) cycles on one store, each SIGTERM after MIN_LOAD..MAX_LOAD seconds.
#
#   swift build -c release --product gatehouse
#   deploy/bench/audit-shutdown.sh                 # exit 1 if any answered decision is not stored
#   RUNS=1 MIN_LOAD=5 MAX_LOAD=5 deploy/bench/audit-shutdown.sh
#
# It is audit-kill.sh with SIGNAL=TERM: the same load, Envoy, counting and TSV (see there).
set -euo pipefail
export SIGNAL=TERM RUNS="${RUNS:-5}"
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/audit-kill.sh"
