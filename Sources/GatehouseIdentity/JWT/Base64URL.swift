/// The strict unpadded base64url alphabet of RFC 7515 §2 (RFC 4648 §5 without `=`).
///
/// JWS requires exactly this encoding, so anything else is rejected rather than repaired: padding,
/// the `+`/`/` alphabet, whitespace, a length that leaves a single dangling character, and
/// non-canonical trailing bits (two encodings of the same bytes would let a tampered token
/// keep its signature).
package enum Base64URL {
    /// The decoded bytes, or `nil` when `text` is not canonical unpadded base64url.
    package static func decode(_ text: some Collection<UInt8>) -> [UInt8]? {
        let count = text.count
        guard count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text {
            let value = Self.table[Int(byte)]
            guard value != Self.invalid else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        // Leftover bits (2 or 4) must be zero, else a second spelling of the same bytes exists.
        guard accumulator == 0 else { return nil }
        return output
    }

    /// `bytes` as unpadded base64url text.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            accumulator = accumulator << 8 | UInt32(byte)
            bits += 8
            while bits >= 6 {
                bits -= 6
                output.append(Self.alphabet[Int((accumulator >> UInt32(bits)) & 0x3F)])
            }
            accumulator &= (1 << UInt32(bits)) - 1
        }
        if bits > 0 { output.append(Self.alphabet[Int((accumulator << UInt32(6 - bits)) & 0x3F)]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Whether `byte` is one of the 64 characters of the base64url alphabet.
    static func isAlphabet(_ byte: UInt8) -> Bool { Self.table[Int(byte)] != Self.invalid }

    private static let invalid: UInt8 = 0xFF

    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Byte → 6-bit value, ``invalid`` for every byte outside the alphabet.
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: Self.invalid, count: 256)
        for (index, byte) in Self.alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()
}
