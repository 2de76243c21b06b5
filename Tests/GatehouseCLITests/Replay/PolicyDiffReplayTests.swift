import Foundation
import GatehouseAudit
import GatehouseCore
import GatehouseTestSupport
import Testing

@testable import GatehouseCLI

/// `gatehouse policy diff --replay`: stored decisions judged again under a candidate policy.
@Suite("gatehouse policy diff --replay", .bug(id: "13"), .timeLimit(.minutes(2)))
struct PolicyDiffReplayTests {
    /// A candidate for `registry.example` that closes /deaths/** and reads a header on /tenant/**.
    static let candidate = """
        kind: Policy
        name: registry
        select:
          hosts: [registry.example]
        rules:
          - name: close-deaths
            action: deny
            paths: [/deaths/**]
          - name: tenant-header
            action: allow
            paths: [/tenant/**]
            headers:
              x-tenant: { present: true }
          - name: read
            action: allow
            methods: [GET]
            paths: [/**]

        """

    /// A decision record `seconds` before now.
    static func record(
        _ id: String, _ path: String, _ decision: Decision.Outcome = .allow, reason: String? = nil,
        rule: String? = "read", ago seconds: Int64 = 60, now: UnixTime
    ) -> AuditRecord {
        let entry = DecisionEntry(
            decision: decision, status: decision == .allow ? 200 : 503,
            reason: reason ?? (decision == .allow ? "allowed" : "denied_by_rule"), policy: "registry",
            policyRevision: "r1", rule: rule, method: "GET", host: "registry.example", path: path,
            caller: AuditedCaller(issuer: "https://idp.example", subject: "alice"))
        return AuditRecord(
            id: id, time: UnixTime(seconds: now.seconds - seconds), entry: .decision(entry))
    }

    /// Writes `records` as one instance's log into a new store at `path`.
    static func store(_ records: [AuditRecord], at path: String) throws {
        let store = try AuditStore(path: path)
        let bodies = records.enumerated().map { AuditLeaf.encode($1, instance: "i1", sequence: UInt64($0)) }
        try store.append(AuditBatch(instance: "i1", firstSeq: 0, bodies: bodies))
    }

    @Test(
        "A candidate that denies one path: exactly those records reported, grouped by rule; unreplayable ones counted with the reason; old records outside the window"
    )
    func replayReportsChanges() throws {
        try withTemporaryDirectory("replay") { directory in
            let now = PolicyCommand.Diff.now()
            let records = [
                Self.record("a1", "/births/1", now: now),
                Self.record("a2", "/deaths/1", now: now),
                Self.record("a3", "/births/2?x=***", now: now),
                Self.record("a4", "/deaths/2", now: now),
                Self.record("a5", "/tenant/7", now: now),
                Self.record("a6", "/births/3", .deny, reason: "internal_error", rule: nil, now: now),
                Self.record("old", "/deaths/9", ago: 3 * 86_400, now: now),
                AuditRecord(
                    id: "ad", time: now,
                    entry: .admin(
                        AdminEntry(
                            actor: "ops", role: "admin", action: "GET /v1/status", outcome: "allowed", status: 200))),
            ]
            let storePath = directory.appendingPathComponent("decisions.db").path
            try Self.store(records, at: storePath)
            let policies = directory.appendingPathComponent("candidate")
            try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
            try Self.candidate.write(
                to: policies.appendingPathComponent("registry.yaml"), atomically: true, encoding: .utf8)

            let candidate = try PolicyCommand.Diff.candidateTree(policies.path)
            let report = try PolicyCommand.Diff.replay(
                store: AuditStore(path: storePath, readOnly: true), candidate: candidate,
                query: AuditQuery(since: UnixTime(seconds: now.seconds - 86_400), kind: "decision"), exampleLimit: 1)
            #expect(report.records == 6, "the admin record and the one from three days ago are not replayed")
            #expect(report.unchanged == 2)
            let key = ReplayReport.GroupKey(candidateRule: "close-deaths", activeRule: "read", change: .allowToDeny)
            #expect(Array(report.groups.keys) == [key])
            #expect(report.groups[key]?.count == 2)
            #expect(report.groups[key]?.examples.map(\.id) == ["a2"], "one example kept, as asked")
            #expect(report.groups[key]?.examples.first?.caller == "alice")
            #expect(
                report.cannotReplay == [
                    .header("x-tenant"): .init(
                        count: 1, examples: [report.cannotReplay[.header("x-tenant")]!.examples[0]]),
                    .notAPolicyDecision("internal_error"): .init(
                        count: 1, examples: [report.cannotReplay[.notAPolicyDecision("internal_error")]!.examples[0]]),
                ])

            // The binary: exit 1 on changes, JSON with the same figures.
            let output = try GatehouseProcess.run([
                "policy", "diff", "--replay", "--since", "24h", "--store", storePath, "--format", "json", policies.path,
            ])
            #expect(output.status == 1, "\(output.stderr)")
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
            #expect(json["records"] as? Int == 6)
            #expect(json["changed"] as? Int == 2)
            #expect(json["cannot_replay_total"] as? Int == 2)
            let changes = try #require(json["changes"] as? [[String: Any]])
            #expect(changes.count == 1)
            #expect(changes.first?["candidate_rule"] as? String == "close-deaths")
            #expect(changes.first?["change"] as? String == "allow_to_deny")
            #expect(
                (changes.first?["examples"] as? [[String: Any]])?.compactMap { $0["id"] as? String } == ["a2", "a4"])

