import Crypto
import Foundation

/// The public half of an instance's ``AuditSigningKey``: all an auditor needs to check its
/// checkpoints and proofs.
///
/// Its text form is the signed-note verifier key (C2SP signed-note), `<name>+<key id>+<key>`:
/// the signer name, the key id as 8 hex digits, and base64 of the algorithm byte 0x01 (Ed25519)
/// followed by the 32-byte public key. The key id is the first 4 bytes of
/// SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key), so a name and a key cannot be paired differently.
package struct AuditVerifierKey: Sendable, Hashable, CustomStringConvertible {
    /// The signer's name.
    package let name: String
    /// The key id, as signature lines carry it.
    package let keyID: UInt32
    /// The 32-byte Ed25519 public key.
    package let publicKey: [UInt8]

    /// The signed-note algorithm byte for Ed25519.
    static let ed25519: UInt8 = 0x01

    /// The verifier key for `publicKey` under `name`.
    ///
    /// - Throws: ``AuditError/Code/keyInvalid`` for a name with spaces or `+`, or a key that is
    ///   not 32 bytes.
    package init(name: String, publicKey: [UInt8]) throws(AuditError) {
        try Self.checkName(name)
        guard publicKey.count == 32, (try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey)) != nil else {
            throw AuditError(.keyInvalid, "An Ed25519 public key is 32 bytes, not \(publicKey.count).")
        }
        self.name = name
        self.publicKey = publicKey
        let digest = Array(SHA256.hash(data: Array(name.utf8) + [0x0A, Self.ed25519] + publicKey))
        self.keyID = digest.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Parses the text form `<name>+<8 hex digits>+<base64>`, checking that the key id belongs
    /// to the name and key.
    ///
    /// - Throws: ``AuditError/Code/keyInvalid`` naming what is wrong.
    package init(text: String) throws(AuditError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = trimmed.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[1].count == 8, let keyID = UInt32(parts[1], radix: 16),
            let key = Data(base64Encoded: String(parts[2])), key.first == Self.ed25519
        else {
            throw AuditError(
                .keyInvalid,
                "'\(trimmed.prefix(120))' is not an audit verifier key of the form <name>+<8 hex digits>+<base64 key>; "
                    + "print the instance's key with 'gatehouse audit public-key'.")
        }
        try self.init(name: String(parts[0]), publicKey: Array(key.dropFirst()))
        guard self.keyID == keyID else {
            throw AuditError(
                .keyInvalid,
                "The verifier key's id '\(parts[1])' does not match its name '\(parts[0])' and key (it should be "
                    + "'\(self.keyIDHex)'); the key was altered or copied wrongly.")
        }
    }

    /// The key id as 8 lower-case hex digits.
    package var keyIDHex: String {
        let hex = String(self.keyID, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// The text form, `<name>+<key id>+<base64(0x01 ‖ key)>`.
    package var text: String {
        "\(self.name)+\(self.keyIDHex)+\(Data([Self.ed25519] + self.publicKey).base64EncodedString())"
    }

    /// The text form.
    package var description: String { self.text }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    package func isValidSignature(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
        // The initializer checked the key, so this cannot fail.
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: self.publicKey) else { return false }
        return key.isValidSignature(Array(signature), for: Array(message))
    }

    /// Refuses names signed notes cannot carry: empty, or holding whitespace or `+`.
    static func checkName(_ name: String) throws(AuditError) {
        guard !name.isEmpty, !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0 == "+" }) else {
            throw AuditError(
                .keyInvalid,
                "The signer name '\(name)' is empty or holds a space or '+', which signed notes do not allow.")
        }
    }
}
