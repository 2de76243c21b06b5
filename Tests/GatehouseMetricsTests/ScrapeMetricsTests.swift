import GatehouseCore
import GatehouseMetrics
import Synchronization
import Testing

/// The metrics read from the cache and the key sets when Prometheus scrapes.
@Suite("Cache and key-set metrics", .bug(id: "12"))
struct ScrapeMetricsTests {
    static func statistics(hits: Int, misses: Int, entries: Int, bytes: Int) -> CacheStatistics {
        var statistics = CacheStatistics()
        statistics.hits = hits
        statistics.misses = misses
        statistics.evictions = 2
        statistics.expirations = 3
        statistics.coalesced = 4
        statistics.entries = entries
        statistics.bytes = bytes
        return statistics
    }

    @Test("Cache counters follow the cache's totals between scrapes; entries and bytes are gauges")
    func cache() async throws {
        let sources = FakeSources()
        let metrics = sources.metrics()
        #expect(try await metrics.scrape().series("gatehouse_cache_hits_total").isEmpty, "no cache, no series")

        sources.cache.withLock { $0 = Self.statistics(hits: 10, misses: 5, entries: 5, bytes: 1500) }
        var scraped = try await metrics.scrape()
        #expect(scraped.types["gatehouse_cache_hits_total"] == "counter")
        #expect(scraped.types["gatehouse_cache_entries"] == "gauge")
        #expect(scraped.value("gatehouse_cache_hits_total") == 10)
        #expect(scraped.value("gatehouse_cache_misses_total") == 5)
        #expect(scraped.value("gatehouse_cache_evictions_total") == 2)
        #expect(scraped.value("gatehouse_cache_expirations_total") == 3)
        #expect(scraped.value("gatehouse_cache_coalesced_total") == 4)
        #expect(scraped.value("gatehouse_cache_entries") == 5)
        #expect(scraped.value("gatehouse_cache_bytes") == 1500)

        sources.cache.withLock { $0 = Self.statistics(hits: 25, misses: 6, entries: 3, bytes: 900) }
        scraped = try await metrics.scrape()
        #expect(scraped.value("gatehouse_cache_hits_total") == 25)
        #expect(scraped.value("gatehouse_cache_misses_total") == 6)
        #expect(scraped.value("gatehouse_cache_entries") == 3)
        #expect(scraped.value("gatehouse_cache_bytes") == 900)
        // Scraping again without change changes nothing.
        #expect(try await metrics.scrape().value("gatehouse_cache_hits_total") == 25)

        // A total that went down (a new cache) is a counter reset, not a negative increment.
        sources.cache.withLock { $0 = Self.statistics(hits: 1, misses: 1, entries: 1, bytes: 300) }
        #expect(try await metrics.scrape().value("gatehouse_cache_hits_total") == 1)
    }

    @Test("Per key set: age since the last good fetch, fetch errors, keys, loaded; a key set gone loses its series")
    func keySets() async throws {
        let sources = FakeSources()
        let metrics = sources.metrics()
        let now = UnixTime(seconds: 1_800_000_000)
        let jwks = "https://idp.gov.example/jwks.json"
        let issuer = "https://other.gov.example"
        sources.keySets.withLock {
            $0 = [
                KeySetStatus(
                    location: jwks, isLoaded: true,
                    fetchedAt: UnixTime(seconds: now.seconds - 90, nanoseconds: 500_000_000),
                    keyCount: 3, lastError: nil, fetchErrors: 2),
                KeySetStatus(
                    location: issuer, isLoaded: false, fetchedAt: nil, keyCount: 0, lastError: "refused",
                    fetchErrors: 5),
            ]
        }
        var scraped = try await metrics.scrape()
        #expect(scraped.value("gatehouse_key_set_age_seconds", ["key_set": jwks]) == 89.5)
        #expect(scraped.value("gatehouse_key_set_age_seconds", ["key_set": issuer]) == nil, "never fetched: no age")
        #expect(scraped.value("gatehouse_key_set_keys", ["key_set": jwks]) == 3)
        #expect(scraped.value("gatehouse_key_set_loaded", ["key_set": jwks]) == 1)
        #expect(scraped.value("gatehouse_key_set_loaded", ["key_set": issuer]) == 0)
        #expect(scraped.value("gatehouse_key_set_fetch_errors_total", ["key_set": jwks]) == 2)
        #expect(scraped.value("gatehouse_key_set_fetch_errors_total", ["key_set": issuer]) == 5)
        #expect(scraped.types["gatehouse_key_set_fetch_errors_total"] == "counter")

        sources.now.withLock { $0 = UnixTime(seconds: now.seconds + 10) }
        sources.keySets.withLock { $0.removeLast() }
        scraped = try await metrics.scrape()
        #expect(scraped.value("gatehouse_key_set_age_seconds", ["key_set": jwks]) == 99.5)
        for name in ["gatehouse_key_set_keys", "gatehouse_key_set_loaded", "gatehouse_key_set_fetch_errors_total"] {
            #expect(scraped.series(name).map { $0.labels["key_set"] } == [jwks], "\(name)")
        }
    }
}
