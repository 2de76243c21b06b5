import GRDB

/// A record's caller as the query keys see it: the body's top-level `subject`, `spiffe_id` and
/// `xroad_client` (nil when absent), interned once per store into the `callers` table.
package struct AuditCaller: Hashable, Sendable {
    /// The JWT subject.
    package var subject: String?
    /// The SPIFFE ID of the client certificate.
    package var spiffeID: String?
    /// The X-Road client of the client certificate.
    package var xroadClient: String?

    /// A caller with at least one field, else nil (such a record has no caller key row).
    package init?(subject: String?, spiffeID: String?, xroadClient: String?) {
        guard subject != nil || spiffeID != nil || xroadClient != nil else { return nil }
        self.subject = subject
        self.spiffeID = spiffeID
        self.xroadClient = xroadClient
    }
}

/// The caller key (migration `v4-one-caller-key`): one key row a record instead of one for each
/// of its subject, SPIFFE ID and X-Road client.
///
/// Each distinct (subject, SPIFFE ID, X-Road client) is one row of `callers`, with an integer id;
/// `records_caller(caller, time, instance, seq)` holds one row per record that has any of the
/// three. A query by subject, SPIFFE ID or X-Road client finds the matching callers in the small
/// `callers` table (indexed by each field), then walks `records_caller` for each of them in time
/// order. As before, the key rows are only pointers: every filter is checked on the record's body.
/// Three B-tree inserts a record became one, and the one has an integer key: the key step was half
/// the writer's CPU (Tests/Benchmarks/README.md).
extension AuditStoreKeys {
    /// The caller fields, as the derived columns name them.
    static var callerColumns: [String] { AuditRecordColumns.callerColumns }

    /// Caller ids a query walks one by one (each in time order, merged); above this many, one walk
    /// of all of them sorted by SQLite.
    static let callerWalksMerged = 16

    /// `callers`' rows are unique by this expression: NULL (no such field) is the empty blob, which
    /// equals no text, not even the empty text.
    static func callerIdentity(of alias: String? = nil) -> [String] {
        self.callerColumns.map { column in "coalesce(\(alias.map { "\($0)." } ?? "")\(column), x'')" }
    }

