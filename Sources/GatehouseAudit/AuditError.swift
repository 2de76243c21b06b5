/// The decision log's one error: a record or checkpoint that is not well formed, a key that
/// cannot be used, a proof that does not hold, or a store that cannot be read or written.
///
/// Tests and callers compare ``code``; ``message`` is a sentence for people that names the
/// record (sequence number, id), the file or the checkpoint, quotes the offending value and says
/// what to do. Tampering found by a full verification is not thrown: ``AuditVerifier`` reports
/// it as findings, and these codes name the kinds.
package struct AuditError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure; stable snake_case, and open to new kinds.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case recordMalformed = "record_malformed"
            case recordNotCanonical = "record_not_canonical"
            case keyUnreadable = "key_unreadable"
            case keyUnsafe = "key_unsafe"
            case keyInvalid = "key_invalid"
            case checkpointMalformed = "checkpoint_malformed"
            case checkpointSignatureInvalid = "checkpoint_signature_invalid"
            case checkpointUnknownSigner = "checkpoint_unknown_signer"
            case proofInvalid = "proof_invalid"
            case proofUnavailable = "proof_unavailable"
            case nodeMissing = "node_missing"
            case storeUnavailable = "store_unavailable"
            case storeFailed = "store_failed"
            case storeCorrupt = "store_corrupt"
            case queryInvalid = "query_invalid"
            case configurationInvalid = "configuration_invalid"
            case recordModified = "record_modified"
            case recordMissing = "record_missing"
            case recordInserted = "record_inserted"
            case recordsReordered = "records_reordered"
            case logTruncated = "log_truncated"
            case checkpointForged = "checkpoint_forged"
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// A stored body is not a record: not JSON, a missing or unknown field, a wrong type.
        package static let recordMalformed = Code(.recordMalformed)
        /// A stored body is a record but not its canonical encoding (key order, whitespace,
        /// escapes, number form), so its leaf hash could not be reproduced from its fields.
        package static let recordNotCanonical = Code(.recordNotCanonical)
        /// The signing or verifier key file cannot be read or written.
        package static let keyUnreadable = Code(.keyUnreadable)
        /// The signing key file can be read by users other than its owner.
        package static let keyUnsafe = Code(.keyUnsafe)
        /// The key's text is not an Ed25519 PKCS#8 PEM or a signed-note verifier key.
        package static let keyInvalid = Code(.keyInvalid)
        /// A checkpoint is not in the C2SP tlog-checkpoint signed-note format.
        package static let checkpointMalformed = Code(.checkpointMalformed)
        /// A checkpoint's signature by the expected key does not verify.
        package static let checkpointSignatureInvalid = Code(.checkpointSignatureInvalid)
        /// A checkpoint carries no signature by the expected key (name or key id differ).
        package static let checkpointUnknownSigner = Code(.checkpointUnknownSigner)
        /// An inclusion or consistency proof does not lead to the expected root.
        package static let proofInvalid = Code(.proofInvalid)
        /// No proof can be made for these arguments (index beyond the tree, sizes out of order).
        package static let proofUnavailable = Code(.proofUnavailable)
        /// A node a proof needs is not in the store (pruned or never written).
        package static let nodeMissing = Code(.nodeMissing)
        /// The store cannot be opened (missing, locked, read-only where writes are needed).
        package static let storeUnavailable = Code(.storeUnavailable)
        /// A write or read failed (disk full, I/O error).
        package static let storeFailed = Code(.storeFailed)
        /// The store's schema or content is not what this version wrote.
        package static let storeCorrupt = Code(.storeCorrupt)
        /// A query's filter or cursor is not valid.
        package static let queryInvalid = Code(.queryInvalid)
        /// An `audit.*` setting is not valid.
        package static let configurationInvalid = Code(.configurationInvalid)
        /// A stored record's body or a root over the records differs from what was signed.
        package static let recordModified = Code(.recordModified)
        /// A sequence number between the retained start and the end of the log has no record.
        package static let recordMissing = Code(.recordMissing)
        /// A record that the signed log never held was added (or one was duplicated).
        package static let recordInserted = Code(.recordInserted)
        /// A record's `seq` field disagrees with its position: records were moved.
        package static let recordsReordered = Code(.recordsReordered)
        /// The log holds fewer records than a signed checkpoint covers.
        package static let logTruncated = Code(.logTruncated)
        /// A checkpoint or retention anchor does not carry a valid signature by the instance's key.
        package static let checkpointForged = Code(.checkpointForged)

        /// The stable snake_case string, as logged and printed.
        package var description: String { self.wrapped.rawValue }
    }

    /// What kind of failure.
    package var code: Code
    /// A sentence saying what failed, where, and how to fix it.
    package var message: String

    /// An error of kind `code`.
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    package var description: String { "\(self.code): \(self.message)" }
}
