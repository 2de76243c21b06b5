/// The bundle target's one error: an archive or directory that is not a usable bundle, a
/// signature that does not verify, or a bundle store that cannot be written.
///
/// Tests and callers compare ``code``; ``message`` is a sentence for people that names the
/// entry or file, quotes the offending value and says what to do.
package struct BundleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure; stable snake_case, and open to new kinds.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            case archiveCorrupt = "archive_corrupt"
            case archiveUnsafe = "archive_unsafe"
            case archiveTooLarge = "archive_too_large"
            case hashMismatch = "hash_mismatch"
            case fileMissing = "file_missing"
            case fileUnlisted = "file_unlisted"
            case duplicateEntry = "duplicate_entry"
            case manifestInvalid = "manifest_invalid"
            case manifestMissing = "manifest_missing"
            case signatureMissing = "signature_missing"
            case signatureInvalid = "signature_invalid"
            case signatureUnknownKey = "signature_unknown_key"
            case sourceUnreadable = "source_unreadable"
            case sourceChanging = "source_changing"
            case storeFailed = "store_failed"
            case revisionNotKept = "revision_not_kept"
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        /// The gzip stream or tar structure is damaged or truncated.
        package static let archiveCorrupt = Code(.archiveCorrupt)
        /// An entry would escape the bundle (`..`, an absolute path) or is not a regular file or
        /// directory (a symlink, hard link, device, FIFO).
        package static let archiveUnsafe = Code(.archiveUnsafe)
        /// The bundle exceeds a ``BundleLimits`` value (total bytes, file count, one file's size).
        package static let archiveTooLarge = Code(.archiveTooLarge)
        /// A file's SHA-256 differs from the one the manifest lists.
        package static let hashMismatch = Code(.hashMismatch)
        /// The manifest or a signature lists a file the bundle does not hold.
        package static let fileMissing = Code(.fileMissing)
        /// The bundle holds a file its manifest does not list.
        package static let fileUnlisted = Code(.fileUnlisted)
        /// The archive holds the same path twice, or the manifest lists a file twice.
        package static let duplicateEntry = Code(.duplicateEntry)
        /// `.manifest.json` is not a valid manifest (JSON, fields, algorithm, names).
        package static let manifestInvalid = Code(.manifestInvalid)
        /// The bundle has no `.manifest.json` where one is required (signatures required).
        package static let manifestMissing = Code(.manifestMissing)
        /// Signatures are required and the bundle has none.
        package static let signatureMissing = Code(.signatureMissing)
        /// A signature is malformed, does not verify, or claims content other than the manifest's.
        package static let signatureInvalid = Code(.signatureInvalid)
        /// No signature verified because none was made by a configured key.
        package static let signatureUnknownKey = Code(.signatureUnknownKey)
        /// The source directory or archive file cannot be read.
        package static let sourceUnreadable = Code(.sourceUnreadable)
        /// The source directory changed while it was read; retry once the edit is finished.
        package static let sourceChanging = Code(.sourceChanging)
        /// The bundle store could not be created or written.
        package static let storeFailed = Code(.storeFailed)
        /// A revision asked for is not among the kept revisions.
        package static let revisionNotKept = Code(.revisionNotKept)

        /// The stable snake_case string, as logged and shown in the status API.
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
