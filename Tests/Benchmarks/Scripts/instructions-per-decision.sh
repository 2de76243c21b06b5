#!/usr/bin/env bash
# Instructions per decision, counted by callgrind (for machines without hardware performance
# counters, where package-benchmark's `instructions` metric is empty).
#
# usage: Scripts/instructions-per-decision.sh RULES RULES-PER-POLICY allow|deny
# e.g.   Scripts/instructions-per-decision.sh 100000 100 allow
#
# Runs DecisionLoop under callgrind with 2,000 and 12,000 decisions and prints the difference
# divided by 10,000, so that generating and compiling the policies cancel out.
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:?RULES}; per_policy=${2:?RULES-PER-POLICY}; scenario=${3:?allow or deny}
swift build -c release --product DecisionLoop >/dev/null
binary=$(swift build -c release --show-bin-path)/DecisionLoop
# valgrind 3.19 cannot read the DWARF that Swift 6.3 writes; the symbol table is enough.
stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
strip --strip-debug -o "$stripped" "$binary"
count() {
    # Deterministic hashing, so that both runs probe their dictionaries alike.
    SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$stripped" "$rules" "$per_policy" "$scenario" "$1" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
few=$(count 2000)
many=$(count 12000)
echo "$rules rules, $per_policy per policy, $scenario: $(( (many - few) / 10000 )) instructions per decision"
