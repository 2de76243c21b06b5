package import Logging
import Synchronization

/// The remote key sets of the server, one per URL or discovered issuer, shared by every policy
/// (and revision) that names it, and refreshed by ``run()``.
package final class KeySetRegistry: Sendable {
    private let sets: Mutex<[RemoteKeySet.Location: RemoteKeySet]>
    private let settings: RemoteKeySet.Settings
    private let fetcher: any HTTPFetching
    private let logger: Logger
    private let rotations = Atomic<UInt64>(0)

    package init(settings: RemoteKeySet.Settings = .init(), fetcher: any HTTPFetching, logger: Logger) {
        self.sets = Mutex([:])
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

    /// Keeps every key set fresh until cancelled or the server shuts down.
    package func run() async {
        await withDiscardingTaskGroup { group in
            for set in self.all { group.addTask { await set.run() } }
        }
    }
}
