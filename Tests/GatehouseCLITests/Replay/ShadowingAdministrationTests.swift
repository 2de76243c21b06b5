import Foundation
import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseCLI

/// A candidate bundle loaded in shadow through the pipeline's verify and compile stages, evaluated
/// beside the active revision by the Authorizer, never activated.
@Suite("Shadow evaluation through the reload pipeline", .bug(id: "13"), .timeLimit(.minutes(2)))
struct ShadowingAdministrationTests {
    /// Keeps what it is offered.
    final class RecordingSink: AuditSink {
        let records = Mutex<[AuditRecord]>([])
        func offer(_ record: AuditRecord) -> AuditAdmission {
            self.records.withLock { $0.append(record) }
            return .accepted
        }
        var shadows: [ShadowEntry] {
            self.records.withLock { $0 }.compactMap { if case .shadow(let entry) = $0.entry { entry } else { nil } }
        }
    }

    /// A policy allowing GET on /a/** and /b/**; the candidate denies /b/** with rule `close-b`.
    static func policy(closeB: Bool) -> [String: String] {
        [
            "p.yaml": """
            kind: Policy
            name: p
            rules:
            \(closeB ? "  - { name: close-b, action: deny, paths: [/b/**] }\n" : "")\
              - { name: readers, action: allow, methods: [GET], paths: [/a/**, /b/**] }
            """
        ]
    }

    @Test(
        "A candidate differing on one route: shadow records for only those requests, counters by rule, nothing enforced; a corrupt upload is refused; unloading stops it"
    )
    func shadowLifecycle() async throws {
        try await withTemporaryDirectory("shadow") { root in
            let fixture = ReloadFixture(root: root)
            let authorizer = Authorizer()
            try fixture.write(Self.policy(closeB: false))
            let reloader = try fixture.reloader(authorizer: authorizer, runTests: false)
            #expect(await reloader.start().source.activation != nil)
            try fixture.write(Self.policy(closeB: true))
            let candidate = try fixture.archive(revision: "candidate-1")
            try fixture.write(Self.policy(closeB: false))

            let sink = RecordingSink()
            let administration = ShadowingAdministration(reloader: reloader, authorizer: authorizer, audit: sink)
            #expect(administration.shadowStatus() == nil)

            let corrupt = Array(candidate.prefix(candidate.count / 2))
            let refused = await administration.loadShadow(bundle: corrupt, requestedBy: "ops")
            guard case .failure(let failure) = refused else {
                Issue.record("a corrupt candidate was loaded")
                return
            }
            #expect(failure.stage == .fetch || failure.stage == .verify, "\(failure)")
            #expect(authorizer.shadow == nil)

            guard case .success(let loaded) = await administration.loadShadow(bundle: candidate, requestedBy: "ops")
            else {
                Issue.record("the candidate was refused")
                return
            }
            #expect(loaded.revision == "candidate-1" && loaded.loadedBy == "ops")
            #expect(authorizer.revision?.tree.revision != "candidate-1", "a shadow candidate is never activated")

            for path in ["/a/1", "/b/1", "/a/2", "/b/2"] {
                let decision = try await authorizer.decide(AuthzRequest(path: path), caller: CallerFacts())
                #expect(decision.isAllowed, "\(path) is decided by the active revision")
            }
            try await yield(until: "four checks compared") { administration.shadowStatus()?.counts.evaluated == 4 }
            let status = try #require(administration.shadowStatus())
            #expect(await administration.status().shadow == status, "/v1/status reports the candidate too")
            #expect(status.counts.differing == 2)
            #expect(status.counts.byRule == [ShadowStatus.Key(rule: "close-b", change: .allowToDeny): 2])
            #expect(sink.shadows.map(\.active.path).sorted() == ["/b/1", "/b/2"])
            #expect(sink.shadows.allSatisfy { $0.candidateRevision == "candidate-1" && $0.candidateRule == "close-b" })
            #expect(sink.records.withLock { $0 }.allSatisfy { $0.id.count == 32 })
            let metrics = ShadowMetrics.text(status)
            #expect(metrics.contains("gatehouse_shadow_evaluated_total{revision=\"candidate-1\"} 4"))
            #expect(
                metrics.contains(
                    "gatehouse_shadow_differences_total{revision=\"candidate-1\",rule=\"close-b\",change=\"allow_to_deny\"} 2"
                ))

            let unloaded = await administration.unloadShadow(requestedBy: "ops")
            #expect(unloaded?.counts.differing == 2)
            #expect(administration.shadowStatus() == nil)
            #expect(ShadowMetrics.text(nil).isEmpty)
            _ = try await authorizer.decide(AuthzRequest(path: "/b/3"), caller: CallerFacts())
            for _ in 0..<100 { await Task.yield() }
            #expect(sink.shadows.count == 2, "an unloaded candidate records nothing more")
        }
    }
}
