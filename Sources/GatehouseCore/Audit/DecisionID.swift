/// Decision and record identifiers: 32 lower-case hex digits, time-ordered.
///
/// The first 12 digits are the Unix time in milliseconds and the other 20 are 80 unpredictable
/// bits, the layout of a UUIDv7 without its version digits. Envoy's access log prints the id from
/// the dynamic metadata and the decision log keys records on it, so an auditor can follow one
/// request from Envoy to the decision. Ids made later sort later, so the decision log's id index
/// grows at its end instead of at scattered places: with unordered ids that one index cost more
/// insert time than the table itself (Tests/Benchmarks/README.md, "Decision-log writer").
///
/// Core stays deterministic: the caller supplies the time and the entropy
/// (`SystemRandomNumberGenerator` in the front door and the writer).
package enum DecisionID {
    /// The identifier for `time` with 80 bits of `entropy` (the low 16 bits of `entropy.0` and
    /// all 64 of `entropy.1`).
    package static func make(at time: UnixTime, entropy: (UInt64, UInt64)) -> String {
        let milliseconds = UInt64(bitPattern: time.nanosecondsSinceEpoch / 1_000_000)
        return self.hex(((milliseconds & 0xFFFF_FFFF_FFFF) << 16) | (entropy.0 & 0xFFFF), entropy.1)
    }

    /// 128 bits as 32 lower-case hex digits, `high` first (an id with no time in it).
    package static func hex(_ high: UInt64, _ low: UInt64) -> String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            Self.writeHex(high, into: buffer, at: 0)
            Self.writeHex(low, into: buffer, at: 16)
            return 32
        }
    }

    private static func writeHex(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        let digits: StaticString = "0123456789abcdef"
        digits.withUTF8Buffer { digits in
            for position in 0..<16 {
                buffer[offset + position] = digits[Int((value >> UInt64(60 - 4 * position)) & 0xF)]
            }
        }
    }
}
