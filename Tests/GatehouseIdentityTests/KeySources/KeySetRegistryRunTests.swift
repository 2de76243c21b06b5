import GatehouseCore
import GatehouseIdentity
import GatehouseTestSupport
import Logging
import Synchronization
import Testing

@Suite("KeySetRegistry.run and load(_:within:)", .bug(id: "12"), .timeLimit(.minutes(1)))
struct KeySetRegistryRunTests {
    /// Fails every GET, counting them.
    final class FailingFetcher: HTTPFetching {
        private let count = Atomic<Int>(0)
        var fetches: Int { self.count.load(ordering: .relaxed) }

        func get(_ url: String, timeout: Duration, maximumBytes: Int) async throws -> FetchedDocument {
            self.count.add(1, ordering: .relaxed)
            return FetchedDocument(status: 503, body: [])
        }
    }

    /// Never answers until cancelled.
    final class HangingFetcher: HTTPFetching {
        func get(_ url: String, timeout: Duration, maximumBytes: Int) async throws -> FetchedDocument {
            try await Task.sleep(for: .seconds(3600))
            return FetchedDocument(status: 503, body: [])
        }
    }

    @Test("A key set created while run() runs (a reload's new issuer) gets its refresh loop")
    func laterSetIsRefreshed() async throws {
        var settings = RemoteKeySet.Settings()
        settings.retryInterval = .milliseconds(20)
        let fetcher = FailingFetcher()
        let registry = KeySetRegistry(settings: settings, fetcher: fetcher, logger: Logger(label: "test"))
        let running = Task { await registry.run() }
        defer { running.cancel() }
        try await Task.sleep(for: .milliseconds(50))
        #expect(fetcher.fetches == 0)
        let set = registry.keySet(for: .jwks(url: "http://127.0.0.1:1/jwks.json"))
        // Retried by the loop every 20 ms: several fetches without anyone asking.
        try await yield(until: "the new set's loop fetched three times") { set.status.fetchErrors >= 3 }
        #expect(fetcher.fetches >= 3)
        #expect(!set.isLoaded)
    }

    @Test("load(_:within:) returns after the limit when a fetch hangs")
    func boundedWait() async throws {
        let registry = KeySetRegistry(fetcher: HangingFetcher(), logger: Logger(label: "test"))
        let set = registry.keySet(for: .jwks(url: "http://127.0.0.1:1/jwks.json"))
        let started = ContinuousClock.now
        await registry.load([set], within: .milliseconds(100))
        // The fetch hangs for an hour: returning at all is the point. The bound is generous because
        // the full suite on two cores delayed the 5 ms polling sleeps to 5.9 s in one run.
        #expect(ContinuousClock.now - started < .seconds(40))
        #expect(!set.isLoaded)
    }
}
