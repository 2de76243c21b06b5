import GRDB
import GatehouseCore

extension AuditQuery {
    /// The query's SQL and arguments, after `cursor`, at most `limit` rows (nil: all).
    func statement(after cursor: AuditCursor?, limit: Int?) -> (sql: String, arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let since = self.since {
            conditions.append("time >= ?")
            arguments += [AuditLeafTime.format(since)]
        }
        if let until = self.until {
            conditions.append("time < ?")
            arguments += [AuditLeafTime.format(until)]
        }
        for (column, value) in self.textFilters {
            if value.contains("*") {
                conditions.append("\(column) GLOB ?")
                arguments += [Self.glob(value)]
            } else {
                conditions.append("\(column) = ?")
                arguments += [value]
            }
        }
        if let cursor {
            conditions.append("(time, instance, seq) > (?, ?, ?)")
            arguments += [cursor.time, cursor.instance, Int64(cursor.seq)]
        }
        var sql = "SELECT instance, seq, time, body FROM records"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY time, instance, seq"
        if let limit {
            sql += " LIMIT ?"
            arguments += [limit]
        }
        return (sql, arguments)
    }

    /// A user pattern as a GLOB: `*` stays a wildcard, GLOB's other specials (`?`, `[`) match themselves.
    static func glob(_ pattern: String) -> String {
        var glob = ""
        for character in pattern {
            switch character {
            case "?": glob += "[?]"
            case "[": glob += "[[]"
            default: glob.append(character)
            }
        }
        return glob
    }
}

extension AuditStore {
    /// The page of records matching `query` after `cursor`.
    ///
    /// - Parameters:
    ///   - query: the filters.
    ///   - cursor: where the previous page ended; nil for the first page.
    ///   - limit: rows per page (at least 1).
    /// - Throws: ``AuditError`` (`store_failed`) when the store cannot be read.
    package func query(_ query: AuditQuery, after cursor: AuditCursor? = nil, limit: Int) throws -> AuditQueryPage {
        let limit = max(1, limit)
        // One row more than asked says whether there is a next page.
        let (sql, arguments) = query.statement(after: cursor, limit: limit + 1)
        let rows = try self.reading { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.queryRow)
        }
        guard rows.count > limit else { return AuditQueryPage(rows: rows, next: nil) }
        let page = Array(rows.prefix(limit))
        return AuditQueryPage(rows: page, next: page.last?.cursor)
    }

    /// Calls `body` with every record matching `query` after `cursor`, in order, from one
    /// consistent snapshot, holding no more than one row in memory; `body` returns false to stop.
    ///
    /// - Throws: ``AuditError`` (`store_failed`), or what `body` throws.
    package func stream(
        _ query: AuditQuery, after cursor: AuditCursor? = nil, _ body: (AuditQueryRow) throws -> Bool
    ) throws {
        let (sql, arguments) = query.statement(after: cursor, limit: nil)
        try self.reading { db in
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                guard try body(Self.queryRow(row)) else { return }
            }
        }
    }

    /// How SQLite answers `query` (EXPLAIN QUERY PLAN's details), to check that it uses an index.
    package func plan(for query: AuditQuery) throws -> [String] {
        let (sql, arguments) = query.statement(after: nil, limit: 100)
        return try self.reading { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { $0["detail"] }
        }
    }

    private static func queryRow(_ row: Row) -> AuditQueryRow {
        let seq: Int64 = row[1]
        return AuditQueryRow(instance: row[0], seq: UInt64(seq), time: row[2], body: row[3])
    }
}
