#!/usr/bin/env bash
# ../shared/bench/run.sh with a second custom peer, so that two Gatehouse variants (two settings or
# two binaries) are measured A/B in ONE run: the harness interleaves every scenario round by round
# (ORDER=shuffle), so both variants and the reference peers see the same machine.
#
#   EXTAUTHZ_NAME=gatehouse-lean EXTAUTHZ_CMD='exec /work/main/deploy/bench/serve.sh' \
#   EXTAUTHZ_NAME2=gatehouse-full EXTAUTHZ_CMD2='GATEHOUSE_ENVOY_METADATA=full exec /work/main/deploy/bench/serve.sh' \
#   TOKENS=300 deploy/bench/run-ab.sh noauth extauthz:null extauthz:gatehouse-lean extauthz:gatehouse-full \
#       direct:cpp direct:gatehouse-lean direct:gatehouse-full
#
# Two binaries: GATEHOUSE_BIN=… inside each command (serve.sh reads it), e.g.
# EXTAUTHZ_CMD2='GATEHOUSE_BIN=/tmp/rel-old/.build/release/gatehouse exec …/serve.sh'.
#
# The shared harness is read-only and knows one custom peer (EXTAUTHZ_NAME / EXTAUTHZ_CMD). This
# copies it to a temporary directory, adds one entry for EXTAUTHZ_NAME2 / EXTAUTHZ_CMD2 to its peer
# table (nothing else changes: same probes, same load, same summary) and runs the copy with the
# arguments given. Everything else (knobs, output, results directory) is as in ../shared/bench's
# README. Both variants must pass the full correctness probe (no EXTAUTHZ_PROBE=allow-all here).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BENCH="${BENCH_DIR:-$ROOT/../shared/bench}"
: "${EXTAUTHZ_NAME:?EXTAUTHZ_NAME names the first variant}"
: "${EXTAUTHZ_CMD:?EXTAUTHZ_CMD starts the first variant}"
: "${EXTAUTHZ_NAME2:?EXTAUTHZ_NAME2 names the second variant}"
: "${EXTAUTHZ_CMD2:?EXTAUTHZ_CMD2 starts the second variant}"
case "$EXTAUTHZ_NAME2" in
    "$EXTAUTHZ_NAME" | python | go | cpp | cpp-sync | null)
        echo "EXTAUTHZ_NAME2 '$EXTAUTHZ_NAME2' must differ from EXTAUTHZ_NAME and from the harness's peers" >&2
        exit 2
        ;;
esac
[ -z "${EXTAUTHZ_PROBE:-}" ] || {
    echo "EXTAUTHZ_PROBE is not supported here: both variants get the full correctness probe" >&2
    exit 2
}
copy="$(mktemp -d /tmp/gatehouse-bench-ab.XXXXXX)"
trap 'rm -rf "$copy"' EXIT
cp -r "$BENCH/." "$copy/"
chmod -R u+w "$copy"
# The peer table's entry for the first custom peer, followed by one for the second.
python3 - "$copy/run.sh" << 'PY'
import sys
path = sys.argv[1]
text = open(path).read()
anchor = '    "$EXTAUTHZ_NAME") [[ -n "${EXTAUTHZ_CMD:-}" ]] || return 1; echo "$EXTAUTHZ_CMD" ;;\n'
if text.count(anchor) != 1:
    sys.exit(f"{path}: the peer table's custom entry was not found exactly once; "
             "../shared/bench/run.sh changed, update deploy/bench/run-ab.sh")
second = '    "$EXTAUTHZ_NAME2") echo "$EXTAUTHZ_CMD2" ;;\n'
open(path, "w").write(text.replace(anchor, anchor + second))
PY
bash "$copy/run.sh" "$@"
