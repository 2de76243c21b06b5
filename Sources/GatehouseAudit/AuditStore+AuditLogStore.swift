extension AuditStore: AuditLogStore {
    /// The database file.
    package var location: String { self.path }

    /// SQLite's result code, named: `store_failed: SQLITE_FULL` and the like.
    package func failureCause(_ error: any Error) -> String {
        AuditError.failureCause(error)
    }
}
