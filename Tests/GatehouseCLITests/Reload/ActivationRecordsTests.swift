import GatehouseCore
import GatehouseTestSupport
import Synchronization
import Testing

@testable import GatehouseCLI

/// Every reload attempt of the pipeline becomes an activation record of the decision log.
@Suite("Activation records", .bug(id: "13"), .timeLimit(.minutes(2)))
struct ActivationRecordsTests {
    static func line(_ record: AuditRecord) -> String {
        guard case .activation(let entry) = record.entry else { return "not an activation: \(record.kind)" }
        return "\(entry.trigger) \(entry.actor ?? "-") \(entry.outcome) \(entry.detail?.prefix(8) ?? "-")"
    }

    @Test("Start-up, a notify with no change, a refused and an activating reload: one record each, in order")
    func everyAttempt() async throws {
        try await withTemporaryDirectory("activation-records") { root in
            let fixture = ReloadFixture(root: root)
            try fixture.write(ReloadFixture.policy())
            let audit = RecordingAuditSink()
            let outcomes = Mutex(0)
            let reloader = try fixture.reloader(
                onOutcome: ActivationRecords.recording(
                    to: audit, source: fixture.policies, clock: { UnixTime(seconds: 7) },
                    then: { _, _, _ in outcomes.withLock { $0 += 1 } }))
            let (first, _) = await reloader.start()
            let unchanged = await reloader.reload(ReloadRequest(trigger: .notify, requestedBy: "token:ops"))
            try fixture.write(["p.yaml": "kind: Policy\nname: p\nrules: [ { name: x } ]\n"])
            _ = await reloader.reload(ReloadRequest(trigger: .signal))
            try fixture.write(ReloadFixture.policy(path: "/b"))
            let second = await reloader.reload(ReloadRequest(trigger: .watch))

            let records = audit.records.withLock { $0 }
            #expect(outcomes.withLock { $0 } == 4)
            #expect(
                records.map(Self.line) == [
                    "startup - activated -", "notify token:ops unchanged -", "signal - compile_failed compile:",
                    "watch - activated -",
                ])
            guard case .activation(let startup) = records.first?.entry,
                case .activation(let noChange) = records.dropFirst().first?.entry,
                case .activation(let last) = records.last?.entry
            else { return }
            #expect(startup.revision == first.activation?.revision)
            #expect(startup.source == fixture.policies)
            #expect(unchanged == .unchanged(revision: startup.revision ?? ""))
            #expect(noChange.revision == startup.revision && noChange.source == fixture.policies)
            // An unchanged source has no time of its own; a refusal and an activation carry theirs.
            #expect(records[1].time == UnixTime(seconds: 7))
            #expect(records[2].time != UnixTime(seconds: 7) && records[3].time != UnixTime(seconds: 7))
            #expect(last.revision == second.activation?.revision && last.revision != startup.revision)
            #expect(Set(records.map(\.id)).count == 4)
        }
    }

    @Test("Without a decision log the outcome goes straight on")
    func withoutLog() {
        let seen = Mutex(0)
        let onOutcome = ActivationRecords.recording(
            to: nil, source: "p", clock: { UnixTime(seconds: 0) }, then: { _, _, _ in seen.withLock { $0 += 1 } })
        onOutcome(.unchanged(revision: "r"), ReloadRequest(trigger: .poll), .zero)
        #expect(seen.withLock { $0 } == 1)
    }

    @Test("Durations are whole milliseconds")
    func duration() {
        let record = ActivationRecords.record(
            .unchanged(revision: "r"), request: ReloadRequest(trigger: .poll), duration: .milliseconds(1_234.9),
            source: "p", now: UnixTime(seconds: 0))
        guard case .activation(let entry) = record.entry else {
            Issue.record("not an activation")
            return
        }
        #expect(entry.durationMilliseconds == 1_234)
    }
}
