import Benchmark
import CheckFixtures
import EnvoyAuthAPI
import GRPCCore
import GRPCInProcessTransport
import GatehouseCache
import GatehouseGRPC
import Logging

/// A whole Envoy Check with an RS256 bearer token, through the in-process gRPC transport:
/// protobuf decoding, the request model, policy selection, the decision cache, token
/// verification (RS256 with a 2048-bit key) and rule evaluation on a miss, response building
/// and protobuf encoding. One iteration is one unary RPC. With the cache off every check
/// verifies the signature; with it on every check after the first is a hit.
let benchmarks: @Sendable () -> Void = {
    let fixture = try! CheckFixture()
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .throughput], warmupIterations: 200, scalingFactor: .one,
        maxDuration: .seconds(5), maxIterations: 50_000)
    Benchmark("Check with RS256 token, cache off (in-process gRPC)", configuration: configuration) { benchmark in
        try await run(benchmark, fixture: fixture, cache: .disabled)
    }
    Benchmark("Check with RS256 token, cache hit (in-process gRPC)", configuration: configuration) { benchmark in
        try await run(benchmark, fixture: fixture, cache: DecisionCacheSettings(timeToLive: .seconds(3_600)))
    }
}

func run(_ benchmark: Benchmark, fixture: CheckFixture, cache: DecisionCacheSettings) async throws {
    let transport = InProcessTransport()
    let service = AuthorizationService(
        decider: CachingAuthorizer(authorizer: fixture.authorizer, settings: cache), logger: Logger(label: "bench"))
    try await withGRPCServer(transport: transport.server, services: [service]) { _ in
        try await withGRPCClient(transport: transport.client) { client in
            let authorization = Envoy_Service_Auth_V3_Authorization.Client(wrapping: client)
            // The first check computes; with the cache on every later one must be a hit.
            _ = try await authorization.check(fixture.request)
            let second = try await authorization.check(fixture.request)
            let use = second.dynamicMetadata.fields["cache"]?.stringValue
            precondition(use == (cache.isEnabled ? "hit" : "bypass"), "cache use: \(use ?? "none")")
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                let response = try await authorization.check(fixture.request)
                precondition(response.status.code == 0, "the benchmark check must be allowed")
            }
            benchmark.stopMeasurement()
        }
    }
}
