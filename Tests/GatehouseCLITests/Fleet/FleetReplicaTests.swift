import GatehouseCore
import Logging
import Synchronization
import Testing

@testable import GatehouseCLI

/// How a replica follows the fleet's desired revision, with the fleet's table and the reload
/// pipeline replaced by fakes (`FleetServeEndToEndTests` runs the real ones).
@Suite("FleetReplica")
struct FleetReplicaTests {
    static let a = FleetRevision(revision: "a", digest: "sha256:a", publishedBy: "token:admin")
    static let b = FleetRevision(revision: "b", digest: "sha256:b", publishedBy: "token:admin")

    @Test(
        "Off the desired revision, it activates it through the pipeline (trigger fleet, expected revision and digest) and reports it"
    )
    func activatesDesired() async throws {
        let pipeline = FakePipeline(active: Self.a, source: Self.b)
        let (replica, table) = Self.replica(pipeline)
        await replica.reconcile(Self.b)
        #expect(pipeline.active?.revision == "b")
        let request = try #require(pipeline.requests.first)
        #expect(request.trigger == .fleet && request.requestedBy == "token:admin")
        #expect(request.expectedRevision == "b" && request.expectedDigest == "sha256:b")
        #expect(table.reports.last?.active.revision == "b" && table.reports.last?.refusal == nil)
        // Reconciling again (the timer) changes nothing and reports again.
        await replica.reconcile(Self.b)
        #expect(pipeline.requests.count == 1)
        #expect(table.reports.count == 2)
    }

    @Test("The source holding another revision: the bundle store's copy is activated (a published rollback)")
    func keptCopyWhenSourceMovedOn() async throws {
        let pipeline = FakePipeline(active: Self.b, source: Self.b, kept: [Self.a])
        let (replica, table) = Self.replica(pipeline)
        await replica.reconcile(Self.a)
        #expect(pipeline.active?.revision == "a")
        #expect(pipeline.rollbacks == ["a"])
        #expect(table.reports.last?.refusal == nil)
    }

    @Test(
        "A refused desired revision: the active one keeps serving, the refusal is reported, a later success clears it")
    func refusalReported() async throws {
        let pipeline = FakePipeline(active: Self.a, source: FleetRevision(revision: "b", digest: "sha256:other"))
        let (replica, table) = Self.replica(pipeline)
        await replica.reconcile(Self.b)
        #expect(pipeline.active?.revision == "a")
        let report = try #require(table.reports.last)
        #expect(report.active.revision == "a")
        #expect(report.refusal?.code == "digest_mismatch" && report.refusal?.desired == Self.b)
        // Retried on the next read of the table; the source has the right content now.
        pipeline.setSource(Self.b)
        await replica.reconcile(Self.b)
        #expect(pipeline.active?.revision == "b")
        #expect(table.reports.last?.refusal == nil)
    }

    @Test("Once a publication is reached, a local change (upload, SIGHUP) is left alone until the next one")
    func reachedPublicationNotUndone() async throws {
        let pipeline = FakePipeline(active: Self.a, source: Self.b)
        let (replica, table) = Self.replica(pipeline)
        await replica.reconcile(Self.b)
        pipeline.activateLocally(FleetRevision(revision: "local", digest: "sha256:local"))
        await replica.reconcile(Self.b)
        #expect(pipeline.active?.revision == "local")
        #expect(table.reports.last?.active.revision == "local")
        // A new publication of b (another time) is followed again.
        var republished = Self.b
        republished.publishedAt = UnixTime(seconds: 1_800_000_000)
        await replica.reconcile(republished)
        #expect(pipeline.active?.revision == "b")
    }

    @Test(
        "Notify publishes what it activated; a refusal is not published; a publication PostgreSQL refuses is fleet_publish_failed"
    )
    func publishing() async throws {
        let pipeline = FakePipeline(active: Self.a, source: Self.b)
        let (replica, table) = Self.replica(pipeline)
        let request = ReloadRequest(trigger: .notify, requestedBy: "token:admin")
        let activated = await pipeline.reload(request)
        #expect(await replica.publish(after: activated, request: request) == activated)
        #expect(table.published.map(\.revision) == ["b"])
        #expect(table.published.first?.digest == "sha256:b" && table.published.first?.publishedBy == "token:admin")

        let refused = ReloadOutcome.refused(
            ReloadFailure(
                trigger: .notify, requestedBy: nil, source: "s", at: UnixTime(seconds: 0), stage: .compile,
                code: "compile_failed", message: "m"))
        #expect(await replica.publish(after: refused, request: request) == refused)
        #expect(table.published.count == 1)

        table.failPublishing()
        guard case .refused(let failure) = await replica.publish(after: .unchanged(revision: "b"), request: request)
        else {
            Issue.record("a failed publication must be a refusal")
            return
        }
        #expect(failure.code == "fleet_publish_failed")
        #expect(failure.message.contains("'b' is active on this replica"))
    }

