package import GatehouseCore

/// Where a decision log is kept: the SQLite file (``AuditStore``) or a PostgreSQL database
/// shared by a fleet (GatehouseAuditPostgres). The writer, the verifier, proofs, retention and
/// queries use only this; each store implements the reads and writes in its own SQL dialect.
///
/// Every instance (writer) has its own Merkle tree: records, stored nodes, checkpoints and
/// retention anchors are all keyed by instance, and one store may hold many instances' trees.
/// Methods are synchronous: the writer calls them from its own thread, the CLI from its command.
///
/// - Note: Errors thrown are ``AuditError``s, except ``appendUnwrapped(_:)``'s, which are the
///   database's own (the writer names them in a gap record through ``failureCause(_:)``).
package protocol AuditLogStore: AnyObject, DecisionLogReader {
    /// Where the store is, for messages: the SQLite file's path, or the PostgreSQL URL without its password.
    var location: String { get }

    /// The instances (writers) with records, checkpoints or anchors in this store, sorted.
    func instances() throws -> [String]
    /// How many leaves `instance`'s tree holds (its next sequence number), pruned leaves included.
    func treeSize(of instance: String) throws -> UInt64
    /// The first sequence number still stored for `instance` (0 unless retention pruned).
    func firstRetainedSeq(of instance: String) throws -> UInt64
    /// The canonical leaf bodies of `instance` at sequence numbers `range`, in order.
    ///
    /// - Throws: ``AuditError`` (`store_failed`) when a leaf in the range is missing.
    func bodies(of instance: String, in range: Range<UInt64>) throws -> [[UInt8]]
    /// A stored perfect-subtree root of `instance`'s tree, or nil when not stored.
    func storedNode(of instance: String, level: Int, index: UInt64) throws -> [UInt8]?
    /// The latest signed checkpoint of `instance`, if any.
    func latestCheckpoint(of instance: String) throws -> StoredCheckpoint?
    /// Every signed checkpoint of `instance`, oldest first.
    func checkpoints(of instance: String) throws -> [StoredCheckpoint]
    /// The first stored record (by instance, seq) with decision id `id`.
    func record(id: String) throws -> (instance: String, seq: UInt64, body: String)?

    /// The page of records matching `query` after `cursor` (at most `limit`, at least 1), in
    /// (time, instance, seq) order, with the cursor of the next page.
    func query(_ query: AuditQuery, after cursor: AuditCursor?, limit: Int) throws -> AuditQueryPage
    /// Calls `body` with every record matching `query` after `cursor`, in order, from one
    /// consistent snapshot; `body` returns false to stop.
    func stream(_ query: AuditQuery, after cursor: AuditCursor?, _ body: (AuditQueryRow) throws -> Bool) throws

    /// Runs `body` with every stored row of `instance` from sequence number `start` on, in
    /// (seq, insertion) order, in one snapshot, duplicates and gaps included: the verifier's read.
    func withStoredRows<T>(of instance: String, from start: UInt64, _ body: (inout AuditStoredRows) throws -> T)
        throws -> T

    /// Writes `batch` in one transaction (all or nothing), throwing the database's own error.
    func appendUnwrapped(_ batch: AuditBatch) throws
    /// A gap record's cause for a failed write: `store_failed: SQLITE_FULL`, `store_failed: connection_closed`, ….
    func failureCause(_ error: any Error) -> String

    /// The retention anchors of `instance` (prune point, signed note, frontier), oldest first.
    func anchors(of instance: String) throws -> [(size: UInt64, note: String, frontier: [MerkleHash])]
    /// The first kept sequence number of `instance` whose record is at or after `time`; nil when none is.
    func firstSeq(of instance: String, atOrAfter time: String) throws -> UInt64?
    /// The first sequence number of `instance` from which the kept bodies total at most `bytes`; nil when all fit.
    func firstSeq(of instance: String, keepingBytes bytes: Int64) throws -> UInt64?
    /// Writes the anchor and deletes `instance`'s records below `point`, in one transaction.
    func prune(instance: String, below point: UInt64, anchorNote: String, frontier: [MerkleHash]) throws

    /// The first sequence number of `instance` whose query keys are not built yet (SQLite's key
    /// tables, built by the writer in steps); a store whose database indexes each insert itself
    /// answers the tree size (the default).
    func keyedSize(of instance: String) throws -> UInt64
    /// Builds query keys of `instance` up to `end` (possibly in part); returns the new watermark.
    /// The default (a store whose database indexes each insert) has nothing to build.
    @discardableResult
    func buildKeys(of instance: String, upTo end: UInt64) throws -> UInt64
    /// ``buildKeys(of:upTo:)`` given the keys of the records from the watermark on, as the writer
    /// has them (``AuditKeyRow``), so a store may skip reading them from the bodies; the default
    /// ignores them.
    @discardableResult
    func buildKeys(of instance: String, rows: ArraySlice<AuditKeyRow>, upTo end: UInt64) throws -> UInt64
}

extension AuditLogStore {
    package func keyedSize(of instance: String) throws -> UInt64 {
        try self.treeSize(of: instance)
    }

    @discardableResult
    package func buildKeys(of instance: String, upTo end: UInt64) throws -> UInt64 {
        end
    }

    @discardableResult
    package func buildKeys(of instance: String, rows: ArraySlice<AuditKeyRow>, upTo end: UInt64) throws -> UInt64 {
        try self.buildKeys(of: instance, upTo: end)
    }
}

/// A store's cursor over stored rows, one row at a time (see ``AuditLogStore/withStoredRows(of:from:_:)``).
package protocol AuditStoredRowCursor {
    /// Calls `body` with the next row's sequence number and body bytes (valid only during the
    /// call); returns false, without calling it, when there are no more rows.
    mutating func next(_ body: (UInt64, UnsafeRawBufferPointer) -> Void) throws -> Bool
}

/// The verifier's cursor over an instance's stored rows: it copies bodies straight from the
/// database's row buffer into a batch, with no string or array per record.
package struct AuditStoredRows {
    private var cursor: any AuditStoredRowCursor

    package init(_ cursor: any AuditStoredRowCursor) {
        self.cursor = cursor
    }

    /// Replaces `batch`'s rows with up to `limit` more; returns whether the cursor may hold more.
    mutating func fill(_ batch: AuditVerifierBatch, limit: Int) throws -> Bool {
        batch.removeAll()
        while batch.count < limit {
            guard try self.cursor.next({ seq, body in batch.append(seq: seq, body: body) }) else { return false }
        }
        return true
    }
}
