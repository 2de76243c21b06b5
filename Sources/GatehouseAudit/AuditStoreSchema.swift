import GRDB

/// The decision log's SQLite schema, as named migrations applied in order when a store opens.
///
/// A migration, once released, is never edited: a change is a new migration appended here, so a
/// store written by any earlier version opens and upgrades in place.
enum AuditStoreSchema {
    /// The query columns: each is derived from the record's canonical JSON `body`, so a query
    /// column can never disagree with what the Merkle tree covers.
    static let derivedColumns: [(name: String, key: String)] = [
        ("id", "id"), ("time", "time"), ("kind", "kind"), ("decision", "decision"), ("reason", "reason"),
        ("subject", "subject"), ("spiffe_id", "spiffe_id"), ("xroad_client", "xroad_client"), ("host", "host"),
        ("path", "path"), ("policy_revision", "policy_revision"), ("rule", "rule"),
    ]

    /// The SQL that reads derived column `column` of the records row `alias` (nil: unqualified):
    /// the body's top-level key, as the generated columns before migration v3 were. Any other
    /// column (`instance`, `seq`, `body`) is itself.
    static func derived(_ column: String, of alias: String? = "r") -> String {
        let body = alias.map { "\($0).body" } ?? "body"
        guard let key = self.derivedColumns.first(where: { $0.name == column })?.key else {
            return alias.map { "\($0).\(column)" } ?? column
        }
        return "json_extract(\(body), '$.\(key)')"
    }

    /// The migrator with every migration, oldest first.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-records-nodes-checkpoints") { db in
            try db.execute(sql: self.recordsTable)
            for statement in self.recordIndexes { try db.execute(sql: statement) }
            try db.execute(sql: self.nodesTable)
            try db.execute(sql: self.checkpointsTable)
            try db.execute(sql: self.anchorsTable)
        }
        migrator.registerMigration("v2-query-keys-off-the-write-path") { db in
            try AuditStoreKeys.migrate(db)
        }
        migrator.registerMigration("v3-derived-columns-off-the-insert-path") { db in
            // SQLite computes every generated column on INSERT, VIRTUAL ones too (to check
            // constraints): twelve json_extract calls per record, a quarter of the writer's time
            // (Tests/Benchmarks/README.md). Reads use ``derived(_:of:)`` instead. Dropping a VIRTUAL
            // column rewrites only the schema, not the rows: instant on any store.
            for column in self.derivedColumns {
                try db.execute(sql: "ALTER TABLE records DROP COLUMN \(column.name)")
            }
        }
        migrator.registerMigration("v4-one-caller-key") { db in
            // One integer caller key a record instead of a text key each for its subject, SPIFFE ID
            // and X-Road client (AuditStoreCallers.swift): the key step was half the writer's CPU.
            try AuditStoreKeys.migrateToCallers(db)
        }
        return migrator
    }

    /// One row per record. `body` is the canonical JSON leaf, stored verbatim (TEXT: SQLite's JSON
    /// functions read text, and the bytes are valid UTF-8 by construction); the rowid keeps inserts
    /// appending at the end of the table's B-tree.
    private static var recordsTable: String {
        let columns = self.derivedColumns.map { column in
            "\(column.name) TEXT GENERATED ALWAYS AS (json_extract(body, '$.\(column.key)')) VIRTUAL"
        }
        return """
            CREATE TABLE records (
                instance TEXT NOT NULL,
                seq INTEGER NOT NULL,
                body TEXT NOT NULL,
                \(columns.joined(separator: ",\n    "))
            )
            """
    }

    /// The indexes queries use. Every index costs insert time (each evaluates `json_extract`), so
    /// only the columns auditors select on without a time range get one; the others are filtered
    /// while walking the time index.
    private static let recordIndexes = [
        "CREATE UNIQUE INDEX records_position ON records(instance, seq)",
        "CREATE INDEX records_time ON records(time, instance, seq)",
        "CREATE INDEX records_subject ON records(subject, time, instance, seq) WHERE subject IS NOT NULL",
        "CREATE INDEX records_spiffe ON records(spiffe_id, time, instance, seq) WHERE spiffe_id IS NOT NULL",
        "CREATE INDEX records_xroad ON records(xroad_client, time, instance, seq) WHERE xroad_client IS NOT NULL",
        "CREATE INDEX records_id ON records(id)",
    ]

    /// Perfect-subtree roots of each instance's tree from height ``AuditStore/storedNodeHeight`` up:
    /// node (`level`, `idx`) covers leaves `idx << level ..< (idx + 1) << level`.
    private static let nodesTable = """
        CREATE TABLE nodes (
            instance TEXT NOT NULL,
            level INTEGER NOT NULL,
            idx INTEGER NOT NULL,
            hash BLOB NOT NULL,
            PRIMARY KEY (instance, level, idx)
        ) WITHOUT ROWID
        """

    /// Every signed checkpoint, in the order written (an idle writer re-signs the same size with a newer time).
    private static let checkpointsTable = """
        CREATE TABLE checkpoints (
            instance TEXT NOT NULL,
            size INTEGER NOT NULL,
            time TEXT NOT NULL,
            note TEXT NOT NULL
        );
        CREATE INDEX checkpoints_instance ON checkpoints(instance, size)
        """

    /// Where retention pruned an instance's log: the signed checkpoint at the prune point and the
    /// frontier (the perfect-subtree roots of that size, left to right), so the retained records
    /// still verify against every later checkpoint.
    private static let anchorsTable = """
        CREATE TABLE anchors (
            instance TEXT NOT NULL,
            size INTEGER NOT NULL,
            note TEXT NOT NULL,
            frontier BLOB NOT NULL,
            PRIMARY KEY (instance, size)
        )
        """
}
