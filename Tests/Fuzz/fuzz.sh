#!/usr/bin/env bash
# Fuzzes the direct transport's CheckRequest reader against swift-protobuf (issue #15) with
# libFuzzer and the address sanitizer, for SECONDS (default 300), from a corpus seeded with the
# bench's CheckRequest and a few Envoy-shaped requests.
#
#   Tests/Fuzz/fuzz.sh 600
#
# The first build instruments the whole dependency graph (~15-25 min here); later ones are
# incremental. Crashes are written to $OUT (default /tmp/gatehouse-fuzz) as crash-* files; replay
# one with `$binary $OUT/crash-…`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-300}"
out="${OUT:-/tmp/gatehouse-fuzz}"
scratch="${SCRATCH:-$here/.build-fuzz}"
mkdir -p "$out/corpus"
swift build -c release --package-path "$here" --scratch-path "$scratch" --product CheckRequestFuzz \
    -Xswiftc -sanitize=fuzzer,address
binary="$scratch/release/CheckRequestFuzz"
# Seeds: the bench's request (gRPC framing removed) when ../shared/bench has generated it.
request="${BENCH_WORK:-/tmp/bench-work}/checkreq.bin"
if [ -f "$request" ]; then
    tail -c +6 "$request" > "$out/corpus/bench-request"
fi
printf '\x0a\x00' > "$out/corpus/empty-attributes"
cd "$out"
"$binary" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "$out/corpus"
