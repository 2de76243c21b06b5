import GatehouseAudit

/// The decision log's PostgreSQL schema: the SQLite store's tables (records, nodes, checkpoints,
/// anchors) in a schema of their own, `gatehouse_audit`, as named migrations applied in order.
///
/// The two dialects differ only where they must: PostgreSQL has no virtual generated columns, and
/// its stored ones (or a row trigger) cost 50-200 µs a record to derive twelve columns from JSON
/// (measured: PL/pgSQL assigns each field by copying the row; each generated column parses the body
/// again). So the query columns (``AuditRecordColumns/derived``, the same list SQLite's generated
/// columns come from) are read from each body by the store (``PostgresAuditColumns``, exactly
/// `body::jsonb ->> key`) and inserted beside it (``insertRecords``); parsing the bodies in the
/// database instead (``insertRecordsDeriving``, kept for a body the store's reader does not cover)
/// cost 14 µs a record of PostgreSQL's time. A trigger derives them again on any UPDATE, so
/// editing a body or a column by hand cannot leave them disagreeing.
/// Text columns use the "C" collation: byte order, as SQLite compares, so cursors and ordering
/// agree across stores (and btree comparisons stay cheap).
enum PostgresAuditSchema {
    /// The migrations, oldest first. Once released, a migration is never edited.
    static let migrations: [(name: String, statements: [String])] = [
        ("v1-records-nodes-checkpoints", v1)
    ]

    /// Serializes migrations between replicas starting at once (a transaction-level advisory lock).
    static let migrationLockKey: Int64 = 0x6761_7465_6175_6469  // "gateaudi"

    /// Inserts one batch: `$1` the instance, `$2` the sequence numbers, `$3` the bodies, then one
    /// array per query column in ``AuditRecordColumns/derived`` order (``PostgresAuditColumns``),
    /// each of one element per record.
    static let insertRecords: String = {
        let derived = AuditRecordColumns.derived
        let arrays = (0..<derived.count + 2).map { "$\($0 + 2)::\($0 == 0 ? "bigint" : "text")[]" }
        return """
            INSERT INTO gatehouse_audit.records (instance, seq, body, \(derived.map(\.name).joined(separator: ", ")))
            SELECT $1, * FROM unnest(\(arrays.joined(separator: ", ")))
            """
    }()

    /// Inserts one batch deriving the query columns in PostgreSQL: `$1` the instance, `$2` the
    /// sequence numbers, `$3` the bodies (arrays of one element per record), each body parsed once
    /// (`OFFSET 0` keeps the parse from being inlined into every column's expression) and its
    /// query columns taken from it.
    static var insertRecordsDeriving: String {
        let derived = AuditRecordColumns.derived
        return """
            INSERT INTO gatehouse_audit.records (instance, seq, body, \(derived.map(\.name).joined(separator: ", ")))
            SELECT $1, seq, body, \(derived.map { "doc->>'\($0.key)'" }.joined(separator: ", "))
            FROM (SELECT seq, body, body::jsonb AS doc FROM unnest($2::bigint[], $3::text[]) AS t(seq, body) OFFSET 0) AS t
            """
    }

    private static var v1: [String] {
        let derived = AuditRecordColumns.derived
        let columns = derived.map { "\($0.name) text COLLATE \"C\"" }.joined(separator: ",\n    ")
        let assignments = derived.map { "NEW.\($0.name) := doc->>'\($0.key)';" }.joined(separator: "\n    ")
        return [
            """
            CREATE TABLE gatehouse_audit.records (
                instance text COLLATE "C" NOT NULL,
                seq bigint NOT NULL,
                body text NOT NULL,
                \(columns),
                PRIMARY KEY (instance, seq)
            )
            """,
            """
            CREATE FUNCTION gatehouse_audit.derive_columns() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                doc jsonb := NEW.body::jsonb;
            BEGIN
                \(assignments)
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER derive_columns BEFORE UPDATE ON gatehouse_audit.records
            FOR EACH ROW EXECUTE FUNCTION gatehouse_audit.derive_columns()
            """,
            // The SQLite store's indexes, one for one (AuditStoreSchema v1).
            "CREATE INDEX records_time ON gatehouse_audit.records (time, instance, seq)",
            """
            CREATE INDEX records_subject ON gatehouse_audit.records (subject, time, instance, seq)
            WHERE subject IS NOT NULL
            """,
            """
            CREATE INDEX records_spiffe ON gatehouse_audit.records (spiffe_id, time, instance, seq)
            WHERE spiffe_id IS NOT NULL
            """,
            """
            CREATE INDEX records_xroad ON gatehouse_audit.records (xroad_client, time, instance, seq)
            WHERE xroad_client IS NOT NULL
            """,
            "CREATE INDEX records_id ON gatehouse_audit.records (id)",
            """
            CREATE TABLE gatehouse_audit.nodes (
                instance text COLLATE "C" NOT NULL,
                level integer NOT NULL,
                idx bigint NOT NULL,
                hash bytea NOT NULL,
                PRIMARY KEY (instance, level, idx)
            )
            """,
            // `pos` keeps the order written, as SQLite's rowid does.
            """
            CREATE TABLE gatehouse_audit.checkpoints (
                pos bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                instance text COLLATE "C" NOT NULL,
                size bigint NOT NULL,
                time text COLLATE "C" NOT NULL,
                note text NOT NULL
            )
            """,
            "CREATE INDEX checkpoints_instance ON gatehouse_audit.checkpoints (instance, pos)",
            """
            CREATE TABLE gatehouse_audit.anchors (
                instance text COLLATE "C" NOT NULL,
                size bigint NOT NULL,
                note text NOT NULL,
                frontier bytea NOT NULL,
                PRIMARY KEY (instance, size)
            )
            """,
        ]
    }
}
