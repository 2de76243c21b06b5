import GRDB
import GatehouseCore

extension AuditQuery {
    /// The filters as conditions on `records AS r` (its derived columns, ``AuditStoreSchema/derived(_:of:)``;
    /// the stored ones of a v1 store's `records` with `columns`), with their arguments; the time
    /// range and cursor on key table `keys` instead when given.
    private func recordConditions(
        after cursor: AuditCursor?, keys: String? = nil, columns: Bool = false
    ) -> ([String], StatementArguments) {
        let column = { (name: String) in columns ? "r.\(name)" : AuditStoreSchema.derived(name) }
        let time = keys.map { "\($0).time" } ?? column("time")
        let prefix = keys ?? "r"
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let since = self.since {
            conditions.append("\(time) >= ?")
            arguments += [AuditLeafTime.format(since)]
        }
        if let until = self.until {
            conditions.append("\(time) < ?")
            arguments += [AuditLeafTime.format(until)]
        }
        for (name, value) in self.textFilters {
            let match = Self.match(column(name), value)
            conditions.append(match.condition)
            arguments += [match.argument]
        }
        if let cursor {
            conditions.append("(\(time), \(prefix).instance, \(prefix).seq) > (?, ?, ?)")
            arguments += [cursor.time, cursor.instance, Int64(cursor.seq)]
        }
        return (conditions, arguments)
    }

    /// The keyed part's statements, each walking a key table in (time, instance, seq) order; no
    /// record is in two of them, so merged in that order they give the keyed rows once each.
    ///
    /// With `callers` (a v4 store) the matching callers are found first, in this snapshot `db`:
    /// one walk of the caller key table for each (none when no caller matches), or one sorted walk
    /// of all of them when more than ``AuditStoreKeys/callerWalksMerged`` match. Without (a v2 or
    /// v3 store read without upgrading), one walk of its text key tables.
    func keyedStatements(
        after cursor: AuditCursor?, limit: Int?, callers: Bool, in db: Database
    ) throws -> [(sql: String, arguments: StatementArguments)] {
        guard callers else {
            let (table, value) = AuditStoreKeys.textTable(for: self)
            return [self.keyedStatement(walking: table, key: value.map { self.keyCondition(table, $0) }, cursor, limit)]
        }
        switch AuditStoreKeys.walk(for: self) {
        case .table(let table, let value):
            return [self.keyedStatement(walking: table, key: value.map { self.keyCondition(table, $0) }, cursor, limit)]
        case .callers(let filters):
            let table = AuditStoreKeys.callerTable
            let (conditions, arguments) = AuditStoreKeys.callerConditions(filters)
            let ids = try Int64.fetchAll(
                db, sql: Self.callerLookup(conditions) + " LIMIT \(AuditStoreKeys.callerWalksMerged + 1)",
                arguments: arguments)
            guard ids.count <= AuditStoreKeys.callerWalksMerged else {
                let key = ("\(table.name).caller IN (\(Self.callerLookup(conditions)))", arguments)
                return [self.keyedStatement(walking: table, key: key, cursor, limit)]
            }
            return ids.map { id in
                self.keyedStatement(walking: table, key: ("\(table.name).caller = ?", [id]), cursor, limit)
            }
        }
    }

    /// The ids of the callers matching `conditions` (``AuditStoreKeys/callerConditions(_:)``).
    static func callerLookup(_ conditions: String) -> String {
        "SELECT caller FROM callers WHERE \(conditions) ORDER BY caller"
    }

    /// The condition selecting `value` in key table `table` (a GLOB for a pattern), with its argument.
    private func keyCondition(_ table: AuditStoreKeys.Table, _ value: String) -> (String, StatementArguments) {
        let match = Self.match("\(table.name).\(table.column ?? "time")", value)
        return (match.condition, [match.argument])
    }

    /// One walk of key table `table` (restricted by `key`) in (time, instance, seq) order, each key
    /// joined to its record, every filter checked on the record itself.
    private func keyedStatement(
        walking table: AuditStoreKeys.Table, key: (String, StatementArguments)?, _ cursor: AuditCursor?,
        _ limit: Int?
    ) -> (sql: String, arguments: StatementArguments) {
        let keys = table.name
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let key {
            conditions.append(key.0)
            arguments += key.1
        }
        // The time range and cursor on the key too, so they bound the walk.
        let (checks, checkArguments) = self.recordConditions(after: cursor, keys: keys)
        conditions += checks
        arguments += checkArguments
        if self.since != nil || self.until != nil {
            let (recordTime, recordArguments) = AuditQuery(since: self.since, until: self.until)
                .recordConditions(after: nil)
            conditions += recordTime
            arguments += recordArguments
        }
        var sql = """
            SELECT \(keys).instance, \(keys).seq, \(keys).time, r.body FROM \(keys) CROSS JOIN records AS r
            ON r.instance = \(keys).instance AND r.seq = \(keys).seq
            """
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY \(keys).time, \(keys).instance, \(keys).seq"
        if let limit {
            sql += " LIMIT ?"
            arguments += [limit]
        }
        return (sql, arguments)
    }

