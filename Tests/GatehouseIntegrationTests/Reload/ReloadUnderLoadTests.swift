import EnvoyAuthAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GatehouseIdentity
import GatehouseTestSupport
import SwiftProtobuf
import Synchronization
import Testing

/// Issue #12's reliability run, at test size: reloads of every kind while checks keep flowing.
///
/// Four loops on two connections send checks to a real `gatehouse serve` the whole time; the
/// test meanwhile publishes 20 bundles, alternating a valid one (a new revision) with each kind
/// the server must refuse, and notifies after each. `deploy/bench/reload-under-load.sh` is the
/// 100-reload run under h2load.
@Suite("Reload under load", .bug(id: "12"), .timeLimit(.minutes(3)))
struct ReloadUnderLoadTests {
    /// One check as a loop saw it.
    struct Sample: Sendable {
        var sent: ContinuousClock.Instant
        var answered: ContinuousClock.Instant
        /// The decision's `policy_revision`, or `nil` when the call failed.
        var revision: String?
        var error: String?
    }

    /// One reload the test asked for.
    struct Reload: Sendable {
        var kind: ReloadBundles.Kind
        var revision: String
        var notified: ContinuousClock.Instant
        var answered: ContinuousClock.Instant
    }

    /// valid, invalid, valid, unsigned, valid, unknown key, valid, failing test, … (20 reloads, 10 activations).
    static let schedule: [ReloadBundles.Kind] = (0..<20).map { index in
        let refused: [ReloadBundles.Kind] = [.invalid, .unsigned, .unknownKey, .failingTest]
        return index % 2 == 0 ? .valid : refused[(index / 2) % refused.count]
    }

    @Test(
        "Valid, invalid, unsigned, unknown-key and test-failing reloads under checks: no failed check, no revision that was not activated, the new one at once"
    )
    func reloadsUnderLoad() async throws {
        let bundles = try ReloadBundles()
        try await withTemporaryDirectory("reload-load") { directory in
            let initial = try bundles.archive(.valid, revision: "r0", in: directory)
            try await ReloadServer.with(
                // Every answer's policy_revision is read: the full metadata.
                directory: directory, keys: bundles.signer.publicJWKS(), initial: initial,
                extraSettings: "envoy: {metadata: full}"
            ) { server in
                let stop = StopFlag()
                let (samples, reloads) = try await withThrowingTaskGroup(of: [Sample].self) { group in
                    for connection in 0..<2 {
                        group.addTask {
                            try await GatehouseClient.with(port: server.grpcPort) { client in
                                try await withThrowingTaskGroup(of: [Sample].self) { loops in
                                    for loop in 0..<2 {
                                        loops.addTask {
                                            await Self.checkLoop(client, index: connection * 2 + loop, until: stop)
                                        }
                                    }
                                    return try await loops.reduce(into: []) { $0 += $1 }
                                }
                            }
                        }
                    }
                    let reloads: [Reload]
                    do {
                        reloads = try await Self.reload(server, bundles: bundles, scratch: directory)
                    } catch {
                        stop.raise()
                        throw error
                    }
                    stop.raise()
                    let samples = try await group.reduce(into: []) { $0 += $1 }
                    return (samples, reloads)
                }
                Self.judge(samples: samples, reloads: reloads, log: server.process.log)
            }
        }
    }

    /// Sends checks one after another until `stop`, alternating an allowed and a denied path; with
    /// `minimum`, also until it has sent that many (or `cap` has passed since it started), so a
    /// loop starved of CPU by a busy machine still sends enough to judge.
    static func checkLoop(
        _ client: GRPCClient<HTTP2ClientTransport.Posix>, index: Int, until stop: StopFlag, atLeast minimum: Int = 0,
        cap: Duration = .seconds(120)
    ) async -> [Sample] {
        var samples: [Sample] = []
        var count = 0
        let giveUp = ContinuousClock.now + cap
        while !stop.isRaised || (samples.count < minimum && ContinuousClock.now < giveUp) {
            count += 1
            // Distinct paths, so that most checks are computed, not answered from the cache.
            let path = count % 2 == 0 ? "/public/\(index)/\(count % 500)" : "/private/\(count % 50)"
            var request = GatehouseClient.request(path: path)
            request.attributes.request.http.host = ReloadBundles.host
            request.attributes.contextExtensions = [:]
            let sent = ContinuousClock.now
            do {
                let response = try await GatehouseClient.check(client, request)
                samples.append(
                    Sample(
                        sent: sent, answered: .now,
                        revision: response.dynamicMetadata.fields["policy_revision"]?.stringValue ?? "(none)"))
            } catch {
                samples.append(Sample(sent: sent, answered: .now, revision: nil, error: "\(error)"))
            }
        }
        return samples
    }

