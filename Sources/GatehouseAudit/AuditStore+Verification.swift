import Foundation
import GRDB

extension AuditStore {
    /// Runs `body` with every stored row of `instance` from sequence number `start` on, in one
    /// read transaction (one snapshot of a log a writer may still be appending to).
    ///
    /// Unlike ``bodies(of:in:)`` this neither stops at a gap nor assumes one row per sequence
    /// number: the verifier needs to see exactly what the table holds to say what was changed. Rows
    /// come in (seq, rowid) order, so a duplicated seq arrives right after its twin.
    ///
    /// - Throws: ``AuditError`` (`store_failed`) when the store cannot be read, or what `body` throws.
    package func withStoredRows<T>(of instance: String, from start: UInt64, _ body: (inout AuditStoredRows) throws -> T)
        throws -> T
    {
        try self.reading { db in
            var rows = AuditStoredRows(
                SQLiteStoredRows(
                    cursor: try Row.fetchCursor(
                        db,
                        sql: "SELECT seq, body FROM records WHERE instance = ? AND seq >= ? ORDER BY seq, rowid",
                        arguments: [instance, Int64(start)])))
            return try body(&rows)
        }
    }
}

/// SQLite's rows for the verifier: bodies read from SQLite's row buffer, no copy per record.
private struct SQLiteStoredRows: AuditStoredRowCursor {
    let cursor: RowCursor

    mutating func next(_ body: (UInt64, UnsafeRawBufferPointer) -> Void) throws -> Bool {
        guard let row = try self.cursor.next() else { return false }
        let seq: Int64 = row[0]
        try row.withUnsafeData(atIndex: 1) { data in
            (data ?? Data()).withUnsafeBytes { body(UInt64(bitPattern: seq), $0) }
        }
        return true
    }
}
