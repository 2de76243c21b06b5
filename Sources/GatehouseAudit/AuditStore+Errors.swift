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

    /// A gap record's cause for a failed write: `store_failed: SQLITE_FULL` and the like.
    static func failureCause(_ error: any Error) -> String {
        guard let error = error as? DatabaseError else { return "store_failed" }
        let names: [Int32: String] = [
            5: "SQLITE_BUSY", 6: "SQLITE_LOCKED", 8: "SQLITE_READONLY", 10: "SQLITE_IOERR", 11: "SQLITE_CORRUPT",
            13: "SQLITE_FULL", 14: "SQLITE_CANTOPEN",
        ]
        let code = error.resultCode.primaryResultCode.rawValue
        return "store_failed: \(names[code] ?? "SQLITE_\(code)")"
    }
}
