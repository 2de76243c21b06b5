import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

/// A candidate evaluated beside the active revision: differences recorded and counted, never enforced.
@Suite("Shadow policy", .bug(id: "13"), .timeLimit(.minutes(1)))
struct ShadowPolicyTests {
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

    static func tree(_ revision: String, denyDeaths: Bool) throws -> DecisionTree {
        var rules = [try Fixture.rule("read", .allow, paths: ["/**"])]
        if denyDeaths { rules.insert(try Fixture.rule("close-deaths", .deny, paths: ["/deaths/**"]), at: 0) }
        return DecisionTree(
            revision: revision, policies: [try Fixture.policy("registry", hosts: ["registry.example"], rules: rules)])
    }

    @Test(
        "Through the Authorizer: only checks the candidate decides differently are recorded; enforcement is the active one's; unloading stops it"
    )
    func shadowThroughAuthorizer() async throws {
        let authorizer = Authorizer()
        authorizer.activate(try Self.tree("active", denyDeaths: false))
        let sink = RecordingSink()
        let shadow = ShadowPolicy(
            tree: try Self.tree("candidate", denyDeaths: true), loadedAt: UnixTime(seconds: 1), sink: sink,
            newRecordID: { String(repeating: "ab", count: 16) })
        authorizer.loadShadow(shadow)
        authorizer.activate(try Self.tree("active-2", denyDeaths: false))
        #expect(authorizer.shadow === shadow, "an activation keeps the shadow candidate")

        for path in ["/births/1", "/deaths/1", "/births/2", "/deaths/2?x=1"] {
            let decision = try await authorizer.decide(
                AuthzRequest(path: path, host: "registry.example", time: UnixTime(seconds: 5)), caller: CallerFacts())
            #expect(decision.isAllowed, "the candidate is never enforced: \(path)")
        }
        try await yield(until: "four checks compared") { shadow.status.counts.evaluated == 4 }
        let status = shadow.status
        #expect(status.revision == "candidate")
        #expect(status.counts.differing == 2)
        #expect(status.counts.byRule == [ShadowStatus.Key(rule: "close-deaths", change: .allowToDeny): 2])
        let entries = sink.shadows
        #expect(entries.map(\.active.path).sorted() == ["/deaths/1", "/deaths/2?x=***"])
        #expect(entries.allSatisfy { $0.candidateDecision == .deny && $0.candidateRule == "close-deaths" })
        #expect(entries.allSatisfy { $0.active.decision == .allow && $0.active.policyRevision == "active-2" })
        #expect(entries.allSatisfy { $0.candidateRevision == "candidate" && $0.candidateReason == "denied_by_rule" })
        #expect(sink.records.withLock { $0 }.allSatisfy { $0.id.count == 32 && $0.time == UnixTime(seconds: 5) })

        #expect(authorizer.loadShadow(nil) === shadow)
        #expect(authorizer.shadow == nil)
        _ = try await authorizer.decide(
            AuthzRequest(path: "/deaths/3", host: "registry.example"), caller: CallerFacts())
        // Give a (wrongly) still-running candidate every chance to record it.
        for _ in 0..<100 { await Task.yield() }
        #expect(shadow.status.counts.evaluated == 4)
        #expect(sink.shadows.count == 2)
    }

    @Test("Without an active revision a candidate is not kept, and it is stopped")
    func noActiveRevision() throws {
        let authorizer = Authorizer()
        let shadow = ShadowPolicy(
            tree: try Self.tree("candidate", denyDeaths: true), loadedAt: UnixTime(seconds: 1), sink: nil,
            newRecordID: { "" })
        #expect(authorizer.loadShadow(shadow) == nil)
        #expect(authorizer.shadow == nil)
        shadow.observe(
            AuthzRequest(path: "/deaths/1"), identity: .anonymous, active: Authorizer.notLoaded(identity: .anonymous))
        #expect(shadow.status.counts.skipped == 1, "a stopped candidate takes nothing")
    }

    @Test("A check the candidate cannot take (stopped, or buffer full) is skipped and counted, never waited for")
    func skipsWhenFull() throws {
        let shadow = ShadowPolicy(
            tree: try Self.tree("candidate", denyDeaths: true), loadedAt: UnixTime(seconds: 1), sink: nil,
            newRecordID: { "" }, capacity: 1)
        shadow.stop()
        let request = AuthzRequest(path: "/deaths/1", host: "registry.example")
        let active = Decision(outcome: .allow, status: 200, reason: .allowed, rule: "read")
        shadow.observe(request, identity: .anonymous, active: active)
        #expect(shadow.status.counts.skipped == 1, "a stopped candidate takes nothing")
        #expect(shadow.status.counts.evaluated == 0)
    }
}
