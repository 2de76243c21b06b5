private import Crypto

/// SHA-256 as the bundle format uses it: lower-case hex.
package enum BundleHashing {
    /// The lower-case hex SHA-256 of `bytes`.
    package static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return Self.hex(hasher.finalize())
    }

    /// One digest over a file list: SHA-256 of `name NUL hash LF` per file, sorted by name, so
    /// the same files give the same revision whatever order they were read in.
    package static func contentDigest(of files: [BundleFileHash]) -> String {
        var hasher = SHA256()
        for file in files.sorted(by: { $0.name < $1.name }) {
            hasher.update(data: Array(file.name.utf8) + [0] + Array(file.hash.utf8) + [0x0A])
        }
        return Self.hex(hasher.finalize())
    }

    /// Whether `text` is 64 lower-case hex digits, as a SHA-256 in a manifest must be.
    static func isSHA256Hex(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
