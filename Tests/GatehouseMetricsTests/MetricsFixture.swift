import GatehouseCore
import GatehouseMetrics
import Synchronization

/// What the scrape-time sources of a ``GatehouseMetrics`` under test return; set it between renders.
final class FakeSources: Sendable {
    let cache = Mutex<CacheStatistics?>(nil)
    let keySets = Mutex<[KeySetStatus]>([])
    let now = Mutex(UnixTime(seconds: 1_800_000_000))

    /// Metrics reading from these sources.
    func metrics() -> GatehouseMetrics {
        GatehouseMetrics(
            sources: GatehouseMetrics.Sources(
                cache: { self.cache.withLock { $0 } }, keySets: { self.keySets.withLock { $0 } },
                now: { self.now.withLock { $0 } }))
    }
}

extension GatehouseMetrics {
    /// Renders and parses back.
    func scrape() async throws -> Exposition {
        try Exposition(await self.render())
    }
}

extension Decision {
    /// A decision as the authorizer makes them, with the labels metrics read.
    static func make(_ outcome: Outcome, _ reason: DecisionReason, policy: String?) -> Decision {
        Decision(outcome: outcome, status: outcome == .allow ? 200 : 403, reason: reason, policy: policy)
    }
}
