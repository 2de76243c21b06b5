import Crypto
import _CryptoExtras

extension KeySet {
    /// A digest of every usable key's id, algorithm and material, in order: equal digests mean
    /// the set verifies exactly the same tokens. A re-fetch that changes it is a rotation.
    package var fingerprint: [UInt8] {
        var hash = SHA256()
        for key in self.keys {
            let fields: [[UInt8]] = [
                Array((key.keyID ?? "").utf8), Array((key.algorithm?.rawValue ?? "").utf8), key.materialBytes,
            ]
            for field in fields {
                withUnsafeBytes(of: UInt64(field.count).littleEndian) { hash.update(bufferPointer: $0) }
                hash.update(data: field)
            }
        }
        return Array(hash.finalize())
    }
}

extension VerificationKey {
    /// The key's public bytes (or the secret's), tagged with its type.
    fileprivate var materialBytes: [UInt8] {
        switch self.material {
        case .rsa(let key): return [1] + Array(key.derRepresentation)
        case .p256(let key): return [2] + Array(key.rawRepresentation)
        case .p384(let key): return [3] + Array(key.rawRepresentation)
        case .ed25519(let key): return [4] + Array(key.rawRepresentation)
        case .sharedSecret(let key): return [5] + key.withUnsafeBytes { Array($0) }
        }
    }
}
