package import Crypto
package import GatehouseCore

/// The decision cache's key: a SHA-256 digest of everything one decision depends on.
///
/// Fixed-size (32 bytes, four words) so a lookup hashes and compares without allocating and a
/// million entries stay small. Digests make collisions a non-issue: two requests share an
/// entry only if they agree on every field that went into the digest.
package struct DecisionKey: Hashable, Sendable {
    private let words: (UInt64, UInt64, UInt64, UInt64)

    package init(_ words: (UInt64, UInt64, UInt64, UInt64)) {
        self.words = words
    }

    package static func == (lhs: DecisionKey, rhs: DecisionKey) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
            && lhs.words.3 == rhs.words.3
    }

    package func hash(into hasher: inout Hasher) {
        // The words are already uniformly distributed; one is plenty for the table.
        hasher.combine(self.words.0)
    }
}

/// Builds a ``DecisionKey``: every field is fed to SHA-256, length first.
package struct DecisionKeyHasher: CacheKeyBuilder {
    private var digest = SHA256()

    package init() {}

    package mutating func add(_ text: Substring) {
        self.add(UInt64(text.utf8.count))
        let fed = text.utf8.withContiguousStorageIfAvailable {
            self.digest.update(bufferPointer: UnsafeRawBufferPointer($0))
        }
        if fed == nil { self.digest.update(data: Array(text.utf8)) }
    }

    package mutating func add(_ number: UInt64) {
        withUnsafeBytes(of: number.littleEndian) { self.digest.update(bufferPointer: $0) }
    }

    /// The key for everything added.
    package consuming func finalize() -> DecisionKey {
        self.digest.finalize().withUnsafeBytes { bytes in
            DecisionKey(
                (
                    bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                    bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                    bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self),
                    bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self)
                ))
        }
    }
}
