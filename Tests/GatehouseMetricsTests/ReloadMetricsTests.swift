import GatehouseCore
import GatehouseMetrics
import Testing

@Suite("Reload metrics", .bug(id: "12"))
struct ReloadMetricsTests {
    static func activation(_ revision: String, trigger: ReloadTrigger, duration: Duration) -> ReloadOutcome {
        .activated(
            PolicyActivation(
                revision: revision, source: "policies", trigger: trigger, requestedBy: nil,
                activatedAt: UnixTime(seconds: 0), duration: duration, policies: 1, rules: 1, signedBy: []))
    }

    static func refusal(trigger: ReloadTrigger) -> ReloadOutcome {
        .refused(
            ReloadFailure(
                trigger: trigger, requestedBy: "admin", source: "upload", at: UnixTime(seconds: 0), stage: .verify,
                code: "signature_missing", message: "unsigned"))
    }

    @Test("Reloads count by outcome and trigger, with their durations in a histogram by outcome")
    func reloads() async throws {
        let metrics = FakeSources().metrics()
        metrics.reloadFinished(
            Self.activation("r1", trigger: .startup, duration: .milliseconds(40)), trigger: .startup, duration: .zero)
        metrics.reloadFinished(
            Self.activation("r2", trigger: .notify, duration: .milliseconds(300)), trigger: .notify, duration: .zero)
        metrics.reloadFinished(Self.refusal(trigger: .upload), trigger: .upload, duration: .milliseconds(5))
        metrics.reloadFinished(Self.refusal(trigger: .upload), trigger: .upload, duration: .milliseconds(5))
        metrics.reloadFinished(.unchanged(revision: "r2"), trigger: .signal, duration: .milliseconds(20))
        let scraped = try await metrics.scrape()
        let reloads = "gatehouse_policy_reloads_total"
        #expect(scraped.types[reloads] == "counter")
        #expect(scraped.value(reloads, ["outcome": "activated", "trigger": "startup"]) == 1)
        #expect(scraped.value(reloads, ["outcome": "activated", "trigger": "notify"]) == 1)
        #expect(scraped.value(reloads, ["outcome": "refused", "trigger": "upload"]) == 2)
        #expect(scraped.value(reloads, ["outcome": "unchanged", "trigger": "signal"]) == 1)
        #expect(scraped.series(reloads).count == 4)

        let duration = "gatehouse_policy_reload_duration_seconds"
        #expect(scraped.types[duration] == "histogram")
        #expect(scraped.value(duration + "_count", ["outcome": "activated"]) == 2)
        #expect(scraped.value(duration + "_bucket", ["outcome": "activated", "le": "0.05"]) == 1)
        #expect(scraped.value(duration + "_bucket", ["outcome": "activated", "le": "0.5"]) == 2)
        #expect(scraped.value(duration + "_bucket", ["outcome": "refused", "le": "0.01"]) == 2)
        #expect(scraped.value(duration + "_sum", ["outcome": "unchanged"]) == 0.02)
    }

    @Test("gatehouse_policy_revision_info names only the active revision; a refusal leaves it")
    func revisionInfo() async throws {
        let metrics = FakeSources().metrics()
        let info = "gatehouse_policy_revision_info"
        #expect(try await metrics.scrape().series(info).isEmpty)
        metrics.policyActivated(revision: "r1")
        #expect(try await metrics.scrape().series(info).map(\.labels) == [["revision": "r1"]])
        metrics.reloadFinished(
            Self.activation("r2", trigger: .watch, duration: .milliseconds(10)), trigger: .watch, duration: .zero)
        var scraped = try await metrics.scrape()
        #expect(scraped.series(info).map(\.labels) == [["revision": "r2"]])
        #expect(scraped.value(info, ["revision": "r2"]) == 1)
        #expect(scraped.types[info] == "gauge")
        metrics.reloadFinished(Self.refusal(trigger: .notify), trigger: .notify, duration: .milliseconds(1))
        scraped = try await metrics.scrape()
        #expect(scraped.series(info).map(\.labels) == [["revision": "r2"]])
        metrics.reloadFinished(
            Self.activation("r1", trigger: .rollback, duration: .milliseconds(10)), trigger: .rollback, duration: .zero)
        #expect(try await metrics.scrape().series(info).map(\.labels) == [["revision": "r1"]])
    }
}
