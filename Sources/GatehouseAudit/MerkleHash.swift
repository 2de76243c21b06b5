import Crypto
import Foundation

/// A SHA-256 value in the log's Merkle tree: a leaf hash, an interior node or a root.
///
/// Thirty-two bytes held inline (no allocation), so that appending and verifying millions of
/// leaves costs only the hashing.
package struct MerkleHash: Hashable, Sendable, CustomStringConvertible {
    // The 32 bytes in order, as four words of raw memory (not numbers: never byte-swapped).
    private var word0: UInt64 = 0
    private var word1: UInt64 = 0
    private var word2: UInt64 = 0
    private var word3: UInt64 = 0

    /// The number of bytes.
    package static let byteCount = 32

    /// The hash whose bytes are `bytes`; `nil` unless there are exactly 32.
    package init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.withUnsafeMutableBytes { target in
            for (offset, byte) in bytes.enumerated() { target[offset] = byte }
        }
    }

    /// The hash written as 64 hexadecimal digits (either case); `nil` otherwise.
    package init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 2 * Self.byteCount else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.byteCount)
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes: bytes)
    }

    /// The hash written in standard base64 (44 characters with padding); `nil` otherwise.
    package init?(base64: String) {
        guard let data = Data(base64Encoded: base64) else { return nil }
        self.init(bytes: data)
    }

    /// The SHA-256 digest of the bytes `body` hands the hasher.
    init(digesting body: (inout SHA256) -> Void) {
        var hasher = SHA256()
        body(&hasher)
        let digest = hasher.finalize()
        digest.withUnsafeBytes { source in
            self.withUnsafeMutableBytes { target in target.copyMemory(from: source) }
        }
    }

    /// The 32 bytes.
    package var bytes: [UInt8] { self.withUnsafeBytes { Array($0) } }

    /// Lower-case hexadecimal, 64 digits.
    package var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(2 * Self.byteCount)
        self.withUnsafeBytes { bytes in
            for byte in bytes {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Standard base64 with padding, as checkpoints write roots.
    package var base64: String { Data(self.bytes).base64EncodedString() }

    /// The hex form.
    package var description: String { self.hex }

    /// Calls `body` with the 32 bytes.
    package func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try Swift.withUnsafeBytes(of: self) { try body($0) }
    }

    private mutating func withUnsafeMutableBytes(_ body: (UnsafeMutableRawBufferPointer) -> Void) {
        Swift.withUnsafeMutableBytes(of: &self) { body($0) }
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
