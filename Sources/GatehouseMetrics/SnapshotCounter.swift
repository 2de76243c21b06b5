import Prometheus
import Synchronization

/// A Prometheus counter that follows a total kept elsewhere (the decision cache's, a key set's),
/// read at scrape time.
///
/// Each ``update(to:)`` adds what the total grew by since the last one. A total that went down
/// (its source was replaced) resets the counter to it, which Prometheus' `rate()` reads as a
/// counter reset, as it should.
final class SnapshotCounter: Sendable {
    /// The exported counter.
    let counter: Counter
    private let last = Mutex<Int>(0)

    init(_ counter: Counter) {
        self.counter = counter
    }

    func update(to total: Int) {
        self.last.withLock { last in
            let total = max(total, 0)
            if total >= last {
                self.counter.increment(by: Int64(total - last))
            } else {
                self.counter.reset()
                self.counter.increment(by: Int64(total))
            }
            last = total
        }
    }
}
