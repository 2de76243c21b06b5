import Foundation

/// The PEM wrapping of the audit keys: base64 of DER between `-----BEGIN/END <label>-----` lines.
enum AuditKeyPEM {
    /// PKCS#8 `PrivateKeyInfo` for Ed25519 (RFC 8410) up to the 32-byte seed: version 0,
    /// algorithm 1.3.101.112, and the OCTET STRING wrapping the seed's OCTET STRING.
    static let pkcs8Prefix: [UInt8] = [
        0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ]

    static func encode(_ der: [UInt8], label: String) -> String {
        let body = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(body)\n-----END \(label)-----\n"
    }

    /// The DER inside the first `label` block; `nil` when there is none or its base64 is bad.
    static func decode(_ pem: String, label: String) -> [UInt8]? {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let start = pem.range(of: begin), let stop = pem.range(of: end, range: start.upperBound..<pem.endIndex)
        else { return nil }
        let body = pem[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body)).map(Array.init)
    }
}
