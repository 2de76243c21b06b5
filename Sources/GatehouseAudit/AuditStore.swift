import Foundation
import GRDB
import Synchronization

/// The decision log's SQLite database: records, stored Merkle nodes, checkpoints and retention anchors.
///
/// One file (default `.gatehouse/decisions.db`) in WAL mode with `synchronous=NORMAL`: a commit
/// costs no fsync, and a crash loses at most the last commits, never the database's consistency.
/// Any number of readers (queries, proofs, `audit verify`) run beside the one writer.
///
/// ```swift
/// let store = try AuditStore(path: ".gatehouse/decisions.db")
/// let page = try store.query(AuditQuery(subject: "alice"), limit: 100)
/// ```
package final class AuditStore: Sendable {
    /// Where `gatehouse serve` keeps the log unless configured otherwise.
    package static let defaultPath = ".gatehouse/decisions.db"
    /// The lowest height whose perfect-subtree roots are stored: any lower node is recomputed from
    /// at most 2^8 = 256 leaves, any higher one is one read.
    package static let storedNodeHeight = 8

    /// The database file.
    package let path: String
    let pool: DatabasePool
    /// Whether the store has the query key tables (``AuditStoreKeys``); false for a store made
    /// before them and opened read-only (not upgraded), whose queries use its v1 indexes.
    let hasKeyTables: Bool
    /// Whether the key tables are migration v4's, with one caller key (``AuditStoreKeys/callerTable``);
    /// false for a v2 or v3 store opened read-only, whose queries walk its text key tables.
    let hasCallerKeys: Bool
    /// The ids of callers committed to `callers` (never deleted or changed), so that the writer's
    /// key step finds a repeat caller without a query; bounded by ``callerIDsKept``.
    let callerIDs = Mutex<[AuditCaller: Int64]>([:])
    /// Caller ids kept at most; beyond that the map starts again (the ids stay in the table).
    static let callerIDsKept = 65_536

    /// Opens (creating if needed) the store at `path` and applies pending migrations.
    ///
    /// - Parameters:
    ///   - path: the database file; its directory is created when missing (unless `readOnly`).
    ///   - readOnly: opens without write access (queries and verification of another process's log).
    ///   - busyTimeout: how long a statement waits for a lock held by another connection before failing.
    /// - Throws: ``AuditError`` (`audit_store_unavailable`) when the file cannot be opened or migrated.
    package init(path: String, readOnly: Bool = false, busyTimeout: Duration = .seconds(5)) throws {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(
            Double(busyTimeout.components.seconds) + Double(busyTimeout.components.attoseconds) / 1e18)
        configuration.label = "gatehouse.audit"
        configuration.prepareDatabase { db in
            // NORMAL in WAL mode: durable against process crashes; a power loss may lose the last commits.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // SQLite's default 2 MB page cache makes every insert re-read index pages from the OS (profiled:
            // most writer time in kernel copies); 64 MB of cache and memory-mapped reads keep them at hand.
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA mmap_size = 268435456")
            // A new store's page size (a no-op on an existing one; this runs before WAL mode is set,
            // the last moment it can change). Each index insert dirties whole pages and each commit
            // writes them, so larger pages mean fewer page writes and B-tree splits: the writer does
            // ~1.5x more records/s with 16 KiB pages than with SQLite's 4 KiB (Tests/Benchmarks/README.md).
            try db.execute(sql: "PRAGMA page_size = 16384")
        }
        do {
            if !readOnly {
                let directory = (path as NSString).deletingLastPathComponent
                if !directory.isEmpty {
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                }
            }
            self.pool = try DatabasePool(path: path, configuration: configuration)
            if !readOnly { try AuditStoreSchema.migrator.migrate(self.pool) }
            (self.hasKeyTables, self.hasCallerKeys) = try self.pool.read { db in
                (try db.tableExists("records_indexed"), try db.tableExists("callers"))
            }
        } catch {
            throw AuditError.storeUnavailable(path: path, cause: error)
        }
    }

    /// The instances (writers) with records, checkpoints or anchors in this store, sorted.
    package func instances() throws -> [String] {
        try self.reading { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT instance FROM records GROUP BY instance
                    UNION SELECT instance FROM checkpoints UNION SELECT instance FROM anchors ORDER BY 1
                    """
            )
        }
    }

    /// How many leaves `instance`'s tree holds (its next sequence number), pruned leaves included.
    package func treeSize(of instance: String) throws -> UInt64 {
        try self.reading { db in try Self.treeSize(of: instance, in: db) }
    }

    static func treeSize(of instance: String, in db: Database) throws -> UInt64 {
        let last = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM records WHERE instance = ?", arguments: [instance])
        let anchored = try Int64.fetchOne(
            db, sql: "SELECT max(size) FROM anchors WHERE instance = ?", arguments: [instance])
        return UInt64(max(last.map { $0 + 1 } ?? 0, anchored ?? 0))
    }

    /// The first sequence number still stored for `instance` (0 unless retention pruned).
    package func firstRetainedSeq(of instance: String) throws -> UInt64 {
        try self.reading { db in
            let anchored = try Int64.fetchOne(
                db, sql: "SELECT max(size) FROM anchors WHERE instance = ?", arguments: [instance])
            return UInt64(anchored ?? 0)
        }
    }

    /// The canonical leaf bodies of `instance` at sequence numbers `range`, in order.
    ///
    /// - Throws: ``AuditError`` (`audit_store_failed`) when a leaf in the range is missing.
    package func bodies(of instance: String, in range: Range<UInt64>) throws -> [[UInt8]] {
        try self.reading { db in
            let rows = try Row.fetchCursor(
                db,
                sql: "SELECT seq, body FROM records WHERE instance = ? AND seq >= ? AND seq < ? ORDER BY seq",
                arguments: [instance, Int64(range.lowerBound), Int64(range.upperBound)]
            )
            var bodies: [[UInt8]] = []
            bodies.reserveCapacity(range.count)
            var expected = range.lowerBound
            while let row = try rows.next() {
                let seq: Int64 = row[0]
                guard UInt64(seq) == expected else { break }
                let body: String = row[1]
                bodies.append(Array(body.utf8))
                expected += 1
            }
            guard bodies.count == range.count else {
                throw AuditError.storeFailed(
                    "Instance '\(instance)' has no record at sequence number \(expected) (asked for \(range)).",
                    path: self.path
                )
            }
            return bodies
        }
    }

    /// A stored perfect-subtree root of `instance`'s tree, or nil when not stored.
    package func storedNode(of instance: String, level: Int, index: UInt64) throws -> [UInt8]? {
        try self.reading { db in
            let hash = try Data.fetchOne(
                db,
                sql: "SELECT hash FROM nodes WHERE instance = ? AND level = ? AND idx = ?",
                arguments: [instance, level, Int64(index)]
            )
            return hash.map { Array($0) }
        }
    }

    /// The latest signed checkpoint of `instance`, if any.
    package func latestCheckpoint(of instance: String) throws -> StoredCheckpoint? {
        try self.reading { db in
            try Row.fetchOne(
                db,
                sql: "SELECT size, time, note FROM checkpoints WHERE instance = ? ORDER BY rowid DESC LIMIT 1",
                arguments: [instance]
            ).map { StoredCheckpoint(instance: instance, row: $0) }
        }
    }

    /// Every signed checkpoint of `instance`, oldest first.
    package func checkpoints(of instance: String) throws -> [StoredCheckpoint] {
        try self.reading { db in
            try Row.fetchAll(
                db,
                sql: "SELECT size, time, note FROM checkpoints WHERE instance = ? ORDER BY rowid",
                arguments: [instance]
            ).map { StoredCheckpoint(instance: instance, row: $0) }
        }
    }

    /// Runs `body` on a reader connection, turning SQLite errors into ``AuditError``.
    func reading<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try self.pool.read(body)
        } catch let error as AuditError {
            throw error
        } catch {
            throw AuditError.storeFailed("Reading the decision log failed.", path: self.path, cause: error)
        }
    }
}

/// A signed checkpoint as stored: the note text is exactly what was signed and published.
package struct StoredCheckpoint: Sendable, Equatable {
    /// The writer instance whose tree it commits to.
    package var instance: String
    /// The tree size it commits to.
    package var size: UInt64
    /// When it was signed, in the log's fixed-width time format.
    package var time: String
    /// The C2SP signed note (checkpoint body and signature lines).
    package var note: String

    package init(instance: String, size: UInt64, time: String, note: String) {
        self.instance = instance
        self.size = size
        self.time = time
        self.note = note
    }

    init(instance: String, row: Row) {
        let size: Int64 = row[0]
        self.init(instance: instance, size: UInt64(size), time: row[1], note: row[2])
    }
}