    private static func replica(_ pipeline: FakePipeline) -> (FleetReplica, FakeFleetTable) {
        let table = FakeFleetTable()
        let replica = FleetReplica(
            FleetReplica.Settings(
                coordinator: table, pipeline: pipeline, activations: AsyncStream { $0.finish() },
                logger: Logger(label: "fleet.tests", factory: { _ in SwiftLogNoOpLogHandler() })))
        return (replica, table)
    }
}

/// The fleet's table in memory: what was published and reported.
final class FakeFleetTable: FleetCoordinator {
    private struct State {
        var published: [FleetRevision] = []
        var reports: [FleetReplicaReport] = []
        var publishFails = false
    }
    private let state = Mutex(State())

    var replica: String { "replica-test" }
    var isListening: Bool { true }
    var published: [FleetRevision] { self.state.withLock { $0.published } }
    var reports: [FleetReplicaReport] { self.state.withLock { $0.reports } }
    func failPublishing() { self.state.withLock { $0.publishFails = true } }

    func run(onDesired: @escaping @Sendable (FleetRevision?) async -> Void) async throws {}

    func publish(_ revision: FleetRevision) async throws {
        try self.state.withLock {
            if $0.publishFails { throw FleetTimeout(timeout: .seconds(2)) }
            $0.published.append(revision)
        }
    }

    func report(active revision: FleetRevision, refusal: FleetRefusal?) async throws {
        self.state.withLock {
            $0.reports.append(
                FleetReplicaReport(
                    replica: "replica-test", active: revision, reportedAt: UnixTime(seconds: 0), refusal: refusal))
        }
    }

    func desired() async throws -> FleetRevision? { self.published.last }
    func replicas() async throws -> [FleetReplicaReport] { self.reports }
}

/// A reload pipeline whose source holds one revision and whose store keeps some.
final class FakePipeline: PolicyAdministration {
    private struct State {
        var active: FleetRevision?
        var source: FleetRevision
        var kept: [FleetRevision]
        var requests: [ReloadRequest] = []
        var rollbacks: [String] = []
    }
    private let state: Mutex<State>

    init(active: FleetRevision?, source: FleetRevision, kept: [FleetRevision] = []) {
        self.state = Mutex(State(active: active, source: source, kept: kept))
    }

    var active: FleetRevision? { self.state.withLock { $0.active } }
    var requests: [ReloadRequest] { self.state.withLock { $0.requests } }
    var rollbacks: [String] { self.state.withLock { $0.rollbacks } }
    func setSource(_ source: FleetRevision) { self.state.withLock { $0.source = source } }
    func activateLocally(_ revision: FleetRevision) { self.state.withLock { $0.active = revision } }

    func status() async -> PolicyStatus {
        let state = self.state.withLock { $0 }
        return PolicyStatus(
            active: state.active.map { Self.activation($0) }, isReady: true, lastFailure: nil, history: [],
            failures: [], rollbackRevisions: state.kept.map(\.revision), keySets: [], cache: nil)
    }

    func reload(_ request: ReloadRequest) async -> ReloadOutcome {
        self.state.withLock { state in
            state.requests.append(request)
            let source = state.source
            if let expected = request.expectedRevision, expected != source.revision {
                return Self.refusal(request, "revision_mismatch")
            }
            if let expected = request.expectedDigest, expected != source.digest {
                return Self.refusal(request, "digest_mismatch")
            }
            if state.active?.isSameContent(as: source) == true { return .unchanged(revision: source.revision) }
            state.active = source
            return .activated(Self.activation(source))
        }
    }

    func activate(uploadedBundle bundle: [UInt8], request: ReloadRequest) async -> ReloadOutcome {
        Self.refusal(request, "not_in_this_test")
    }

    func rollback(to revision: String?, request: ReloadRequest) async -> ReloadOutcome {
        self.state.withLock { state in
            state.rollbacks.append(revision ?? "")
            guard let kept = state.kept.first(where: { $0.revision == revision }) else {
                return Self.refusal(request, "revision_not_kept")
            }
            state.active = kept
            return .activated(Self.activation(kept))
        }
    }

    private static func activation(_ revision: FleetRevision) -> PolicyActivation {
        PolicyActivation(
            revision: revision.revision, source: "source", trigger: .fleet, requestedBy: nil,
            activatedAt: UnixTime(seconds: 0), duration: .zero, policies: 1, rules: 1, signedBy: [],
            digest: revision.digest)
    }

    private static func refusal(_ request: ReloadRequest, _ code: String) -> ReloadOutcome {
        .refused(
            ReloadFailure(
                trigger: request.trigger, requestedBy: request.requestedBy, source: "source",
                at: UnixTime(seconds: 0), stage: .fetch, code: code, message: code))
    }
}
