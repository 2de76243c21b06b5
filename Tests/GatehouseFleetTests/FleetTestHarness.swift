import GatehouseCore
import GatehouseFleet
import GatehouseTestSupport
import Logging
import Synchronization

/// Running coordinators against the test PostgreSQL, and what each one's `onDesired` was handed.
enum FleetTestHarness {
    /// A logger that prints nothing; the tests read the coordinators' statistics instead.
    static let logger = Logger(label: "gatehouse.fleet.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A coordinator for `replica` on `database`, with `configure` applied to its configuration.
    static func coordinator(
        _ replica: String, on database: TestPostgres.Database,
        configure: (inout PostgresFleetConfiguration) -> Void = { _ in }
    ) throws -> PostgresFleetCoordinator {
        var configuration = try PostgresFleetConfiguration(url: database.url + "?sslmode=disable", replica: replica)
        configure(&configuration)
        return PostgresFleetCoordinator(configuration: configuration, logger: Self.logger)
    }

    /// Runs every coordinator while `body` does, each recording what its `onDesired` receives;
    /// cancels them all when `body` returns or throws.
    static func withRunning<Result: Sendable>(
        _ coordinators: [PostgresFleetCoordinator], _ body: @Sendable ([Recorder]) async throws -> Result
    ) async throws -> Result {
        let recorders = coordinators.map { _ in Recorder() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            for (coordinator, recorder) in zip(coordinators, recorders) {
                group.addTask { try await coordinator.run { if let desired = $0 { recorder.record(desired) } } }
            }
            let result = try await body(recorders)
            group.cancelAll()
            return result
        }
    }
}

/// What one coordinator's `onDesired` received, in order, and a way to wait for a revision.
final class Recorder: Sendable {
    private let received = Mutex<[FleetRevision]>([])
    private let stream: AsyncStream<FleetRevision>
    private let continuation: AsyncStream<FleetRevision>.Continuation

    init() {
        (self.stream, self.continuation) = AsyncStream.makeStream(of: FleetRevision.self)
    }

    /// Every revision handed over so far.
    var revisions: [FleetRevision] { self.received.withLock { $0 } }

    func record(_ revision: FleetRevision) {
        self.received.withLock { $0.append(revision) }
        self.continuation.yield(revision)
    }

    /// Waits until `onDesired` is handed `revision` (by name), consuming what came before it.
    ///
    /// One waiter at a time: the recorder's stream has a single consumer.
    func next(_ revision: String, timeout: Duration = .seconds(20)) async throws -> FleetRevision {
        let stream = self.stream
        return try await withThrowingTaskGroup(of: FleetRevision?.self) { group in
            group.addTask {
                for await received in stream where received.revision == revision { return received }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw WaitTimedOut(description: "revision '\(revision)' did not arrive within \(timeout)")
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let received = first else {
                throw WaitTimedOut(description: "revision '\(revision)' never arrived")
            }
            return received
        }
    }
}
