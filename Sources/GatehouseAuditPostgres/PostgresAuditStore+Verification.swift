package import GatehouseAudit
import PostgresNIO

extension PostgresAuditStore {
    /// Runs `body` with `instance`'s rows from `start` on, read in pages of ``verifyPage`` by
    /// sequence number. The primary key (instance, seq) rules out duplicated sequence numbers, so
    /// the pages need no shared snapshot: a log only grows at its end, and the verifier checks
    /// what it read against the checkpoints it read first.
    package func withStoredRows<T>(
        of instance: String, from start: UInt64, _ body: (inout AuditStoredRows) throws -> T
    ) throws -> T {
        var rows = AuditStoredRows(PostgresStoredRows(store: self, instance: instance, next: Int64(start)))
        return try body(&rows)
    }

    /// Rows per round trip when verifying.
    static var verifyPage: Int { 10_000 }
}

/// An instance's rows for the verifier, fetched a page at a time.
private struct PostgresStoredRows: AuditStoredRowCursor {
    let store: PostgresAuditStore
    let instance: String
    /// The sequence number the next page starts at.
    var next: Int64
    var buffer: [(seq: Int64, body: String)] = []
    var position = 0
    var finished = false

    init(store: PostgresAuditStore, instance: String, next: Int64) {
        self.store = store
        self.instance = instance
        self.next = next
    }

    mutating func next(_ body: (UInt64, UnsafeRawBufferPointer) -> Void) throws -> Bool {
        if self.position == self.buffer.count {
            guard !self.finished else { return false }
            try self.fetch()
            guard !self.buffer.isEmpty else { return false }
        }
        var row = self.buffer[self.position]
        self.position += 1
        row.body.withUTF8 { body(UInt64(bitPattern: row.seq), UnsafeRawBufferPointer($0)) }
        return true
    }

    private mutating func fetch() throws {
        let (instance, from, limit) = (self.instance, self.next, PostgresAuditStore.verifyPage)
        self.buffer = try self.store.reading("Reading records of '\(instance)' to verify") { client, logger in
            var rows: [(seq: Int64, body: String)] = []
            rows.reserveCapacity(limit)
            for try await (seq, body) in try await client.query(
                """
                SELECT seq, body FROM gatehouse_audit.records WHERE instance = \(instance) AND seq >= \(from)
                ORDER BY seq LIMIT \(limit)
                """, logger: logger
            ).decode((Int64, String).self) {
                rows.append((seq, body))
            }
            return rows
        }
        self.position = 0
        self.finished = self.buffer.count < limit
        if let last = self.buffer.last { self.next = last.seq + 1 }
    }
}
