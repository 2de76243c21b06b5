#!/usr/bin/env bash
# Formatting lint: `swift format lint --strict` with the project's .swift-format over every
# hand-written Swift file under Sources/ and Tests/ (the benchmark package included).
# Generated protobuf code, build folders and manifests are not ours to format.
#
# It runs from .ci/run rather than inside `swift test`, so a toolchain whose swift-format
# changes its rules reads as a lint failure, not as a failing unit test.
# Fix what it reports with `swift format format -i FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
files=()
while IFS= read -r -d '' file; do files+=("$file"); done < <(
    find Sources Tests -name '*.swift' -not -path '*/Generated/*' -not -path '*/.build*' \
        -not -name Package.swift -print0 | sort -z)
echo "swift format lint --strict: ${#files[@]} files"
swift format lint --strict "${files[@]}"