    /// Migration v4: the callers table, the one caller key table filled from the caller fields of
    /// every keyed record's body (records below their instance's watermark), and the three text key
    /// tables dropped.
    static func migrateToCallers(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE callers (
                    caller INTEGER PRIMARY KEY, subject TEXT, spiffe_id TEXT, xroad_client TEXT);
                CREATE UNIQUE INDEX callers_identity ON callers (\(self.callerIdentity().joined(separator: ", ")));
                CREATE INDEX callers_subject ON callers (subject);
                CREATE INDEX callers_spiffe ON callers (spiffe_id);
                CREATE INDEX callers_xroad ON callers (xroad_client);
                CREATE TABLE records_caller (
                    caller INTEGER NOT NULL, time TEXT NOT NULL, instance TEXT NOT NULL, seq INTEGER NOT NULL,
                    PRIMARY KEY (caller, time, instance, seq)) WITHOUT ROWID
                """
        )
        try self.createPendingKeys(db)
        let derived = self.pendingColumns.map { AuditStoreSchema.derived($0) }.joined(separator: ", ")
        try db.execute(
            sql: """
                INSERT INTO temp.pending_keys SELECT \(derived)
                FROM records_indexed AS w CROSS JOIN records AS r ON r.instance = w.instance AND r.seq < w.next
                """
        )
        try self.insertCallerKeys(db)
        try db.execute(sql: "DELETE FROM temp.pending_keys")
        for table in ["records_subject", "records_spiffe", "records_xroad"] {
            try db.execute(sql: "DROP TABLE \(table)")
        }
    }

    /// The columns of `temp.pending_keys`, the keys of one step's records read from their bodies.
    static let pendingColumns = ["time", "instance", "seq", "id"] + AuditRecordColumns.callerColumns

    static func createPendingKeys(_ db: Database) throws {
        try db.execute(
            sql: "CREATE TEMP TABLE IF NOT EXISTS pending_keys (\(self.pendingColumns.joined(separator: ", ")))")
    }

    /// Interns the callers of the records in `temp.pending_keys` and inserts their caller key rows.
    static func insertCallerKeys(_ db: Database) throws {
        let columns = self.callerColumns.joined(separator: ", ")
        let any = self.callerColumns.map { "p.\($0) IS NOT NULL" }.joined(separator: " OR ")
        let same = zip(self.callerColumns, self.callerIdentity(of: "c")).map { column, identity in
            "\(identity) = coalesce(p.\(column), x'')"
        }
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO callers (\(columns))
                SELECT DISTINCT \(columns) FROM temp.pending_keys AS p WHERE \(any);
                INSERT OR IGNORE INTO records_caller (caller, time, instance, seq)
                SELECT c.caller, p.time, p.instance, p.seq FROM temp.pending_keys AS p CROSS JOIN callers AS c
                ON \(same.joined(separator: " AND ")) WHERE \(any) ORDER BY 1, 2, 3, 4
                """
        )
    }

    /// Deletes the caller key rows of `instance`'s records below `point` (before retention deletes
    /// them), each found from its record's caller fields. The callers stay (a few rows; later
    /// records may name them again).
    static func deleteCallerKeys(of instance: String, below point: UInt64, in db: Database) throws {
        let fields = self.callerColumns.map { AuditStoreSchema.derived($0) }
        let same = zip(fields, self.callerIdentity(of: "c")).map { field, identity in
            "\(identity) = coalesce(\(field), x'')"
        }
        try db.execute(
            sql: """
                DELETE FROM records_caller WHERE (caller, time, instance, seq) IN (
                    SELECT c.caller, \(AuditStoreSchema.derived("time")), r.instance, r.seq
                    FROM records AS r CROSS JOIN callers AS c ON \(same.joined(separator: " AND "))
                    WHERE r.instance = ? AND r.seq < ?)
                """,
            arguments: [instance, Int64(point)]
        )
    }

    /// The ids of `rows`' callers (nil for a record without one), from `known` (callers committed
    /// earlier), else looked up in or added to `callers`; the ones not in `known` are put in `added`.
    static func callerIDs(
        of rows: [AuditKeyRow], known: [AuditCaller: Int64], added: inout [AuditCaller: Int64], in db: Database
    ) throws -> [Int64?] {
        var ids: [Int64?] = []
        ids.reserveCapacity(rows.count)
        for row in rows {
            guard let caller = row.caller else {
                ids.append(nil)
                continue
            }
            if let id = known[caller] ?? added[caller] {
                ids.append(id)
                continue
            }
            let arguments: StatementArguments = [caller.subject, caller.spiffeID, caller.xroadClient]
            let same = self.callerIdentity().enumerated().map { "\($1) = coalesce(?\($0 + 1), x'')" }
            let found = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT caller FROM callers WHERE \(same.joined(separator: " AND "))"),
                arguments: arguments)
            let id: Int64
            if let found {
                id = found
            } else {
                try db.cachedStatement(
                    sql: "INSERT INTO callers (\(self.callerColumns.joined(separator: ", "))) VALUES (?, ?, ?)"
                )
                .execute(arguments: arguments)
                id = db.lastInsertedRowID
            }
            added[caller] = id
            ids.append(id)
        }
        return ids
    }

    /// How a store's keyed part is walked for a query (since migration v4).
    enum Walk {
        /// One key table, with the key's value (nil: the time table, whole).
        case table(Table, value: String?)
        /// The caller key table, for the callers matching these subject, SPIFFE and X-Road filters.
        case callers([(column: String, value: String)])
    }

    /// The caller key table: its value is the id of the record's caller in `callers`, interned
    /// from the record's three caller fields, never a column of the record.
    static let callerTable = Table(name: "records_caller", column: "caller")

    /// The walk for `query`: an exact id, else any exact caller filter or one with a literal
    /// prefix, else an id with a literal prefix, else time.
    static func walk(for query: AuditQuery) -> Walk {
        let id = query.textFilters.first { $0.column == "id" }?.value
        if let id, !id.contains("*") { return .table(self.idTable, value: id) }
        let callers = query.textFilters.filter { self.callerColumns.contains($0.column) }
        if callers.contains(where: { !$0.value.hasPrefix("*") }) { return .callers(callers) }
        if let id, !id.hasPrefix("*") { return .table(self.idTable, value: id) }
        return .table(self.timeTable, value: nil)
    }

    /// The conditions on `callers` for caller filters, with their arguments.
    static func callerConditions(_ filters: [(column: String, value: String)]) -> (String, StatementArguments) {
        var arguments: StatementArguments = []
        let conditions = filters.map { column, value in
            let match = AuditQuery.match(column, value)
            arguments += [match.argument]
            return match.condition
        }
        return (conditions.joined(separator: " AND "), arguments)
    }
}
