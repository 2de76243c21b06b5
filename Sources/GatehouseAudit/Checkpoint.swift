package import GatehouseCore

/// A signed statement of a writer's tree at one size: the C2SP `tlog-checkpoint` format.
///
/// The body is three lines, origin, tree size in decimal, and the root hash in base64, then
/// two extension lines, `time <RFC 3339 UTC>` and `instance <writer instance id>`. Signed, it
/// is a C2SP signed note: the body, a blank line, and one line per signature,
/// `— <signer name> <base64(4-byte key id ‖ 64-byte Ed25519 signature)>`; the signature covers
/// the body including its final newline. The origin is the signer's name, so a checkpoint
/// cannot be passed off as another instance's. Outside witnesses can add their own signature
/// lines without changing the body.
///
/// ```
/// gatehouse.example/audit/gh-1
/// 1048576
/// 2BW7b5z0Rk1Zd2y9bSg0b7d0YJmC0GkVYbXvB4Pp2iU=
/// time 2026-12-06T00:35:12.123456789Z
/// instance gh-1
///
/// — gatehouse.example/audit/gh-1 Gh5qN…
/// ```
package struct Checkpoint: Sendable, Hashable {
    /// The log's identity; equal to the signing key's name.
    package var origin: String
    /// How many records the tree holds.
    package var size: UInt64
    /// The tree's root hash (RFC 9162 MTH).
    package var root: MerkleHash
    /// When the writer signed it.
    package var time: UnixTime
    /// The writer instance whose tree it is.
    package var instance: String

    package init(origin: String, size: UInt64, root: MerkleHash, time: UnixTime, instance: String) {
        self.origin = origin
        self.size = size
        self.root = root
        self.time = time
        self.instance = instance
    }

    /// The note body the signature covers, ending in a newline.
    package var body: String {
        "\(self.origin)\n\(self.size)\n\(self.root.base64)\ntime \(AuditLeafTime.format(self.time))\n"
            + "instance \(self.instance)\n"
    }

    /// The signed note: the body, a blank line, and `key`'s signature line.
    ///
    /// The origin should be `key.name`; ``open(_:verifier:)`` refuses a checkpoint whose
    /// origin is not its verifier's name.
    package func signed(by key: AuditSigningKey) -> String {
        let body = self.body
        let signature = key.sign(Array(body.utf8))
        return body + "\n"
            + CheckpointNote.signatureLine(name: key.name, keyID: key.verifierKey.keyID, signature: signature)
    }

    /// Parses a body (without signatures), refusing any other layout.
    ///
    /// - Throws: ``AuditError/Code/checkpointMalformed`` naming the line.
    package init(body: String) throws(AuditError) {
        self = try CheckpointNote.parseBody(body)
    }

    /// Parses a signed note and verifies its signature by `verifier`.
    ///
    /// Signature lines by other signers (witnesses) are ignored; one by `verifier` must verify.
    ///
    /// - Throws: ``AuditError/Code/checkpointMalformed`` for text that is not a checkpoint note,
    ///   ``AuditError/Code/checkpointUnknownSigner`` when no line is by `verifier` (other name or
    ///   key id, or an origin that is not the verifier's name),
    ///   ``AuditError/Code/checkpointSignatureInvalid`` when that signature does not verify.
    package static func open(_ note: String, verifier: AuditVerifierKey) throws(AuditError) -> Checkpoint {
        let (body, signatures) = try CheckpointNote.split(note)
        let checkpoint = try Checkpoint(body: body)
        guard let signature = signatures.first(where: { $0.name == verifier.name && $0.keyID == verifier.keyID }) else {
            let signers = signatures.map { "'\($0.name)' (key id \(CheckpointNote.hex($0.keyID)))" }
            throw AuditError(
                .checkpointUnknownSigner,
                "The checkpoint of size \(checkpoint.size) is signed by \(signers.joined(separator: ", ")), not by "
                    + "'\(verifier.name)' (key id \(verifier.keyIDHex)); check that the verifier key is this instance's."
            )
        }
        guard verifier.isValidSignature(signature.signature, for: Array(body.utf8)) else {
            throw AuditError(
                .checkpointSignatureInvalid,
                "The checkpoint of size \(checkpoint.size) (\(AuditLeafTime.format(checkpoint.time))) does not carry a "
                    + "valid signature by '\(verifier.name)': its text or signature was altered, or it was forged.")
        }
        guard checkpoint.origin == verifier.name else {
            throw AuditError(
                .checkpointUnknownSigner,
                "The checkpoint's origin '\(checkpoint.origin)' is not the signer '\(verifier.name)'; it belongs to "
                    + "another log.")
        }
        return checkpoint
    }
}
