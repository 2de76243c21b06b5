#!/usr/bin/env bash
# Regenerates Sources/EnvoyAuthAPI/Generated from Protos/ with Debian's protoc and the code
# generators of exactly the swift-protobuf and grpc-swift-protobuf versions this package
# resolves (read from Package.resolved, so generator and runtime library never drift apart).
#
#   apt-get install -y protobuf-compiler
#   Sources/EnvoyAuthAPI/generate.sh [OUTPUT_DIR]     # default: Sources/EnvoyAuthAPI/Generated
#
# scripts/check-generated.sh uses OUTPUT_DIR to regenerate into a temporary folder and diff.
# The generated Swift is committed: building it with the SwiftPM plugin would cost every
# clean build (and CI) about ten minutes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="${GATEHOUSE_PROTOC_TOOLS:-$root/.build-protoc-plugins}"
out="${1:-$here/Generated}"

command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }

# Package.resolved is not committed; resolving writes it (from the cache when one exists).
[ -f "$root/Package.resolved" ] || (cd "$root" && swift package resolve >/dev/null)

# The version Package.resolved pins for a package identity.
resolved_version() {
    awk -v id="\"$1\"," '$1 == "\"identity\"" { found = ($3 == id) }
        found && $1 == "\"version\"" { gsub(/"/, "", $3); print $3; exit }' "$root/Package.resolved"
}
protobuf_version="$(resolved_version swift-protobuf)"
grpc_protobuf_version="$(resolved_version grpc-swift-protobuf)"
[ -n "$protobuf_version" ] && [ -n "$grpc_protobuf_version" ] || {
    echo "Package.resolved pins no version of swift-protobuf or grpc-swift-protobuf" >&2
    exit 1
}

# Build the two generators in a scratch package pinned to those versions; rebuild only when
# the pins change.
manifest="// swift-tools-version:6.2
import PackageDescription
let package = Package(
    name: \"protoc-plugins\",
    dependencies: [
        .package(url: \"https://github.com/apple/swift-protobuf\", exact: \"$protobuf_version\"),
        .package(url: \"https://github.com/grpc/grpc-swift-protobuf\", exact: \"$grpc_protobuf_version\"),
    ],
    targets: [.target(name: \"Dummy\", path: \"Dummy\")]
)"
if [ "$(cat "$tools/Package.swift" 2>/dev/null)" != "$manifest" ] \
    || [ ! -x "$tools/.build/debug/protoc-gen-swift" ] || [ ! -x "$tools/.build/debug/protoc-gen-grpc-swift-2" ]; then
    echo "building protoc-gen-swift $protobuf_version and protoc-gen-grpc-swift-2 $grpc_protobuf_version in $tools" >&2
    mkdir -p "$tools/Dummy"
    printf '%s\n' "$manifest" > "$tools/Package.swift"
    echo "enum Dummy {}" > "$tools/Dummy/Dummy.swift"
    (cd "$tools" && swift build --product protoc-gen-swift && swift build --product protoc-gen-grpc-swift-2) >&2
fi

rm -rf "$out"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
cd "$here/Protos"
protoc -I . \
    --plugin=protoc-gen-swift="$tools/.build/debug/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$tools/.build/debug/protoc-gen-grpc-swift-2" \
    --swift_out="$out" --swift_opt=Visibility=Package,FileNaming=PathToUnderscores,UseAccessLevelOnImports=true \
    --grpc-swift-2_out="$out" --grpc-swift-2_opt=Visibility=Package,Client=true,Server=true,FileNaming=PathToUnderscores,UseAccessLevelOnImports=true \
    $(find . -name '*.proto' | sort)
# Message-only files get an empty .grpc.swift; keep only those that define a service.
for file in "$out"/*.grpc.swift; do grep -q "ServiceDescriptor" "$file" || rm "$file"; done
echo "generated $(ls "$out" | wc -l) files in $out"
