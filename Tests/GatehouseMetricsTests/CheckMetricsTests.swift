import GatehouseCore
import GatehouseMetrics
import Testing

@Suite("Check metrics", .bug(id: "12"))
struct CheckMetricsTests {
    static let checks = "gatehouse_checks_total"
    static let duration = "gatehouse_check_duration_seconds"

    @Test("gatehouse_checks_total counts each check under its decision, reason and policy")
    func countsByLabels() async throws {
        let metrics = FakeSources().metrics()
        for _ in 0..<3 {
            metrics.checks.checkFinished(.make(.allow, .allowed, policy: "registry"), elapsedNanoseconds: 1)
        }
        metrics.checks.checkFinished(.make(.deny, .noMatchingRule, policy: "registry"), elapsedNanoseconds: 1)
        metrics.checks.checkFinished(.make(.deny, .noMatchingRule, policy: "health"), elapsedNanoseconds: 1)
        metrics.checks.checkFinished(.make(.deny, .noPolicy, policy: nil), elapsedNanoseconds: 1)
        let scraped = try await metrics.scrape()
        #expect(scraped.types[Self.checks] == "counter")
        #expect(scraped.value(Self.checks, ["decision": "allow", "reason": "allowed", "policy": "registry"]) == 3)
        #expect(
            scraped.value(Self.checks, ["decision": "deny", "reason": "no_matching_rule", "policy": "registry"]) == 1)
        #expect(
            scraped.value(Self.checks, ["decision": "deny", "reason": "no_matching_rule", "policy": "health"]) == 1)
        #expect(scraped.value(Self.checks, ["decision": "deny", "reason": "no_policy", "policy": ""]) == 1)
        #expect(scraped.series(Self.checks).count == 4)
        #expect(scraped.repeatedTypes.isEmpty)
    }

    @Test("The latency histogram's buckets are cumulative, in seconds, from 50 µs to 1 s")
    func histogram() async throws {
        let metrics = FakeSources().metrics()
        for nanoseconds: UInt64 in [30_000, 200_000, 200_000, 40_000_000, 2_000_000_000] {
            metrics.checks.checkFinished(.make(.allow, .allowed, policy: "p"), elapsedNanoseconds: nanoseconds)
        }
        let scraped = try await metrics.scrape()
        #expect(scraped.types[Self.duration] == "histogram")
        let buckets = scraped.series(Self.duration + "_bucket")
        let bounds = buckets.compactMap { $0.labels["le"] }
        #expect(bounds.first == "0.00005")
        #expect(bounds.suffix(2) == ["1.0", "+Inf"])
        let bucket = { (le: String) in scraped.value(Self.duration + "_bucket", ["le": le]) }
        #expect(bucket("0.00005") == 1)
        #expect(bucket("0.0001") == 1)
        #expect(bucket("0.00025") == 3)
        #expect(bucket("0.025") == 3)
        #expect(bucket("0.05") == 4)
        #expect(bucket("1.0") == 4)
        #expect(bucket("+Inf") == 5)
        // Cumulative: never decreasing along the bounds.
        let counts = buckets.map(\.value)
        #expect(counts == counts.sorted())
        #expect(scraped.value(Self.duration + "_count") == 5)
        let sum = try #require(scraped.value(Self.duration + "_sum"))
        #expect(abs(sum - 2.04043) < 1e-9)
    }

    @Test(
        "Checks with random subjects, paths, rules and revisions add no series: only decision, reason and policy label")
    func noUnboundedLabels() async throws {
        let metrics = FakeSources().metrics()
        metrics.checks.checkFinished(.make(.allow, .allowed, policy: "registry"), elapsedNanoseconds: 1)
        let before = try await metrics.scrape().samples.count
        for index in 0..<200 {
            var decision = Decision.make(.allow, .allowed, policy: "registry")
            decision.subject = "user-\(UInt64.random(in: 0...UInt64.max))"
            decision.rule = "rule-\(index)"
            decision.body = "/births/\(index)"
            decision.reasonDetail = DecisionReason(code: "detail_\(index)")
            decision.policyRevision = "revision-\(index)"
            decision.headersToSet = [HeaderMutation(name: "x-path", value: "/random/\(index)", action: .overwrite)]
            metrics.checks.checkFinished(decision, elapsedNanoseconds: UInt64(index))
        }
        let after = try await metrics.scrape()
        #expect(after.samples.count == before)
        #expect(after.value(Self.checks, ["decision": "allow", "reason": "allowed", "policy": "registry"]) == 201)
        let rendered = await metrics.render()
        #expect(!rendered.contains("user-"))
        #expect(!rendered.contains("/random/"))
        #expect(!rendered.contains("revision-"))
    }

    @Test("Past the series cap, new label sets count under reason and policy 'other' instead of new series")
    func seriesCap() async throws {
        let metrics = FakeSources().metrics()
        let cap = 1024
        for index in 0..<(cap + 50) {
            metrics.checks.checkFinished(.make(.deny, .noMatchingRule, policy: "p\(index)"), elapsedNanoseconds: 1)
        }
        let scraped = try await metrics.scrape()
        #expect(scraped.series(Self.checks).count == cap + 1)
        #expect(scraped.value(Self.checks, ["decision": "deny", "reason": "other", "policy": "other"]) == 50)
        #expect(scraped.series(Self.checks).map(\.value).reduce(0, +) == Double(cap + 50))
    }
}
