import GRDB

extension AuditError {
    /// The store at `path` could not be opened or migrated.
    static func storeUnavailable(path: String, cause: any Error) -> AuditError {
        AuditError(
            .storeUnavailable,
            "The decision log '\(path)' cannot be opened (\(Self.describe(cause))); check that the directory exists "
                + "and is writable, and that no other server writes the same file."
        )
    }

    /// A read or write of the store at `path` failed.
    static func storeFailed(_ message: String, path: String, cause: (any Error)? = nil) -> AuditError {
        let because = cause.map { " (\(Self.describe($0)))" } ?? ""
        return AuditError(.storeFailed, "\(message)\(because) Store: '\(path)'.")
    }

    /// SQLite's own words for a failure, e.g. `SQLITE_FULL: database or disk is full`.
    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "\(error.resultCode): \(error.message ?? "no message")"
        }
        return String(describing: error)
    }
}
