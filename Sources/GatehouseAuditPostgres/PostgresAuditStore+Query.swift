package import GatehouseAudit
import GatehouseCore
import PostgresNIO

extension AuditQuery {
    /// The query in PostgreSQL's dialect, after `cursor`, at most `limit` rows: the SQLite
    /// store's conditions, with `LIKE` for its `GLOB` patterns (only `*` is a wildcard).
    ///
    /// The order is (time_key, time, instance, seq), which is (time, instance, seq)
    /// (``PostgresAuditSchema/v2``) in a form the integer-keyed indexes give: an index scan in
    /// time_key order, sorted further only among rows of one time key. So an exact subject, SPIFFE
    /// ID or X-Road client is also stated on its hash, which is what the indexes hold (the text
    /// conditions stay, and decide), and every bound on the time also on time_key: with such a key
    /// as the pair (key, time_key), which only that key's index can use.
    ///
    /// The page is bounded first: the time_key of the `limit`-th match in time_key order (exactly
    /// an index's order, so a scan that stops there), and only matches up to it are read and
    /// sorted. Without that bound, and without the pairs, the plan rested on PostgreSQL's
    /// estimates: statistics taken while the table was small (a 1,000-row table's n_distinct and
    /// time histogram) made it read and sort all of a subject's rows for each page at 1 M records,
    /// or walk the time index from the cursor on: 50-100 ms a page instead of about 1.
    func postgresStatement(after cursor: AuditCursor?, limit: Int) -> PostgresQuery {
        var conditions: [String] = []
        var binds = PostgresBindings()
        func bind(_ value: String) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        var keyed: (column: String, hash: String)?
        for (column, value) in self.textFilters {
            if value.contains("*") {
                conditions.append("\(column) LIKE \(bind(Self.likePattern(value)))")
            } else if let key = PostgresAuditSchema.queryKey(for: column) {
                let text = bind(value)
                let hash = key.expression(text + "::text")
                conditions.append("\(column) = \(text) AND \(key.name) = \(hash)")
                if keyed == nil { keyed = (key.name, hash) }
            } else {
                conditions.append("\(column) = \(bind(value))")
            }
        }
        /// `time_key <op> key`, as the pair with the exact key's hash when there is one.
        func timeBound(_ op: String, _ key: String) -> String {
            guard let keyed else { return "time_key \(op) \(key)" }
            return "(\(keyed.column), time_key) \(op) (\(keyed.hash), \(key))"
        }
        func timeKey(_ parameter: String) -> String { "gatehouse_audit.time_key(\(parameter)::text)" }
        if let since = self.since {
            let time = bind(AuditLeafTime.format(since))
            conditions.append("time >= \(time) AND \(timeBound(">=", timeKey(time)))")
        }
        if let until = self.until {
            let time = bind(AuditLeafTime.format(until))
            conditions.append("time < \(time) AND \(timeBound("<=", timeKey(time)))")
        }
        if let cursor {
            let time = bind(cursor.time)
            let instance = bind(cursor.instance)
            binds.append(Int64(cursor.seq))
            conditions.append(
                "\(timeBound(">=", timeKey(time))) AND (time, instance, seq) > (\(time), \(instance), $\(binds.count))")
        }
        let matches = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        binds.append(max(0, limit - 1))
        let last = """
            (SELECT time_key FROM gatehouse_audit.records\(matches) ORDER BY time_key OFFSET $\(binds.count) LIMIT 1)
            """
        conditions.append(timeBound("<=", "coalesce(\(last), \(Int64.max))"))
        binds.append(limit)
        let sql = """
            SELECT instance, seq, time, body FROM gatehouse_audit.records WHERE \(conditions.joined(separator: " AND "))
            ORDER BY time_key, time, instance, seq LIMIT $\(binds.count)
            """
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// A user pattern as a LIKE pattern: `*` is the wildcard; LIKE's own (`%`, `_`) and its escape
    /// character match themselves.
    static func likePattern(_ pattern: String) -> String {
        var like = ""
        for character in pattern {
            switch character {
            case "*": like += "%"
            case "%", "_", "\\": like += "\\\(character)"
            default: like.append(character)
            }
        }
        return like
    }
}

extension PostgresAuditStore {
    package func query(_ query: AuditQuery, after cursor: AuditCursor? = nil, limit: Int) throws -> AuditQueryPage {
        let limit = max(1, limit)
        // One row more than asked says whether there is a next page.
        let rows = try self.page(query, after: cursor, limit: limit + 1)
        guard rows.count > limit else { return AuditQueryPage(rows: rows, next: nil) }
        let page = Array(rows.prefix(limit))
        return AuditQueryPage(rows: page, next: page.last?.cursor)
    }

    /// Streams the matches page by page (keyset pagination on the query's own order), so memory
    /// stays one page whatever the result's size. Records appended meanwhile may show up at the end.
    package func stream(
        _ query: AuditQuery, after cursor: AuditCursor? = nil, _ body: (AuditQueryRow) throws -> Bool
    ) throws {
        var cursor = cursor
        while true {
            let rows = try self.page(query, after: cursor, limit: Self.streamPage)
            for row in rows {
                guard try body(row) else { return }
            }
            guard rows.count == Self.streamPage, let last = rows.last else { return }
            cursor = last.cursor
        }
    }

    /// Rows per round trip when streaming.
    static var streamPage: Int { 2_000 }

    /// How PostgreSQL answers `query` (EXPLAIN's lines), to check that it uses an index.
    package func plan(for query: AuditQuery) throws -> [String] {
        let page = query.postgresStatement(after: nil, limit: 100)
        let statement = PostgresQuery(unsafeSQL: "EXPLAIN " + page.sql, binds: page.binds)
        return try self.reading("Explaining a query") { client, logger in
            var lines: [String] = []
            for try await line in try await client.query(statement, logger: logger).decode(String.self) {
                lines.append(line)
            }
            return lines
        }
    }

    private func page(_ query: AuditQuery, after cursor: AuditCursor?, limit: Int) throws -> [AuditQueryRow] {
        let statement = query.postgresStatement(after: cursor, limit: limit)
        return try self.reading("Querying the decision log") { client, logger in
            var rows: [AuditQueryRow] = []
            for try await (instance, seq, time, body) in try await client.query(statement, logger: logger).decode(
                (String, Int64, String, String).self)
            {
                rows.append(AuditQueryRow(instance: instance, seq: UInt64(seq), time: time, body: body))
            }
            return rows
        }
    }
}