            // A window with no change: exit 0, and the table says so.
            let quiet = try GatehouseProcess.run([
                "policy", "diff", "--replay", "--since", "10d", "--until", "2d", "--store", storePath, policies.path,
            ])
            #expect(quiet.status == 1, "the three-day-old record is in this window and changes")
            #expect(quiet.stdout.contains("allow_to_deny  candidate rule close-deaths  active rule read  1"))
            #expect(quiet.stdout.contains("/deaths/9"))
            let none = try GatehouseProcess.run([
                "policy", "diff", "--replay", "--since", "10d", "--until", "5d", "--store", storePath, policies.path,
            ])
            #expect(none.status == 0)
            #expect(none.stdout.contains("unchanged 0, changed 0, cannot replay 0"))
            let missing = try GatehouseProcess.run([
                "policy", "diff", "--replay", "--store", directory.appendingPathComponent("none.db").path,
                policies.path,
            ])
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("no decision log here"))
        }
    }

    /// Replay throughput, on demand (`GATEHOUSE_BENCH_REPLAY=100000 swift test --filter replayThroughput`):
    /// writes that many decision records and prints how fast the candidate judges them.
    @Test(
        "Replay throughput (on demand)",
        .enabled(if: ProcessInfo.processInfo.environment["GATEHOUSE_BENCH_REPLAY"] != nil))
    func replayThroughput() throws {
        let count = Int(ProcessInfo.processInfo.environment["GATEHOUSE_BENCH_REPLAY"] ?? "") ?? 100_000
        try withTemporaryDirectory("replay-bench") { directory in
            let now = PolicyCommand.Diff.now()
            let storePath = directory.appendingPathComponent("decisions.db").path
            let store = try AuditStore(path: storePath)
            var sequence: UInt64 = 0
            while sequence < UInt64(count) {
                let first = sequence
                let bodies = (0..<min(10_000, UInt64(count) - first)).map { offset -> [UInt8] in
                    let index = first + offset
                    let path = index % 4 == 0 ? "/deaths/\(index)" : "/births/\(index)"
                    let record = Self.record("id-\(index)", path, ago: 60, now: now)
                    return AuditLeaf.encode(record, instance: "i1", sequence: index)
                }
                try store.append(AuditBatch(instance: "i1", firstSeq: first, bodies: bodies))
                sequence += UInt64(bodies.count)
            }
            let policies = directory.appendingPathComponent("candidate")
            try FileManager.default.createDirectory(at: policies, withIntermediateDirectories: true)
            try Self.candidate.write(
                to: policies.appendingPathComponent("registry.yaml"), atomically: true, encoding: .utf8)
            let candidate = try PolicyCommand.Diff.candidateTree(policies.path)
            let started = ContinuousClock.now
            let report = try PolicyCommand.Diff.replay(
                store: AuditStore(path: storePath, readOnly: true), candidate: candidate,
                query: AuditQuery(since: UnixTime(seconds: now.seconds - 86_400), kind: "decision"), exampleLimit: 5)
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("replay: \(report.records) records in \(elapsed), \(Int(Double(report.records) / seconds)) records/s")
            #expect(report.records == UInt64(count))
            #expect(report.changed == UInt64((count + 3) / 4))
        }
    }
}