    /// The unkeyed tail: each instance's records from its watermark on (a range of the position
    /// index, at most a few key steps long), filtered and sorted.
    /// With `everything` (a v1 store read without upgrading: no key tables), every record, by its v1 indexes.
    func tailStatement(
        after cursor: AuditCursor?, limit: Int?, everything: Bool = false
    ) -> (sql: String, arguments: StatementArguments) {
        var (conditions, arguments) = self.recordConditions(after: cursor, columns: everything)
        let time = everything ? "r.time" : AuditStoreSchema.derived("time")
        var sql = """
            SELECT r.instance, r.seq, \(time), r.body FROM records_indexed AS w CROSS JOIN records AS r
            ON r.instance = w.instance AND r.seq >= w.next
            """
        if everything { sql = "SELECT r.instance, r.seq, r.time, r.body FROM records AS r" }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY \(time), r.instance, r.seq"
        if let limit {
            sql += " LIMIT ?"
            arguments += [limit]
        }
        return (sql, arguments)
    }

    /// How a text filter's `value` selects `column`, the one rule for every table a query reads: a
    /// pattern (with `*`) by `GLOB` of ``glob(_:)``, anything else by `=`.
    ///
    /// - Returns: The condition, with one `?`, and its argument.
    static func match(_ column: String, _ value: String) -> (condition: String, argument: String) {
        value.contains("*") ? ("\(column) GLOB ?", Self.glob(value)) : ("\(column) = ?", value)
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
        var rows: [AuditQueryRow] = []
        try self.reading { db in
            try self.merged(query, after: cursor, limit: limit + 1, in: db) { row in
                rows.append(row)
                return rows.count <= limit
            }
        }
        guard rows.count > limit else { return AuditQueryPage(rows: rows, next: nil) }
        let page = Array(rows.prefix(limit))
        return AuditQueryPage(rows: page, next: page.last?.cursor)
    }

    /// Calls `body` with every record matching `query` after `cursor`, in order, from one
    /// consistent snapshot, holding no more than one row of each part (keyed, tail) in memory;
    /// `body` returns false to stop.
    ///
    /// - Throws: ``AuditError`` (`store_failed`), or what `body` throws.
    package func stream(
        _ query: AuditQuery, after cursor: AuditCursor? = nil, _ body: (AuditQueryRow) throws -> Bool
    ) throws {
        try self.reading { db in try self.merged(query, after: cursor, limit: nil, in: db, body) }
    }

    /// How SQLite answers the keyed part of `query` (EXPLAIN QUERY PLAN's details), to check that
    /// it walks a key table; the unkeyed tail is always a range of the position index. For a walk
    /// by caller, the lookup of the callers and then one caller's walk.
    package func plan(for query: AuditQuery) throws -> [String] {
        try self.reading { db in
            var statements: [(sql: String, arguments: StatementArguments)]
            if !self.hasKeyTables {
                statements = [query.tailStatement(after: nil, limit: 100, everything: true)]
            } else {
                statements = Array(
                    try query.keyedStatements(after: nil, limit: 100, callers: self.hasCallerKeys, in: db).prefix(1))
                if self.hasCallerKeys, case .callers(let filters) = AuditStoreKeys.walk(for: query) {
                    let (conditions, arguments) = AuditStoreKeys.callerConditions(filters)
                    statements.insert((AuditQuery.callerLookup(conditions), arguments), at: 0)
                }
            }
            return try statements.flatMap { statement in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + statement.sql, arguments: statement.arguments)
                    .map { $0["detail"] as String }
            }
        }
    }

    /// The keyed part's walks and the tail of `query`, merged in (time, instance, seq) order: no
    /// two overlap (a record has keys exactly when it is below its instance's watermark, and one
    /// caller).
    private func merged(
        _ query: AuditQuery, after cursor: AuditCursor?, limit: Int?, in db: Database,
        _ body: (AuditQueryRow) throws -> Bool
    ) throws {
        let tail = query.tailStatement(after: cursor, limit: limit, everything: !self.hasKeyTables)
        var cursors = [try Row.fetchCursor(db, sql: tail.sql, arguments: tail.arguments)]
        if self.hasKeyTables {
            for keyed in try query.keyedStatements(after: cursor, limit: limit, callers: self.hasCallerKeys, in: db) {
                cursors.append(try Row.fetchCursor(db, sql: keyed.sql, arguments: keyed.arguments))
            }
        }
        var heads = try cursors.map { try $0.next().map(Self.queryRow) }
        while true {
            var first: Int?
            for index in heads.indices {
                guard let head = heads[index] else { continue }
                if let current = first.flatMap({ heads[$0] }), !Self.precedes(head, current) { continue }
                first = index
            }
            // `first` indexes a head that is not nil (it was chosen for being one).
            guard let first, let row = heads[first] else { return }
            heads[first] = try cursors[first].next().map(Self.queryRow)
            guard try body(row) else { return }
        }
    }

    /// SQLite's order of (time, instance, seq): text by bytes (BINARY), seq as a number.
    private static func precedes(_ left: AuditQueryRow, _ right: AuditQueryRow) -> Bool {
        if !left.time.utf8.elementsEqual(right.time.utf8) {
            return left.time.utf8.lexicographicallyPrecedes(right.time.utf8)
        }
        if !left.instance.utf8.elementsEqual(right.instance.utf8) {
            return left.instance.utf8.lexicographicallyPrecedes(right.instance.utf8)
        }
        return left.seq < right.seq
    }

    private static func queryRow(_ row: Row) -> AuditQueryRow {
        let seq: Int64 = row[1]
        return AuditQueryRow(instance: row[0], seq: UInt64(seq), time: row[2], body: row[3])
    }
}
