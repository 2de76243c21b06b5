import Benchmark
import CheckFixtures
import GatehouseCache
import GatehouseCore
import Synchronization

/// The decision cache's own costs, with the RS256 fixture of `CheckBenchmarks` (a bearer token
/// of about 600 bytes, one policy reading method, path and the token's claims):
///
/// - *lookup hit*: `CompactDecisionCache.value(for:now:)` (what `CachingAuthorizer` keeps) with
///   the key already made — the hash-table probe under one shard lock, one bit set, and the
///   decision rebuilt from its shared and per-caller parts. Must not allocate.
/// - *key*: the SHA-256 of the generations, the policy's attributes and the raw token.
/// - *decide, hit*: `CachingAuthorizer.decide` for a request decided before: key plus lookup.
/// - *decide, miss*: the same request after a key rotation every iteration, so it always misses:
///   key, lookup, RS256 verification, evaluation, insertion (with CLOCK eviction once full).
/// - *decide, cache off*: verification and evaluation alone, for comparison.
let benchmarks: @Sendable () -> Void = {
    let fixture = try! CheckFixture()
    let request = fixture.authzRequest
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .throughput], warmupIterations: 1_000, scalingFactor: .one,
        maxDuration: .seconds(3), maxIterations: 1_000_000)

    Benchmark("cache lookup hit (key made)", configuration: configuration) { benchmark in
        let cache = CompactDecisionCache(limits: CacheLimits())
        let caching = CachingAuthorizer(authorizer: fixture.authorizer)
        let revision = fixture.authorizer.revision!
        let index = revision.tree.policyIndex(for: request)!
        let key = caching.key(
            for: request, revision: revision, policyIndex: index, plan: revision.tree.cachePlans[index],
            caller: CallerFacts())
        let decision = try await caching.decide(request, caller: CallerFacts())
        cache.insert(decision, for: key, cost: 512, expiresAt: .max)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(cache.value(for: key, now: 1))
        }
        benchmark.stopMeasurement()
    }

    Benchmark("cache key (RS256 bearer request)", configuration: configuration) { benchmark in
        let caching = CachingAuthorizer(authorizer: fixture.authorizer)
        let revision = fixture.authorizer.revision!
        let index = revision.tree.policyIndex(for: request)!
        let plan = revision.tree.cachePlans[index]
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(
                caching.key(for: request, revision: revision, policyIndex: index, plan: plan, caller: CallerFacts()))
        }
        benchmark.stopMeasurement()
    }

    Benchmark("decide, cache hit (RS256 bearer)", configuration: configuration) { benchmark in
        let caching = CachingAuthorizer(
            authorizer: fixture.authorizer, settings: DecisionCacheSettings(timeToLive: .seconds(3_600)))
        let first = try await caching.decide(request, caller: CallerFacts())
        precondition(first.isAllowed)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await caching.decide(request, caller: CallerFacts()))
        }
        benchmark.stopMeasurement()
    }

    let verifying = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .throughput], warmupIterations: 200, scalingFactor: .one,
        maxDuration: .seconds(3), maxIterations: 100_000)

    Benchmark("decide, cache miss (RS256 verification)", configuration: verifying) { benchmark in
        let rotations = Rotations()
        let caching = CachingAuthorizer(
            authorizer: fixture.authorizer, settings: DecisionCacheSettings(timeToLive: .seconds(3_600)),
            keyGeneration: { rotations.next() })
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let decision = try await caching.decide(request, caller: CallerFacts())
            precondition(decision.cache == .miss)
            blackHole(decision)
        }
        benchmark.stopMeasurement()
    }

    Benchmark("decide, cache off (RS256 verification)", configuration: verifying) { benchmark in
        let caching = CachingAuthorizer(authorizer: fixture.authorizer, settings: .disabled)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await caching.decide(request, caller: CallerFacts()))
        }
        benchmark.stopMeasurement()
    }
}

/// A key generation that changes on every read, so that every lookup misses.
final class Rotations: Sendable {
    private let counter = Atomic<UInt64>(0)

    func next() -> UInt64 { self.counter.add(1, ordering: .relaxed).newValue }
}
