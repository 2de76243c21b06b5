import EnvoyAuthAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GatehouseTestSupport
import SwiftProtobuf
import Synchronization
import Testing

/// Issue #13's reliability properties, at test size, through the built `gatehouse serve`
/// (`deploy/gatehouse.yaml`: decision log on, `audit.flushInterval` 100 ms) under direct gRPC load.
///
/// `deploy/bench/audit-kill.sh` is the full run (20 `kill -9` cycles through a real Envoy, with
/// figures); these catch a regression: a clean shutdown that loses a record, a `kill -9` after
/// which the store does not open or does not verify, or one that loses more than the recent tail.
@Suite("Decision log reliability", .bug(id: "13"), .timeLimit(.minutes(5)))
struct DecisionLogReliabilityTests {
    /// One check a load loop saw answered.
    struct Answer: Sendable {
        var id: String
        var at: ContinuousClock.Instant
    }

    /// How long before a `kill -9` a lost record may have been answered: `audit.flushInterval`
    /// (100 ms) plus one batch's write, with room for a debug build on a loaded 2-core machine
    /// (the writer thread competes with the load, the test and other suites). A writer that stopped
    /// flushing until shutdown loses everything answered since the start, seconds before the kill.
    static let lossWindow = Duration.milliseconds(100 + 900)

