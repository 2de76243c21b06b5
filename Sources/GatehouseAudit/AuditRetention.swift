/// How much of the log to keep: records older than `maxAge`, or beyond `maxBytes` of record
/// bodies per store, are pruned oldest first (after a signed anchor marks where the kept log begins).
package struct AuditRetentionPolicy: Sendable, Equatable {
    /// Records older than this are pruned; nil keeps any age.
    package var maxAge: Duration?
    /// The bodies kept, in bytes, at most (oldest pruned first); nil keeps any size.
    package var maxBytes: Int64?

    package init(maxAge: Duration? = nil, maxBytes: Int64? = nil) {
        self.maxAge = maxAge
        self.maxBytes = maxBytes
    }
}
