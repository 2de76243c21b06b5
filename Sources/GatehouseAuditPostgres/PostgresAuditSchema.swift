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
///
/// Since v2 the query indexes hold two 8-byte integers an entry, not text: ``QueryKey`` lists the
/// key columns the inserts compute beside the text ones, and ``PostgresAuditSchema/v2`` says why.
package enum PostgresAuditSchema {
    /// The migrations, oldest first. Once released, a migration is never edited.
    package static let migrations: [(name: String, statements: [String])] = [
        ("v1-records-nodes-checkpoints", v1),
        ("v2-integer-query-keys", v2),
    ]

    /// A query index's integer key: a bigint column computed from a text column on insert.
    struct QueryKey {
        /// The key column.
        var name: String
        /// The text column it is computed from.
        var source: String

        /// The SQL computing the key from `value` (a text expression): `time_key()` for the time,
        /// else the text's 64-bit hash.
        func expression(_ value: String) -> String {
            self.source == "time"
                ? "gatehouse_audit.time_key(\(value))" : "hashtextextended(\(value) COLLATE \"C\", 0)"
        }
    }

    /// The key columns, in the order the inserts write them.
    static let queryKeys = [
        QueryKey(name: "time_key", source: "time"), QueryKey(name: "subject_key", source: "subject"),
        QueryKey(name: "spiffe_key", source: "spiffe_id"), QueryKey(name: "xroad_key", source: "xroad_client"),
    ]

    /// The key column for an exact filter on text column `column`, if that column has one.
    static func queryKey(for column: String) -> QueryKey? {
        self.queryKeys.first { $0.source == column && $0.source != "time" }
    }

    /// Serializes migrations between replicas starting at once (a transaction-level advisory lock).
    static let migrationLockKey: Int64 = 0x6761_7465_6175_6469  // "gateaudi"

    /// Inserts one batch: `$1` the instance, `$2` the sequence numbers, `$3` the bodies, then one
    /// array per query column in ``AuditRecordColumns/derived`` order (``PostgresAuditColumns``),
    /// each of one element per record. The integer keys (``queryKeys``) are computed here from the
    /// text columns, once a row (stored generated columns for them measured no cheaper than the
    /// text indexes: PostgreSQL forms the ~1 KB row a second time to add them).
    static let insertRecords: String = {
        let derived = AuditRecordColumns.derived
        let arrays = (0..<derived.count + 2).map { "$\($0 + 2)::\($0 == 0 ? "bigint" : "text")[]" }
        let names = derived.map(\.name)
        return """
            INSERT INTO gatehouse_audit.records (instance, seq, body, \(names.joined(separator: ", ")), \(keyNames))
            SELECT $1, seq, body, \(names.joined(separator: ", ")), \(keyExpressions)
            FROM unnest(\(arrays.joined(separator: ", "))) AS t(seq, body, \(names.joined(separator: ", ")))
            """
    }()

    /// The key columns' names, as the inserts list them.
    private static var keyNames: String { queryKeys.map(\.name).joined(separator: ", ") }

    /// The key columns computed from the text columns of the row being inserted.
    private static var keyExpressions: String {
        queryKeys.map { $0.expression($0.source) }.joined(separator: ", ")
    }

    /// Inserts one batch deriving the query columns in PostgreSQL: `$1` the instance, `$2` the
    /// sequence numbers, `$3` the bodies (arrays of one element per record), each body parsed once
    /// (`OFFSET 0` keeps the parse from being inlined into every column's expression) and its
    /// query columns taken from it.
    static var insertRecordsDeriving: String {
        let derived = AuditRecordColumns.derived
        let names = derived.map(\.name)
        return """
            INSERT INTO gatehouse_audit.records (instance, seq, body, \(names.joined(separator: ", ")), \(keyNames))
            SELECT $1, seq, body, \(names.joined(separator: ", ")), \(keyExpressions)
            FROM (
                SELECT seq, body, \(derived.map { "doc->>'\($0.key)' AS \($0.name)" }.joined(separator: ", "))
                FROM (SELECT seq, body, body::jsonb AS doc FROM unnest($2::bigint[], $3::text[]) AS t(seq, body) OFFSET 0) AS t
            ) AS t
            """
    }

    /// v2: the four query indexes on integer keys. With text keys (`subject, time, instance, seq`)
    /// an entry took ~75 bytes, too wide for PostgreSQL's split rule for grouped ascending inserts
    /// (at most two 8-byte integers), so each subject's, SPIFFE ID's and X-Road client's insertion
    /// point split its leaf pages in half: 117-154 bytes of index a record each, 560 for all six
    /// indexes, 1,900 bytes of WAL. With (hash of the key, time key) the three take 20-27 bytes, the
    /// time index 9, WAL 1,520, and PostgreSQL's work a record falls by 3-4 µs
    /// (Tests/Benchmarks/README.md). The hash only finds the rows: each query also compares the text
    /// itself, so a collision costs a row read, never a wrong answer.
    ///
    /// `time_key` is the time's digits up to 100 µs (`2026-12-06T00:35:12.1234` → 202612060035121234),
    /// non-decreasing in the fixed-width time every record carries (``AuditLeafTime``: always
    /// `YYYY-MM-DDTHH:MM:SS.` and nine digits, years 0000-9999), so ordering by (time_key, time,
    /// instance, seq) is ordering by (time, instance, seq). A time of another shape, which no writer
    /// makes, is refused with PostgreSQL's `invalid input syntax for type bigint` (a guard checking
    /// the shape first, a regular expression, cost more than the new indexes save). Existing rows
    /// get their keys here, the UPDATE trigger left out (it would parse every body again): a one-off
    /// rewrite of the table, minutes for millions of records.
    private static var v2: [String] {
        let derived = AuditRecordColumns.derived
        let assignments = derived.map { "NEW.\($0.name) := doc->>'\($0.key)';" }.joined(separator: "\n    ")
        let keys = queryKeys.map { "NEW.\($0.name) := \($0.expression("NEW.\($0.source)"));" }.joined(
            separator: "\n    ")
        return [
            """
            CREATE FUNCTION gatehouse_audit.time_key(t text) RETURNS bigint
            LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
                SELECT translate(left(t, 24), '-T:.', '')::bigint
            $$
            """,
            "ALTER TABLE gatehouse_audit.records "
                + queryKeys.map { "ADD COLUMN \($0.name) bigint" }.joined(separator: ", "),
            "ALTER TABLE gatehouse_audit.records DISABLE TRIGGER derive_columns",
            "UPDATE gatehouse_audit.records SET "
                + queryKeys.map { "\($0.name) = \($0.expression($0.source))" }.joined(separator: ", "),
            "ALTER TABLE gatehouse_audit.records ENABLE TRIGGER derive_columns",
            // A body edited by hand keeps its columns and keys in step.
            """
            CREATE OR REPLACE FUNCTION gatehouse_audit.derive_columns() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                doc jsonb := NEW.body::jsonb;
            BEGIN
                \(assignments)
                \(keys)
                RETURN NEW;
            END
            $$
            """,
            "DROP INDEX gatehouse_audit.records_time",
            "DROP INDEX gatehouse_audit.records_subject",
            "DROP INDEX gatehouse_audit.records_spiffe",
            "DROP INDEX gatehouse_audit.records_xroad",
            "CREATE INDEX records_time_key ON gatehouse_audit.records (time_key)",
            """
            CREATE INDEX records_subject_key ON gatehouse_audit.records (subject_key, time_key)
            WHERE subject_key IS NOT NULL
            """,
            """
            CREATE INDEX records_spiffe_key ON gatehouse_audit.records (spiffe_key, time_key)
            WHERE spiffe_key IS NOT NULL
            """,
            """
            CREATE INDEX records_xroad_key ON gatehouse_audit.records (xroad_key, time_key)
            WHERE xroad_key IS NOT NULL
            """,
        ]
            // A query states both `subject = $1` and `subject_key = hash($1)`; taken as independent,
            // the two would be estimated at a thousandth of the rows they match, and PostgreSQL would
            // read and sort all of a subject's rows instead of scanning its index in order up to the
            // page's end (measured: 10 ms instead of 0.4 ms for one subject at 1 M records).
            + queryKeys.filter { $0.source != "time" }.map { key in
                """
                CREATE STATISTICS gatehouse_audit.records_\(key.name)_dependency (dependencies)
                ON \(key.source), \(key.name) FROM gatehouse_audit.records
                """
            } + ["ANALYZE gatehouse_audit.records"]
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
