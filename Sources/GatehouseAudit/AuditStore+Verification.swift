import GRDB

extension AuditStore {
    /// Up to `limit` stored records of `instance` from sequence number `start` on, as they are.
    ///
    /// Unlike ``bodies(of:in:)`` this neither stops at a gap nor assumes one row per sequence
    /// number: the verifier needs to see exactly what the table holds to say what was changed.
    ///
    /// - Parameters:
    ///   - instance: The writer instance.
    ///   - start: The first sequence number wanted.
    ///   - limit: At most this many rows.
    /// - Returns: The rows' sequence numbers and bodies, in sequence-number order.
    /// - Throws: ``AuditError`` (`store_failed`) when the store cannot be read.
    package func storedRows(of instance: String, from start: UInt64, limit: Int) throws -> [(
        seq: UInt64, body: [UInt8]
    )] {
        try self.reading { db in
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT seq, body FROM records WHERE instance = ? AND seq >= ? ORDER BY seq, rowid LIMIT ?",
                arguments: [instance, Int64(start), limit]
            )
            var result: [(seq: UInt64, body: [UInt8])] = []
            while let row = try rows.next() {
                let seq: Int64 = row[0]
                let body: String = row[1]
                result.append((UInt64(seq), Array(body.utf8)))
            }
            return result
        }
    }
}
