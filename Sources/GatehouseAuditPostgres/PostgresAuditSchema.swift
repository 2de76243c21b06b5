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
/// Since v2 the query indexes hold integers, not text (``PostgresAuditSchema/v2`` says why); since
/// v3 a record's subject, SPIFFE ID and X-Road client are one integer caller id, the caller kept
/// once in `callers` (``PostgresAuditSchema/v3``).
package enum PostgresAuditSchema {
    /// The migrations, oldest first. Once released, a migration is never edited.
    package static let migrations: [(name: String, statements: [String])] = [
        ("v1-records-nodes-checkpoints", v1),
        ("v2-integer-query-keys", v2),
        ("v3-one-caller-key", v3),
        ("v4-callers-interned-in-one-call", v4),
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

    /// v2's key columns on `records`, in the order its inserts wrote them. Since v3 `records` keeps
    /// only `time_key`; the others are columns of `callers` (``callerKeys``).
    static let queryKeys = [
        QueryKey(name: "time_key", source: "time"), QueryKey(name: "subject_key", source: "subject"),
        QueryKey(name: "spiffe_key", source: "spiffe_id"), QueryKey(name: "xroad_key", source: "xroad_client"),
    ]

    /// The caller's fields (v3): query columns kept in `callers`, once per distinct caller, not in
    /// every record; `records.caller_id` names the row.
    static var callerColumns: [String] { AuditRecordColumns.callerColumns }

    /// The hash key of each caller field in `callers`, which its lookups use.
    static var callerKeys: [QueryKey] { queryKeys.filter { callerColumns.contains($0.source) } }

    /// The query columns `records` keeps since v3 (``AuditRecordColumns/derived`` without the
    /// caller's fields), in that order.
    static let recordColumns = AuditRecordColumns.derived.filter { !callerColumns.contains($0.name) }

    /// The hash key for an exact filter on caller field `column`, if it is one.
    static func callerKey(for column: String) -> QueryKey? {
        self.callerKeys.first { $0.source == column }
    }

    /// Serializes migrations between replicas starting at once (a transaction-level advisory lock).
    static let migrationLockKey: Int64 = 0x6761_7465_6175_6469  // "gateaudi"

    /// Inserts one batch: `$1` the instance, `$2` the sequence numbers, `$3` the bodies, then one
    /// `text[]` per column of ``recordColumns`` (``PostgresAuditColumns``), the time keys (`bigint[]`,
    /// read by the store, NULL where PostgreSQL computes `time_key()` itself) and the caller ids
    /// (`integer[]`, NULL for a record without caller; ``PostgresAuditStore/callerIDs(_:on:logger:)``),
    /// each of one element per record. Stored generated columns were measured no cheaper than
    /// computing a key in the statement: PostgreSQL forms the ~1 KB row a second time.
    ///
    /// The arrays are unnested in the select list, which PostgreSQL runs in lockstep and streams
    /// row by row; `unnest(a, b, …)` in `FROM` first copies the whole batch into a tuple store,
    /// which spills to a temporary file beyond `work_mem` (4 MB by default; a batch of 16,384
    /// records is ~16 MB): 1.6 µs a record more of the backend's CPU, measured
    /// (Tests/Benchmarks/README.md).
    static let insertRecords: String = {
        let names = ["seq", "body"] + recordColumns.map(\.name)
        var unnested = names.enumerated().map { index, name in
            "unnest($\(index + 2)::\(index == 0 ? "bigint" : "text")[]) AS \(name)"
        }
        unnested.append("unnest($\(names.count + 2)::bigint[]) AS sent_time_key")
        unnested.append("unnest($\(names.count + 3)::integer[]) AS caller_id")
        return """
            INSERT INTO gatehouse_audit.records (instance, \(names.joined(separator: ", ")), caller_id, time_key)
            SELECT $1, \(names.joined(separator: ", ")), caller_id, coalesce(sent_time_key, gatehouse_audit.time_key(time))
            FROM (SELECT \(unnested.joined(separator: ", "))) AS t
            """
    }()

    /// Inserts one batch deriving the query columns in PostgreSQL: `$1` the instance, `$2` the
    /// sequence numbers, `$3` the bodies (arrays of one element per record), each body parsed once
    /// (`OFFSET 0` keeps the parse from being inlined into every column's expression), its query
    /// columns taken from it and its caller interned row by row (``v3``'s `caller_id()`).
    static var insertRecordsDeriving: String {
        let names = recordColumns.map(\.name)
        let callers = callerColumns.map { "doc->>'\($0)'" }.joined(separator: ", ")
        return """
            INSERT INTO gatehouse_audit.records (instance, seq, body, \(names.joined(separator: ", ")), caller_id, time_key)
            SELECT $1, seq, body, \(names.joined(separator: ", ")), gatehouse_audit.caller_id(\(callers)),
                gatehouse_audit.time_key(time)
            FROM (
                SELECT seq, body, doc, \(recordColumns.map { "doc->>'\($0.key)' AS \($0.name)" }.joined(separator: ", "))
                FROM (SELECT seq, body, body::jsonb AS doc FROM unnest($2::bigint[], $3::text[]) AS t(seq, body) OFFSET 0) AS t
            ) AS t
            """
    }

    /// The ids of the callers `$1`, `$2`, `$3` (the subjects, SPIFFE IDs and X-Road clients, one
    /// element a caller), each added to `callers` when new, with each one's position (1-based):
    /// one round trip (``v4``). Run outside the batch's transaction, so a caller's id, once read,
    /// is never rolled back.
    static let internCallers = "SELECT n, id FROM gatehouse_audit.intern_callers($1::text[], $2::text[], $3::text[])"

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

    /// v3: one integer caller key a record instead of three hash keys. A record's subject, SPIFFE ID
    /// and X-Road client (its caller) are kept once per distinct caller in `callers`, and the record
    /// holds the caller's id: one index `(caller_id, time_key)` instead of the subject's, SPIFFE
    /// ID's and X-Road client's, so a record enters four B-trees instead of six, and ~100 bytes of
    /// text leave every row (the SQLite store's `v4-one-caller-key` made the same move). A query by
    /// any of the three finds the callers first (`callers` is small, and each field's hash key is
    /// indexed there), then their records in time order (``AuditQuery/postgresStatement(after:limit:)``).
    ///
    /// `callers` is unique on a digest of the three fields (NULL included), which any length of
    /// text fits (a B-tree entry over the text itself could not take a value beyond ~2,700 bytes).
    /// The store interns a batch's new callers before the batch (``internCallers``); a body
    /// PostgreSQL must read itself, and the UPDATE trigger, intern theirs with `caller_id()`.
    /// Existing rows get their caller here, once (a rewrite of the table, like v2's); the dropped
    /// columns' bytes stay in those rows until PostgreSQL rewrites them.
    private static var v3: [String] {
        let assignments = recordColumns.map { "NEW.\($0.name) := doc->>'\($0.key)';" }.joined(separator: "\n    ")
        let callerArguments = callerColumns.map { "doc->>'\($0)'" }.joined(separator: ", ")
        let fields = callerColumns.joined(separator: ", ")
        let keys = callerKeys.map(\.name).joined(separator: ", ")
        let keyValues = callerKeys.map { $0.expression($0.source) }.joined(separator: ", ")
        let argumentKeys = callerKeys.map { key in
            key.expression(["subject": "s", "spiffe_id": "p", "xroad_client": "x"][key.source]!)
        }.joined(separator: ", ")
        return [
            // Each field as `-` (absent) or `+`, its length in bytes, `:` and itself: no two callers
            // alike. Only immutable functions (`decode(…, 'escape')` with the backslashes doubled is
            // the text's bytes; `convert_to` and `text || integer` are not), so PostgreSQL inlines it:
            // a third less time for a batch of new callers, measured.
            """
            CREATE FUNCTION gatehouse_audit.caller_digest(s text, p text, x text) RETURNS bytea
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                SELECT sha256(decode(replace(coalesce('+' || octet_length(s)::text || ':' || s, '-')
                    || coalesce('+' || octet_length(p)::text || ':' || p, '-')
                    || coalesce('+' || octet_length(x)::text || ':' || x, '-'), '\\', '\\\\'), 'escape'))
            $$
            """,
            """
            CREATE TABLE gatehouse_audit.callers (
                id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                digest bytea NOT NULL UNIQUE,
                \(callerColumns.map { "\($0) text COLLATE \"C\"" }.joined(separator: ", ")),
                \(callerKeys.map { "\($0.name) bigint" }.joined(separator: ", "))
            )
            """,
            "CREATE INDEX callers_subject_key ON gatehouse_audit.callers (subject_key) WHERE subject_key IS NOT NULL",
            "CREATE INDEX callers_spiffe_key ON gatehouse_audit.callers (spiffe_key) WHERE spiffe_key IS NOT NULL",
            "CREATE INDEX callers_xroad_key ON gatehouse_audit.callers (xroad_key) WHERE xroad_key IS NOT NULL",
            // The id of caller (s, p, x), added when new; NULL for a record without any of the three.
            """
            CREATE FUNCTION gatehouse_audit.caller_id(s text, p text, x text) RETURNS integer
            LANGUAGE plpgsql AS $$
            DECLARE
                wanted bytea := gatehouse_audit.caller_digest(s, p, x);
                found integer;
            BEGIN
                IF s IS NULL AND p IS NULL AND x IS NULL THEN
                    RETURN NULL;
                END IF;
                SELECT c.id INTO found FROM gatehouse_audit.callers c WHERE c.digest = wanted;
                IF found IS NULL THEN
                    INSERT INTO gatehouse_audit.callers (digest, \(fields), \(keys))
                    VALUES (wanted, s, p, x, \(argumentKeys)) ON CONFLICT (digest) DO NOTHING;
                    SELECT c.id INTO found FROM gatehouse_audit.callers c WHERE c.digest = wanted;
                END IF;
                RETURN found;
            END
            $$
            """,
            """
            INSERT INTO gatehouse_audit.callers (digest, \(fields), \(keys))
            SELECT gatehouse_audit.caller_digest(\(fields)), \(fields), \(keyValues)
            FROM (SELECT DISTINCT \(fields) FROM gatehouse_audit.records
                WHERE \(callerColumns.map { "\($0) IS NOT NULL" }.joined(separator: " OR "))) AS d
            """,
            "ALTER TABLE gatehouse_audit.records ADD COLUMN caller_id integer",
            "ALTER TABLE gatehouse_audit.records DISABLE TRIGGER derive_columns",
            """
            UPDATE gatehouse_audit.records r SET caller_id = c.id FROM gatehouse_audit.callers c
            WHERE c.digest = gatehouse_audit.caller_digest(\(callerColumns.map { "r.\($0)" }.joined(separator: ", ")))
            """,
            "ALTER TABLE gatehouse_audit.records ENABLE TRIGGER derive_columns",
            // A body edited by hand keeps its columns, time key and caller in step.
            """
            CREATE OR REPLACE FUNCTION gatehouse_audit.derive_columns() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE
                doc jsonb := NEW.body::jsonb;
            BEGIN
                \(assignments)
                NEW.time_key := gatehouse_audit.time_key(NEW.time);
                NEW.caller_id := gatehouse_audit.caller_id(\(callerArguments));
                RETURN NEW;
            END
            $$
            """,
            // Dropping the columns drops their indexes and v2's dependency statistics with them.
            "ALTER TABLE gatehouse_audit.records "
                + (callerColumns + callerKeys.map(\.name)).map { "DROP COLUMN \($0)" }.joined(separator: ", "),
            """
            CREATE INDEX records_caller ON gatehouse_audit.records (caller_id, time_key)
            WHERE caller_id IS NOT NULL
            """,
            "ANALYZE gatehouse_audit.records",
            "ANALYZE gatehouse_audit.callers",
        ]
    }

    /// v4: callers interned by one function, `intern_callers(subjects, SPIFFE IDs, X-Road clients)`,
    /// which adds the new ones and returns every one's id with its position. Before, the store sent
    /// the same insert as v3's `caller_id()` held (the SQL written twice) and then read the ids in a
    /// second round trip; now the store calls it once a batch with new callers (``internCallers``)
    /// and `caller_id()`, which the UPDATE trigger and the deriving insert use, calls it for one.
    /// PL/pgSQL takes a new snapshot for each statement, so the read sees a caller that a
    /// concurrent writer committed while the insert waited on it.
    private static var v4: [String] {
        let fields = callerColumns.joined(separator: ", ")
        let keys = callerKeys.map(\.name).joined(separator: ", ")
        let keyValues = callerKeys.map { key in
            key.expression(["subject": "t.s", "spiffe_id": "t.p", "xroad_client": "t.x"][key.source]!)
        }.joined(separator: ", ")
        return [
            """
            CREATE FUNCTION gatehouse_audit.intern_callers(s text[], p text[], x text[])
            RETURNS TABLE (n bigint, id integer) LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO gatehouse_audit.callers (digest, \(fields), \(keys))
                SELECT gatehouse_audit.caller_digest(t.s, t.p, t.x), t.s, t.p, t.x, \(keyValues)
                FROM unnest(s, p, x) AS t(s, p, x)
                WHERE t.s IS NOT NULL OR t.p IS NOT NULL OR t.x IS NOT NULL
                ON CONFLICT (digest) DO NOTHING;
                RETURN QUERY SELECT t.n, c.id FROM unnest(s, p, x) WITH ORDINALITY AS t(s, p, x, n)
                    JOIN gatehouse_audit.callers c ON c.digest = gatehouse_audit.caller_digest(t.s, t.p, t.x);
            END
            $$
            """,
            // The id of caller (s, p, x), added when new; NULL for a record without any of the three.
            """
            CREATE OR REPLACE FUNCTION gatehouse_audit.caller_id(s text, p text, x text) RETURNS integer
            LANGUAGE sql AS $$
                SELECT CASE WHEN s IS NOT NULL OR p IS NOT NULL OR x IS NOT NULL THEN
                    (SELECT i.id FROM gatehouse_audit.intern_callers(ARRAY[s], ARRAY[p], ARRAY[x]) AS i)
                END
            $$
            """,
        ]
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
