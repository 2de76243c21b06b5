import Foundation
import GatehouseTestSupport
import Testing

/// What the fleet end-to-end tests do to their replicas: admin calls that must answer promptly,
/// waiting for a state of all of them, a new revision of the shared policy directory.
enum FleetCalls {
    /// An admin call that must answer within a few seconds: the fleet's operations give up after
    /// 2 s (`fleet.postgres` away or not), and 10 s leaves room for a loaded machine.
    static func promptly<Answer>(_ what: String, _ call: () async throws -> Answer) async throws -> Answer {
        let started = ContinuousClock.now
        let answer = try await call()
        let took = ContinuousClock.now - started
        #expect(took < .seconds(10), "\(what) took \(took)")
        return answer
    }

    /// A new revision of the shared directory: the same policy with a different trailing comment.
    static func edit(_ policies: URL, revision: Int) throws {
        let file = policies.appendingPathComponent("e2e.yaml")
        var text = try String(contentsOf: file, encoding: .utf8)
        text += "\n# fleet revision \(revision)\n"
        try Data(text.utf8).write(to: file, options: .atomic)
    }

    /// Every replica's `GET /v1/status`, each answered promptly.
    static func statuses(_ replicas: [FleetReplicaServer]) async throws -> [FleetAdminStatus] {
        try await withThrowingTaskGroup(of: FleetAdminStatus.self) { group in
            for replica in replicas {
                group.addTask {
                    try await Self.promptly("GET /v1/status of \(replica.name)") { try await replica.status() }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// Asks `condition` every 20 ms (each ask a call to the replicas) until it holds.
    static func eventually(
        _ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                throw WaitTimedOut(description: "\(what): not within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits until `replica` is active on `revision`; returns how long after it was first seen
    /// listening again that was (zero when it was on it at the first look).
    static func catchUp(_ replica: FleetReplicaServer, to revision: String) async throws -> Duration {
        var reconnected: ContinuousClock.Instant?
        try await Self.eventually("\(replica.name) on \(revision)") {
            let status = try await replica.status()
            if reconnected == nil, status.fleet?.listening == true { reconnected = .now }
            return status.active?.revision == revision
        }
        return ContinuousClock.now - (reconnected ?? .now)
    }
}
