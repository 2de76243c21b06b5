/// The query columns every store derives from a record's canonical JSON `body`, as (column,
/// JSON key): one list for both dialects (SQLite's generated columns, PostgreSQL's trigger), so
/// a query column can never disagree with what the Merkle tree covers.
package enum AuditRecordColumns {
    /// (column name, top-level key in the body), in the schema's order.
    package static var derived: [(name: String, key: String)] { AuditStoreSchema.derivedColumns }
    /// The caller's fields among them, in this order: kept once per distinct caller (a `callers`
    /// table in each dialect), a record naming its caller by an integer id.
    package static let callerColumns = ["subject", "spiffe_id", "xroad_client"]
}
