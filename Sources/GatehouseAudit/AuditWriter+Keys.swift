import Foundation
import GatehouseCore
import Synchronization

extension AuditWriter {
    /// Unkeyed records that start a key step at once (the tail a query scans stays about this short).
    static let keyStepThreshold: UInt64 = 16_384
    /// Key rows kept for the next steps at most: beyond that (steps failing for long) they are
    /// dropped and the steps read the bodies instead, so the buffer cannot grow without bound.
    static let keyRowsKept = 4 * AuditStore.keyStepRecords

    /// The writer's side of the query keys: its instance's watermark (records below it have keys),
    /// when keys were last built, and the keys of the records written since (``AuditKeyRow``).
    struct KeyState {
        var keyed: UInt64
        var built: UnixTime
        /// Keys of consecutive records written by this writer, oldest first; those below
        /// `keyed` are dropped after each step. Empty after a restart until the next write.
        var rows: [AuditKeyRow] = []

        /// Adds the keys of records just written, dropping all when too many wait.
        mutating func add(_ written: [AuditKeyRow]) {
            if self.rows.count + written.count > AuditWriter.keyRowsKept { self.rows.removeAll() }
            self.rows += written
        }
    }

    /// Builds the query keys of the records written since the last step (from the keys the writer
    /// kept, ``AuditStore/buildKeys(of:rows:upTo:)``) when ``keyStepThreshold`` of them wait or a
    /// checkpoint interval has passed; `all` builds every one now (at shutdown, so that a
    /// restarted server's queries start with no tail).
    ///
    /// A failed step changes nothing and is retried at the next flush: queries still see the
    /// records, by scanning the longer tail, so a failure is neither a gap nor a store failure.
    func buildKeys(all: Bool) {
        let size = self.treeSize
        var state = self.keys.withLock { $0 }
        guard size > state.keyed else { return }
        let interval = self.settings.checkpointInterval.components
        let elapsed = self.now().nanosecondsSinceEpoch - state.built.nanosecondsSinceEpoch
        let timed = elapsed >= interval.seconds * 1_000_000_000 + interval.attoseconds / 1_000_000_000
        guard all || timed || size - state.keyed >= Self.keyStepThreshold else { return }
        do {
            repeat {
                let start = state.rows.firstIndex { $0.seq >= state.keyed } ?? state.rows.endIndex
                state.keyed = try self.store.buildKeys(of: self.instance, rows: state.rows[start...], upTo: size)
                state.rows.removeFirst(state.rows.firstIndex { $0.seq >= state.keyed } ?? state.rows.endIndex)
            } while all && state.keyed < size
        } catch {
            return
        }
        state.built = self.now()
        let built = state
        self.keys.withLock { $0 = built }
    }
}
