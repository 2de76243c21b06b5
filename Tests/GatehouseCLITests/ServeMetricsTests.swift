import GatehouseCore
import Testing

@testable import GatehouseCLI

/// `gatehouse serve`'s metrics wiring: what the check path, the reload pipeline and `/metrics` get.
@Suite("gatehouse serve's metrics wiring", .bug(id: "12"))
struct ServeMetricsTests {
    /// A pipeline whose status names one key set.
    struct StatusOnly: PolicyAdministration {
        static let keySet = KeySetStatus(
            location: "https://idp.gov.example/jwks.json", isLoaded: true, fetchedAt: UnixTime(seconds: 1),
            keyCount: 2, lastError: nil, fetchErrors: 0)

        func status() async -> PolicyStatus {
            PolicyStatus(
                active: nil, isReady: true, lastFailure: nil, history: [], failures: [], rollbackRevisions: [],
                keySets: [Self.keySet], cache: nil)
        }
        func reload(_ request: ReloadRequest) async -> ReloadOutcome { .unchanged(revision: "r") }
        func activate(uploadedBundle bundle: [UInt8], request: ReloadRequest) async -> ReloadOutcome {
            .unchanged(revision: "r")
        }
        func rollback(to revision: String?, request: ReloadRequest) async -> ReloadOutcome {
            .unchanged(revision: "r")
        }
    }

    static func activation(_ revision: String) -> ReloadOutcome {
        .activated(
            PolicyActivation(
                revision: revision, source: "policies", trigger: .startup, requestedBy: nil,
                activatedAt: UnixTime(seconds: 0), duration: .milliseconds(30), policies: 1, rules: 2, signedBy: []))
    }

    @Test("On: checks, reloads, the cache and the pipeline's key sets all reach /metrics")
    func enabled() async throws {
        var statistics = CacheStatistics()
        statistics.hits = 7
        let frozen = statistics
        let metrics = ServeMetrics(isEnabled: true, cache: { frozen })
        let observer = try #require(metrics.checkObserver)
        observer.checkFinished(
            Decision(outcome: .allow, status: 200, reason: .allowed, policy: "registry"), elapsedNanoseconds: 80_000)
        metrics.onOutcome(Self.activation("r1"), ReloadRequest(trigger: .startup), .milliseconds(30))
        let before = await metrics.render()
        #expect(!before.contains("gatehouse_key_set_loaded"), "no pipeline attached yet: no key sets")
        metrics.attach(StatusOnly())
        let text = await metrics.render()
        #expect(text.contains(#"gatehouse_checks_total{decision="allow",reason="allowed",policy="registry"} 1"#))
        #expect(text.contains(#"gatehouse_check_duration_seconds_bucket{le="0.0001"} 1"#))
        #expect(text.contains(#"gatehouse_policy_reloads_total{outcome="activated",trigger="startup"} 1"#))
        #expect(text.contains(#"gatehouse_policy_revision_info{revision="r1"} 1"#))
        #expect(text.contains("gatehouse_cache_hits_total 7"))
        #expect(text.contains(#"gatehouse_key_set_loaded{key_set="https://idp.gov.example/jwks.json"} 1"#))
        #expect(text.contains(#"gatehouse_key_set_keys{key_set="https://idp.gov.example/jwks.json"} 2"#))
    }

    @Test("Off: no observer on the check path, reloads ignored, /metrics says metrics are off")
    func disabled() async {
        let metrics = ServeMetrics(isEnabled: false, cache: { CacheStatistics() })
        #expect(metrics.checkObserver == nil)
        metrics.onOutcome(Self.activation("r1"), ReloadRequest(trigger: .startup), .zero)
        metrics.attach(StatusOnly())
        #expect(await metrics.render() == "# Gatehouse metrics are off (metrics.enabled: false).\n")
    }

    @Test("metrics.enabled is on by default; GATEHOUSE_METRICS=off turns it off")
    func setting() throws {
        let policies = ["GATEHOUSE_POLICIES": ServeSettingsTests.policies]
        #expect(try ServeConfiguration.load(file: nil, environment: policies, flags: [:]).metricsEnabled)
        let off = policies.merging(["GATEHOUSE_METRICS": "off"]) { $1 }
        #expect(try !ServeConfiguration.load(file: nil, environment: off, flags: [:]).metricsEnabled)
    }
}