    @Test(
        "kill -9 under load, 3 times: the store opens again, audit verify exits 0, only checks answered in the last flush window are lost"
    )
    func killUnderLoad() async throws {
        try await GatehouseServer.with { server in
            var report: [String] = []
            for cycle in 1...3 {
                let loadFor = Duration.milliseconds(Int.random(in: 1_000...2_000))
                let (answers, killedAt, _) = try await Self.load(server, for: loadFor) {
                    let at = ContinuousClock.now
                    await server.process.kill()
                    return at
                }
                let verify = try await Self.verify(server)
                #expect(verify.status == 0, "cycle \(cycle): audit verify after kill -9:\n\(verify.combined)")
                // The store opens: a store_corrupt refusal would end serve before it listens.
                try await server.restart()
                let stored = try await Self.storedIDs(server)
                let lost = answers.filter { !stored.contains($0.id) }
                let oldest = lost.map { killedAt - $0.at }.max() ?? .zero
                report.append(
                    "cycle \(cycle): \(answers.count) answered, \(lost.count) lost, oldest lost \(oldest) before the kill"
                )
                #expect(answers.count >= 100, "cycle \(cycle): too little load to judge (\(answers.count) checks)")
                #expect(
                    oldest <= Self.lossWindow,
                    "cycle \(cycle): a record answered \(oldest) before the kill is missing (\(lost.count) of \(answers.count) lost)"
                )
            }
            let status = await server.process.terminate()
            #expect(status == 0, "serve exits cleanly after the kills:\n\(server.process.log)")
            let verify = try await Self.verify(server)
            #expect(verify.status == 0, "audit verify at the end:\n\(verify.combined)")
            print(report.joined(separator: "\n"))
        }
    }

    @Test(
        "SIGTERM under load: every check answered is a record, none stored that was not answered, audit verify exits 0")
    func cleanShutdownUnderLoad() async throws {
        try await GatehouseServer.with { server in
            let (answers, status, failedCalls) = try await Self.load(server, for: .milliseconds(1_500)) {
                await server.process.terminate()
            }
            #expect(status == 0, "serve drains and exits 0 on SIGTERM:\n\(server.process.log)")
            let stored = try await Self.storedIDs(server)
            let answered = Set(answers.map(\.id))
            #expect(answers.count >= 100, "too little load to judge (\(answers.count) checks)")
            #expect(
                answered.subtracting(stored).isEmpty,
                "answered, not stored: \(answered.subtracting(stored).count) of \(answered.count)")
            // A record whose answer never reached the client (its call timed out on a loaded machine,
            // or was cut off by the drain) is not a loss; anything beyond the calls that failed is.
            #expect(
                stored.subtracting(answered).count <= failedCalls,
                "stored, never answered: \(stored.subtracting(answered).count), calls failed: \(failedCalls)")
            let verify = try await Self.verify(server)
            #expect(verify.status == 0, "audit verify after SIGTERM:\n\(verify.combined)")
        }
    }

    /// How long ``load(_:for:minimum:then:)`` keeps loading for its minimum at most: generous,
    /// since a debug server beside a full suite on two cores may answer few checks a second.
    static let loadCap = Duration.seconds(60)

    /// Sends checks on two connections, two loops each, for `duration` and until at least
    /// `minimum` were answered (a loaded machine may need longer; ``loadCap`` at most), then runs
    /// `action` (which stops the server) beside them; returns every check answered (its decision
    /// id and when) and what `action` returned.
    ///
    /// Each connection's loops run on a thread of their own (``DedicatedThreadExecutor``), not on
    /// the cooperative pool: in a full local run the pool's two threads are busy with other
    /// suites, and loops there answered only 86–88 checks before the signal.
    ///
    /// Calls do not wait for a connection: once the server is gone they fail at once, so the loops
    /// end as soon as `action` has stopped it.
    static func load<Result: Sendable>(
        _ server: GatehouseServer, for duration: Duration, minimum: Int = 200,
        then action: @escaping @Sendable () async throws -> Result
    ) async throws -> ([Answer], Result, failedCalls: Int) {
        let stop = StopFlag()
        let answered = AnswerCount()
        let failed = AnswerCount()
        return try await withThrowingTaskGroup(of: [Answer].self) { group in
            for connection in 0..<2 {
                let executor = DedicatedThreadExecutor(label: "gatehouse-test-load-\(connection)")
                group.addTask(executorPreference: executor) {
                    try await GatehouseClient.with(port: server.port) { client in
                        try await withThrowingTaskGroup(of: [Answer].self) { loops in
                            for loop in 0..<2 {
                                loops.addTask {
                                    await Self.checkLoop(
                                        client, index: connection * 2 + loop, counting: answered, failed: failed,
                                        until: stop)
                                }
                            }
                            return try await loops.reduce(into: []) { $0 += $1 }
                        }
                    }
                }
            }
            let result: Result
            do {
                let started = ContinuousClock.now
                try await Task.sleep(for: duration)
                while answered.value < minimum, ContinuousClock.now - started < Self.loadCap {
                    try await Task.sleep(for: .milliseconds(50))
                }
                result = try await action()
            } catch {
                stop.raise()
                throw error
            }
            stop.raise()
            let answers = try await group.reduce(into: []) { $0 += $1 }
            return (answers, result, failed.value)
        }
    }

    /// Checks one after another until `stop`; a failed call (the server stopped) is not an answer.
    static func checkLoop(
        _ client: GRPCClient<HTTP2ClientTransport.Posix>, index: Int, counting answered: AnswerCount,
        failed: AnswerCount, until stop: StopFlag
    ) async -> [Answer] {
        var options = CallOptions.timeout(.seconds(5))
        options.waitForReady = false
        let authorization = Envoy_Service_Auth_V3_Authorization.Client(wrapping: client)
        var answers: [Answer] = []
        var count = 0
        while !stop.isRaised {
            count += 1
            // Some computed decisions, most from the cache, as traffic has them.
            let path = count % 4 == 0 ? "/records/secret" : "/public/\(index)/\(count % 64)"
            do {
                let response = try await authorization.check(GatehouseClient.request(path: path), options: options)
                answers.append(Answer(id: response.dynamicMetadata.fields["decision_id"]?.stringValue ?? "", at: .now))
                answered.add()
            } catch {
                failed.add()
                // The server is gone (killed or draining); pause so a loop does not spin on refusals.
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        return answers
    }

    /// `gatehouse audit verify` on the server's store with its key file.
    static func verify(_ server: GatehouseServer) async throws -> ProcessRunner.Output {
        let state = server.directory.appendingPathComponent(".gatehouse")
        return try await ProcessRunner.run(
            Repository.gatehouse.path,
            [
                "audit", "verify", "--db", state.appendingPathComponent("decisions.db").path,
                "--key-file", state.appendingPathComponent("audit-key.pem").path,
            ])
    }

    /// The decision ids in the server's store, from `gatehouse audit query --format jsonl`.
    static func storedIDs(_ server: GatehouseServer) async throws -> Set<String> {
        let store = server.directory.appendingPathComponent(".gatehouse/decisions.db").path
        let output = try await ProcessRunner.run(
            Repository.gatehouse.path, ["audit", "query", "--db", store, "--kind", "decision", "--format", "jsonl"])
        guard output.status == 0 else { throw ChildProcessError(message: "audit query: \(output.combined)") }
        var ids = Set<String>()
        for line in output.stdout.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let id = object["id"] as? String
            else { continue }
            ids.insert(id)
        }
        return ids
    }
}

/// How many checks the load loops saw answered (or failed) so far.
final class AnswerCount: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { self.count.load(ordering: .relaxed) }

    func add() { self.count.add(1, ordering: .relaxed) }
}
