import Foundation
import GatehouseCore
import Synchronization

extension AuditWriter {
    /// Unkeyed records that start a key step at once (the tail a query scans stays about this short).
    static let keyStepThreshold: UInt64 = 16_384

    /// Builds the query keys of the records written since the last step (``AuditStore/buildKeys(of:upTo:)``)
    /// when ``keyStepThreshold`` of them wait or a checkpoint interval has passed; `all` builds
    /// every one now (at shutdown, so that a restarted server's queries start with no tail).
    ///
    /// A failed step changes nothing and is retried at the next flush: queries still see the
    /// records, by scanning the longer tail, so a failure is neither a gap nor a store failure.
    func buildKeys(all: Bool) {
        let size = self.treeSize
        let (keyed, built) = self.keys.withLock { $0 }
        guard size > keyed else { return }
        let interval = self.settings.checkpointInterval.components
        let elapsed = self.now().nanosecondsSinceEpoch - built.nanosecondsSinceEpoch
        let timed = elapsed >= interval.seconds * 1_000_000_000 + interval.attoseconds / 1_000_000_000
        guard all || timed || size - keyed >= Self.keyStepThreshold else { return }
        var watermark = keyed
        do {
            repeat {
                watermark = try self.store.buildKeys(of: self.instance, upTo: size)
            } while all && watermark < size
        } catch {
            return
        }
        let now = self.now()
        self.keys.withLock { $0 = (watermark, now) }
    }
}
