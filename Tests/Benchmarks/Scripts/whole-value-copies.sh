#!/usr/bin/env bash
# Lists the functions of a target whose optimized SIL copies and destroys a whole struct: two loads
# of one stack slot, one of them retained and the other released. Swift 6.3 leaves that pattern at
# the end of an initializer that assigns its stored properties one by one (`self.x = x`): the
# finished value is copied into the return slot and the original destroyed, every string, array
# and class reference in it retained and released once more (issue #15: three of them were a fifth
# of a decision's instructions, see the Benchmarks README). The fix is to delegate to the
# memberwise initializer, which the optimizer builds in one step.
#
#   Tests/Benchmarks/Scripts/whole-value-copies.sh                 # GatehouseCore (about 30 s)
#   Tests/Benchmarks/Scripts/whole-value-copies.sh GatehouseCore 'Decision|AuthzRequest'
#
# Only a target that imports nothing outside the toolchain can be compiled this way (Core can);
# for the others, look for calls of outlined copies (`…VWOc`) in `objdump -d` of a release build.
# A listed function is a lead, not a verdict: a copy that the value's later use needs is listed too.
set -euo pipefail
cd "$(dirname "$0")/../../.."
target="${1:-GatehouseCore}" filter="${2:-.}"
sil="$(mktemp -t "$target-XXXXXX.sil")"
trap 'rm -f "$sil"' EXIT
swiftc -O -wmo -parse-as-library -module-name "$target" -package-name gatehouse -swift-version 6 \
    -enable-upcoming-feature ExistentialAny -enable-upcoming-feature InternalImportsByDefault \
    -enable-upcoming-feature MemberImportVisibility $(find "Sources/$target" -name '*.swift') \
    -emit-sil -o "$sil" 2> >(grep -v warning >&2 || true)
awk '
    /^sil / {
        name = ""; if (match($0, /@\$[A-Za-z0-9_]+/)) name = substr($0, RSTART + 1, RLENGTH - 1)
        delete loads; delete count; next
    }
    match($0, /^ *%[0-9]+ = load %[0-9]+ /) {
        split($0, part, " "); value = part[1]; slot = part[4]; loads[slot] = loads[slot] " " value " "; count[slot]++
        next
    }
    /^ *release_value %[0-9]+/ {
        split($0, part, " "); value = part[2]
        for (slot in loads) if (count[slot] >= 2 && index(loads[slot], " " value " ")) { print name; break }
    }
' "$sil" | sort -u | swift demangle --compact | grep -E "$filter" || echo "none found"
