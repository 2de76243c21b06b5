import Crypto

/// SHA-256 for test expectations, through swift-crypto's public API only.
enum SHA256Reference {
    static func hash(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
