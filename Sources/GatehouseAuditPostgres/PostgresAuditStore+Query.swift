package import GatehouseAudit
import GatehouseCore
import Logging
import PostgresNIO

extension AuditQuery {
    /// The query in PostgreSQL's dialect, after `cursor`, at most `limit` rows: the SQLite
    /// store's conditions, with `LIKE` for its `GLOB` patterns (only `*` is a wildcard).
    ///
    /// The order is (time_key, time, instance, seq), which is (time, instance, seq)
    /// (``PostgresAuditSchema/v2``) in a form the integer-keyed indexes give: an index scan in
    /// time_key order, sorted further only among rows of one time key. Filters on the caller
    /// (subject, SPIFFE ID, X-Road client) find the matching callers in `callers` first (an exact
    /// value by its hash key, which is indexed there, and the text itself, which decides), then
    /// those callers' records through `(caller_id, time_key)` (``PostgresAuditSchema/v3``).
    ///
    /// The page is bounded first: a time_key at or beyond the `limit`-th match's, and only
    /// matches up to it are read and sorted. Without that bound the plan rested on PostgreSQL's
    /// estimates: statistics taken while the table was small made it read and sort all of a
    /// subject's rows for each page at 1 M records, or walk the time index from the cursor on.
    ///
    /// The bound is the `limit`-th time_key of a subset of the matches that the indexes alone
    /// answer: the cursor, `since` and `until` as strict comparisons of time_key (a key past the
    /// cursor's is a row past the cursor; a row at the cursor's own key may or may not be), so no
    /// row is read from the table to place it. A subset's `limit`-th key is at or beyond the
    /// matches' own, so the page misses nothing; where the subset has fewer, the page reads the
    /// rest. With a caller filter, each matching caller's entries are read in order from
    /// `(caller_id, time_key)`, at most `limit` of them (one `LIMIT` under a `LATERAL` join), so a
    /// page deep into a subject reads what lies just past its cursor, not every entry left
    /// (PostgreSQL 15 returns an index scan over `caller_id = ANY(…)` unordered, which had to
    /// be sorted whole: 50 pages of one subject took 0.8-1.5 s at 5.25 M records).
    ///
    /// With `walkTime` (a caller filter matching more than ``PostgresAuditStore/callerWalkLimit``
    /// callers, ``postgresCallerCount()``), both the bound and the page walk the time index
    /// instead and test each row's caller by its `callers` row (a correlated subquery, which
    /// PostgreSQL never turns into a join): a page then reads about as many rows as the matches
    /// are rare, not a descent and up to a page of entries for each of thousands of callers
    /// (`user-*` over 901,000 records: 0.7 ms against 480 ms for the bound, measured).
    func postgresStatement(after cursor: AuditCursor?, limit: Int, walkTime: Bool = false) -> PostgresQuery {
        var conditions: [String] = []
        // The conditions the bound reads: the same filters, with the cursor, since and until on time_key alone.
        var boundConditions: [String] = []
        var callerConditions: [String] = []
        var binds = PostgresBindings()
        func bind(_ value: String) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        func filter(_ condition: String) {
            conditions.append(condition)
            boundConditions.append(condition)
        }
        for (column, value) in self.textFilters {
            let caller = PostgresAuditSchema.callerColumns.contains(column)
            if value.contains("*") {
                let condition = "\(column) LIKE \(bind(Self.likePattern(value)))"
                if caller { callerConditions.append(condition) } else { filter(condition) }
            } else if let key = PostgresAuditSchema.callerKey(for: column) {
                let text = bind(value)
                callerConditions.append("\(column) = \(text) AND \(key.name) = \(key.expression(text + "::text"))")
            } else {
                filter("\(column) = \(bind(value))")
            }
        }
        let callers = callerConditions.joined(separator: " AND ")
        let walk = walkTime && !callerConditions.isEmpty
        if walk {
            filter("(SELECT \(callers) FROM gatehouse_audit.callers c WHERE c.id = records.caller_id)")
        } else if !callerConditions.isEmpty {
            conditions.append("caller_id = ANY(ARRAY(SELECT id FROM gatehouse_audit.callers WHERE \(callers)))")
        }
        func timeKey(_ parameter: String) -> String { "gatehouse_audit.time_key(\(parameter)::text)" }
        if let since = self.since {
            let time = bind(AuditLeafTime.format(since))
            conditions.append("time >= \(time) AND time_key >= \(timeKey(time))")
            boundConditions.append("time_key > \(timeKey(time))")
        }
        if let until = self.until {
            let time = bind(AuditLeafTime.format(until))
            conditions.append("time < \(time) AND time_key <= \(timeKey(time))")
            boundConditions.append("time_key < \(timeKey(time))")
        }
        if let cursor {
            let time = bind(cursor.time)
            let instance = bind(cursor.instance)
            binds.append(Int64(cursor.seq))
            conditions.append(
                "time_key >= \(timeKey(time)) AND (time, instance, seq) > (\(time), \(instance), $\(binds.count))")
            boundConditions.append("time_key > \(timeKey(time))")
        }
        binds.append(limit)
        let count = "$\(binds.count)"
        binds.append(max(0, limit - 1))
        let offset = "$\(binds.count)"
        let last: String
        if callerConditions.isEmpty || walk {
            let matches = boundConditions.isEmpty ? "" : " WHERE " + boundConditions.joined(separator: " AND ")
            last = "SELECT time_key FROM gatehouse_audit.records\(matches) ORDER BY time_key OFFSET \(offset) LIMIT 1"
        } else {
            let matches = (["r.caller_id = c.id"] + boundConditions).joined(separator: " AND ")
            last = """
                SELECT b.time_key FROM gatehouse_audit.callers c CROSS JOIN LATERAL (
                    SELECT time_key FROM gatehouse_audit.records r WHERE \(matches) ORDER BY time_key LIMIT \(count)
                ) AS b WHERE \(callers) ORDER BY b.time_key OFFSET \(offset) LIMIT 1
                """
        }
        conditions.append("time_key <= coalesce((\(last)), \(Int64.max))")
        let sql = """
            SELECT instance, seq, time, body FROM gatehouse_audit.records WHERE \(conditions.joined(separator: " AND "))
            ORDER BY time_key, time, instance, seq LIMIT \(count)
            """
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    /// How many callers the query's caller filters match, counted up to `atMost` + 1; nil when it has none.
    func postgresCallerCount(atMost: Int) -> PostgresQuery? {
        var conditions: [String] = []
        var binds = PostgresBindings()
        for (column, value) in self.textFilters where PostgresAuditSchema.callerColumns.contains(column) {
            if value.contains("*") {
                binds.append(Self.likePattern(value))
                conditions.append("\(column) LIKE $\(binds.count)")
            } else if let key = PostgresAuditSchema.callerKey(for: column) {
                binds.append(value)
                conditions.append(
                    "\(column) = $\(binds.count) AND \(key.name) = \(key.expression("$\(binds.count)::text"))")
            }
        }
        guard !conditions.isEmpty else { return nil }
        binds.append(atMost + 1)
        let sql = """
            SELECT count(*) FROM (SELECT 1 FROM gatehouse_audit.callers WHERE \(conditions.joined(separator: " AND "))
            LIMIT $\(binds.count)) AS c
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

    /// Matching callers beyond which a page walks the time index rather than each caller's entries
    /// (``AuditQuery/postgresStatement(after:limit:walkTime:)``).
    static var callerWalkLimit: Int { 64 }

    /// A page's statement: for a caller filter, its callers counted first (one more round trip).
    private static func statement(
        _ query: AuditQuery, after cursor: AuditCursor?, limit: Int, on client: PostgresClient, logger: Logger
    ) async throws -> PostgresQuery {
        guard let count = query.postgresCallerCount(atMost: Self.callerWalkLimit) else {
            return query.postgresStatement(after: cursor, limit: limit)
        }
        var callers: Int64 = 0
        for try await found in try await client.query(count, logger: logger).decode(Int64.self) { callers = found }
        return query.postgresStatement(after: cursor, limit: limit, walkTime: callers > Self.callerWalkLimit)
    }

    /// How PostgreSQL answers a page of `query` after `cursor` (EXPLAIN's lines), to check that it
    /// uses an index; with `analyze`, the page is run and each step's rows and time are shown.
    package func plan(for query: AuditQuery, after cursor: AuditCursor? = nil, analyze: Bool = false) throws -> [String]
    {
        let explain = analyze ? "EXPLAIN (ANALYZE, BUFFERS) " : "EXPLAIN "
        return try self.reading("Explaining a query") { client, logger in
            let page = try await Self.statement(query, after: cursor, limit: 100, on: client, logger: logger)
            let statement = PostgresQuery(unsafeSQL: explain + page.sql, binds: page.binds)
            var lines: [String] = []
            for try await line in try await client.query(statement, logger: logger).decode(String.self) {
                lines.append(line)
            }
            return lines
        }
    }

    private func page(_ query: AuditQuery, after cursor: AuditCursor?, limit: Int) throws -> [AuditQueryRow] {
        return try self.reading("Querying the decision log") { client, logger in
            let statement = try await Self.statement(query, after: cursor, limit: limit, on: client, logger: logger)
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
