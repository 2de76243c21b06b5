package import Logging
import Synchronization

/// The remote key sets of the server, one per URL or discovered issuer, shared by every policy
/// (and revision) that names it, and refreshed by ``run()``.
package final class KeySetRegistry: Sendable {
    private let sets: Mutex<[RemoteKeySet.Location: RemoteKeySet]>
    /// Key sets created while ``run()`` runs (a reload's new issuers), so it starts their loops too.
    private let added: (stream: AsyncStream<RemoteKeySet>, continuation: AsyncStream<RemoteKeySet>.Continuation)
    private let isRunning = Atomic<Bool>(false)
    private let settings: RemoteKeySet.Settings
    private let fetcher: any HTTPFetching
    private let logger: Logger
    private let rotations = Atomic<UInt64>(0)

    package init(settings: RemoteKeySet.Settings = .init(), fetcher: any HTTPFetching, logger: Logger) {
        self.sets = Mutex([:])
        self.added = AsyncStream.makeStream()
        self.settings = settings
        self.fetcher = fetcher
        self.logger = logger
    }

    /// The key set at `location`, created on first use.
    package func keySet(for location: RemoteKeySet.Location) -> RemoteKeySet {
        self.sets.withLock { sets in
            if let existing = sets[location] { return existing }
            let created = RemoteKeySet(
                location: location, settings: self.settings, fetcher: self.fetcher, logger: self.logger,
                onRotation: { [weak self] in self?.rotations.add(1, ordering: .releasing) })
            sets[location] = created
            // Under the lock, so run() either saw this set in `all` or receives it here, never both.
            if self.isRunning.load(ordering: .acquiring) { self.added.continuation.yield(created) }
            return created
        }
    }

    /// Counts key rotations over every set (first loads included): part of the decision cache's
    /// key, so no decision made with replaced keys is served after the new keys are in place.
    package var generation: UInt64 { self.rotations.load(ordering: .acquiring) }

    /// Every remote key set, sorted by location.
    package var all: [RemoteKeySet] {
        self.sets.withLock { Array($0.values) }.sorted { $0.location.description < $1.location.description }
    }

    /// Whether every remote key set has loaded at least once.
    package var isLoaded: Bool { self.all.allSatisfy(\.isLoaded) }

    /// Fetches every key set now; for start-up, so the first checks find their keys.
    package func loadAll() async {
        await withDiscardingTaskGroup { group in
            for set in self.all { group.addTask { await set.refresh() } }
        }
    }

    /// Fetches `sets` now and waits at most `limit` for them: a reload that adds an issuer
    /// activates once its keys are in, or after `limit` (then checks wait for the refresh loop).
    ///
    /// The fetches run in their own tasks: a fetch already under way cannot be cancelled (a
    /// ``RemoteKeySet/refresh()`` joins it), and this must return at the limit whatever it does.
    package func load(_ sets: [RemoteKeySet], within limit: Duration) async {
        guard !sets.isEmpty else { return }
        let finished = FinishedFetches()
        for set in sets {
            Task {
                await set.refresh()
                finished.count.add(1, ordering: .releasing)
            }
        }
        let deadline = ContinuousClock.now + limit
        while finished.count.load(ordering: .acquiring) < sets.count, ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(5)) } catch { return }
        }
    }

    /// Keeps every key set fresh until cancelled or the server shuts down, including the sets
    /// later revisions add.
    package func run() async {
        let existing = self.sets.withLock { sets in
            self.isRunning.store(true, ordering: .releasing)
            return Array(sets.values)
        }
        await withDiscardingTaskGroup { group in
            for set in existing { group.addTask { await set.run() } }
            for await set in self.added.stream { group.addTask { await set.run() } }
            group.cancelAll()
        }
    }
}

/// How many of ``KeySetRegistry/load(_:within:)``'s fetches have returned.
private final class FinishedFetches: Sendable {
    let count = Atomic<Int>(0)
}
