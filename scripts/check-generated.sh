#!/usr/bin/env bash
# Checks that the committed Sources/EnvoyAuthAPI/Generated is what Protos/ generates: it
# regenerates into a temporary folder with Sources/EnvoyAuthAPI/generate.sh (the generator
# versions Package.resolved pins) and diffs. Exit 1 on any difference.
#
# Without protoc it prints a "skipped" line and exits 0, so it can run everywhere; the first
# run with protoc builds the two generator plugins (minutes), later runs reuse them.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v protoc >/dev/null; then
    echo "check-generated: skipped: protoc not installed (apt-get install -y protobuf-compiler)"
    exit 0
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
Sources/EnvoyAuthAPI/generate.sh "$scratch/Generated" >/dev/null
if ! diff -ru Sources/EnvoyAuthAPI/Generated "$scratch/Generated"; then
    echo "check-generated: Sources/EnvoyAuthAPI/Generated differs from what Protos/ generates;" \
        "run Sources/EnvoyAuthAPI/generate.sh and commit the result" >&2
    exit 1
fi
echo "check-generated: Sources/EnvoyAuthAPI/Generated matches Protos/"