    /// Publishes and notifies every bundle of ``schedule``, checking each answer and the status after it.
    static func reload(_ server: ReloadServer, bundles: ReloadBundles, scratch: URL) async throws -> [Reload] {
        var reloads: [Reload] = []
        var active = "r0"
        // Let the loops get going on r0 first.
        try await Task.sleep(for: .milliseconds(300))
        for (index, kind) in Self.schedule.enumerated() {
            let revision = kind == .valid ? "r\(index / 2 + 1)" : "refused-\(index)-\(kind.rawValue)"
            try server.publish(try bundles.archive(kind, revision: revision, in: scratch))
            let notified = ContinuousClock.now
            let outcome = try await server.notify()
            let answered = ContinuousClock.now
            reloads.append(Reload(kind: kind, revision: revision, notified: notified, answered: answered))
            if let code = kind.refusalCode {
                #expect(outcome.outcome == "refused", "\(kind) bundle \(revision): \(outcome)")
                #expect(outcome.failure?.code == code, "\(kind) bundle \(revision): \(outcome)")
                let status = try await server.status()
                #expect(
                    status.lastFailure?.code == code, "\(kind): status shows \(String(describing: status.lastFailure))")
                #expect(status.lastFailure?.message.isEmpty == false)
                #expect(status.active?.revision == active, "\(kind) bundle changed the active revision")
            } else {
                #expect(outcome.outcome == "activated" && outcome.revision == revision, "\(revision): \(outcome)")
                active = revision
                let status = try await server.status()
                #expect(status.active?.revision == revision)
                #expect(status.active?.signedBy == [bundles.signer.keyID])
                // The first check after the activation answers on the new revision.
                try await GatehouseClient.with(port: server.grpcPort) { client in
                    var request = GatehouseClient.request(path: "/public/first-after-\(revision)")
                    request.attributes.request.http.host = ReloadBundles.host
                    request.attributes.contextExtensions = [:]
                    let response = try await GatehouseClient.check(client, request)
                    #expect(response.dynamicMetadata.fields["policy_revision"]?.stringValue == revision)
                }
            }
            // Checks run on each revision for a while, and each refusal lands between them.
            try await Task.sleep(for: .milliseconds(150))
        }
        return reloads
    }

    /// Every check answered, on an activated revision, and on the latest one once its notify was answered.
    static func judge(samples: [Sample], reloads: [Reload], log: String) {
        let failed = samples.filter { $0.error != nil }
        #expect(failed.isEmpty, "\(failed.count) of \(samples.count) checks failed, e.g. \(failed.first?.error ?? "")")
        #expect(samples.count >= 200, "only \(samples.count) checks ran during the reloads")
        let activations = reloads.filter { $0.kind == .valid }
        let activated = Set(["r0"] + activations.map(\.revision))
        let foreign = samples.compactMap(\.revision).filter { !activated.contains($0) }
        #expect(foreign.isEmpty, "decisions on revisions never activated: \(Set(foreign).sorted())")
        // Between one activation's answer and the next valid notify, only that revision may answer;
        // before a notify was sent, its revision may not answer at all.
        for (index, activation) in activations.enumerated() {
            let next = index + 1 < activations.count ? activations[index + 1].notified : .now
            let window = samples.filter { $0.sent > activation.answered && $0.answered < next && $0.error == nil }
            let stale = window.filter { $0.revision != activation.revision }
            #expect(
                stale.isEmpty,
                "\(stale.count) of \(window.count) checks after \(activation.revision) was active answered on \(Set(stale.compactMap(\.revision)).sorted())"
            )
            let early = samples.filter { $0.answered < activation.notified && $0.revision == activation.revision }
            #expect(early.isEmpty, "\(early.count) checks answered on \(activation.revision) before it was published")
        }
        #expect(!log.contains("Fatal error"), "the server crashed:\n\(log.suffix(2000))")
    }
}

/// Tells the check loops to finish.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)

    var isRaised: Bool { self.raised.load(ordering: .relaxed) }

    func raise() { self.raised.store(true, ordering: .relaxed) }
}
