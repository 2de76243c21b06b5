import Foundation

/// A proof an auditor can check offline with only the instance's verifier key.
///
/// `inclusion`: a record (its canonical line), its seq, the RFC 9162 inclusion path and the signed
/// checkpoint it leads to. `consistency`: two signed checkpoints and the RFC 9162 consistency
/// proof that the older tree is a prefix of the newer. Kept as JSON (hashes in base64).
package struct AuditProof: Sendable, Equatable, Codable {
    /// `inclusion` or `consistency`.
    package var kind: String
    /// The record's canonical line (inclusion proofs).
    package var record: String?
    /// The record's seq (inclusion proofs).
    package var seq: UInt64?
    /// The older checkpoint note (consistency proofs).
    package var old: String?
    /// The checkpoint note the proof leads to.
    package var checkpoint: String
    /// The proof's hashes, base64.
    package var proof: [String]

    /// An inclusion proof of `record` at `seq` against `checkpoint`.
    package static func inclusion(record: String, seq: UInt64, proof: [MerkleHash], checkpoint: String) -> Self {
        AuditProof(
            kind: "inclusion", record: record, seq: seq, old: nil, checkpoint: checkpoint, proof: proof.map(\.base64))
    }

    /// A consistency proof from checkpoint `old` to `checkpoint`.
    package static func consistency(old: String, checkpoint: String, proof: [MerkleHash]) -> Self {
        AuditProof(
            kind: "consistency", record: nil, seq: nil, old: old, checkpoint: checkpoint, proof: proof.map(\.base64))
    }

    /// The proof as one JSON document.
    package var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Encoding strings, integers and arrays of strings cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Reads a proof written by ``json``.
    ///
    /// - Throws: ``AuditError`` (`proof_invalid`) when it is not one.
    package init(json: String) throws(AuditError) {
        do {
            self = try JSONDecoder().decode(Self.self, from: Data(json.utf8))
        } catch {
            throw AuditError(.proofInvalid, "The proof file is not a Gatehouse proof (\(error)).")
        }
    }

    private init(kind: String, record: String?, seq: UInt64?, old: String?, checkpoint: String, proof: [String]) {
        self.kind = kind
        self.record = record
        self.seq = seq
        self.old = old
        self.checkpoint = checkpoint
        self.proof = proof
    }

    /// Checks the proof: the checkpoints are signed by `key`, the record is canonical and at its
    /// seq, and the hashes lead to the signed roots.
    ///
    /// - Returns: The checkpoint the proof leads to.
    /// - Throws: ``AuditError``: `proof_invalid`, or the checkpoint's signature error.
    package func check(key: AuditVerifierKey) throws(AuditError) -> Checkpoint {
        let checkpoint = try Checkpoint.open(self.checkpoint, verifier: key)
        var hashes: [MerkleHash] = []
        for text in self.proof {
            guard let hash = MerkleHash(base64: text) else {
                throw AuditError(.proofInvalid, "The proof hash '\(text.prefix(60))' is not base64 of 32 bytes.")
            }
            hashes.append(hash)
        }
        switch (self.kind, self.record, self.seq, self.old) {
        case ("inclusion", let record?, let seq?, nil):
            let stored = try AuditLeaf.decode(Array(record.utf8))
            guard stored.sequence == seq, stored.instance == checkpoint.instance else {
                throw AuditError(
                    .proofInvalid,
                    "The record says seq \(stored.sequence) of '\(stored.instance)', not seq \(seq) of "
                        + "'\(checkpoint.instance)'.")
            }
            try Merkle.verifyInclusion(
                leaf: seq, leafHash: Merkle.leafHash(Array(record.utf8)), size: checkpoint.size, proof: hashes,
                root: checkpoint.root)
        case ("consistency", nil, nil, let old?):
            let older = try Checkpoint.open(old, verifier: key)
            try Merkle.verifyConsistency(
                from: older.size, fromRoot: older.root, to: checkpoint.size, toRoot: checkpoint.root, proof: hashes)
        default:
            throw AuditError(.proofInvalid, "The proof's kind '\(self.kind)' does not match its fields.")
        }
        return checkpoint
    }
}
