#!/usr/bin/env bash
# Regenerates Sources/EnvoyAuthAPI/Generated from Protos/ with Debian's protoc and the code
# generators of the swift-protobuf and grpc-swift-protobuf versions this package depends on.
#
#   apt-get install -y protobuf-compiler
#   Sources/EnvoyAuthAPI/generate.sh
#
# The generated Swift is committed: building it with the SwiftPM plugin would cost every
# clean build (and CI) about ten minutes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="${GATEHOUSE_PROTOC_TOOLS:-$root/.build-protoc-plugins}"

command -v protoc >/dev/null || { echo "protoc not found: apt-get install -y protobuf-compiler" >&2; exit 1; }

# Build the two generators once, in a scratch package pinned to our dependency versions.
if [ ! -x "$tools/.build/debug/protoc-gen-swift" ] || [ ! -x "$tools/.build/debug/protoc-gen-grpc-swift-2" ]; then
    mkdir -p "$tools/Dummy"
    cat > "$tools/Package.swift" <<'SWIFT'
// swift-tools-version:6.2
import PackageDescription
let package = Package(
    name: "protoc-plugins",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "2.4.1"),
    ],
    targets: [.target(name: "Dummy", path: "Dummy")]
)
SWIFT
    echo "enum Dummy {}" > "$tools/Dummy/Dummy.swift"
    (cd "$tools" && swift build --product protoc-gen-swift && swift build --product protoc-gen-grpc-swift-2)
fi

out="$here/Generated"
rm -rf "$out"
mkdir -p "$out"
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
