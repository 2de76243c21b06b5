import GatehouseCore
import GatehouseIdentity
import Logging
import ServiceLifecycle
import Synchronization

/// This server as one replica of a fleet (`fleet.postgres`): it follows the fleet's desired
/// revision, activates it through the reload pipeline, and reports what it has active.
///
/// Every call of the coordinator's `onDesired` (each (re)connect, notification and reconcile
/// tick) runs ``reconcile(_:)``: when the active revision is not the desired one, the SAME
/// pipeline every other trigger runs fetches the source expecting that revision and digest
/// (trigger `fleet`), or, when the source holds another revision and the bundle store keeps the
/// desired one, activates the kept copy (a published rollback). A refusal leaves the active
/// revision serving; it is recorded by the pipeline (decision log, status) and reported to the
/// fleet's table until a later attempt succeeds. Every activation, whatever triggered it, is
/// reported at once (``Settings/activations``).
final class FleetReplica: Service, Sendable {
    /// The follower's parts.
    struct Settings: Sendable {
        /// The fleet's table and channel.
        var coordinator: any FleetCoordinator
        /// The reload pipeline itself, never the admin API's view of it: what the fleet activates
        /// is not published again.
        var pipeline: any PolicyAdministration
        /// Wakes once after any activation (the pipeline's `onOutcome`), to report it.
        var activations: AsyncStream<Void>
        /// How long `/v1/status` and a publish wait for PostgreSQL before answering without it.
        var timeout: Duration = .seconds(2)
        var logger: Logger
    }

    private struct State {
        /// The last publication this replica reached (revision, digest, publisher and time): once
        /// reached, a local trigger (upload, SIGHUP, the watched directory) may change the active
        /// revision without the fleet undoing it until the next publication.
        var reached: FleetRevision?
        /// The last refusal of the desired revision, reported until a success clears it.
        var refusal: FleetRefusal?
        /// The desired revision and the replicas' reports as last read, shown while PostgreSQL is away.
        var desired: FleetRevision?
        var replicas: [FleetReplicaReport] = []
    }

    private let settings: Settings
    private let state = Mutex(State())

    init(_ settings: Settings) {
        self.settings = settings
    }

    var name: String { self.settings.coordinator.replica }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask { try await self.settings.coordinator.run { await self.reconcile($0) } }
                    group.addTask {
                        for await _ in self.settings.activations { await self.report() }
                    }
                }
            }
        } catch is CancellationError {
            // Shutting down: the coordinator ends with cancellation, which is no failure of the server.
        }
    }

    // MARK: - Following the fleet

    /// Brings this replica to `desired` if it is not there, then reports.
    func reconcile(_ desired: FleetRevision?) async {
        self.state.withLock { $0.desired = desired }
        guard let desired else {
            await self.report()
            return
        }
        let reachedBefore = self.state.withLock { $0.reached == desired }
        if await self.isActive(desired) {
            self.state.withLock {
                $0.reached = desired
                $0.refusal = nil
            }
        } else if !reachedBefore {
            await self.converge(on: desired)
        }
        await self.report()
    }

    private func converge(on desired: FleetRevision) async {
        let outcome = await self.activate(desired)
        let refusal: FleetRefusal?
        if await self.isActive(desired) {
            refusal = nil
        } else if case .refused(let failure) = outcome {
            refusal = FleetRefusal(desired: desired, code: failure.code, message: failure.message)
        } else {
            let active = await self.settings.pipeline.status().active?.revision ?? "none"
            refusal = FleetRefusal(
                desired: desired, code: "revision_mismatch",
                message:
                    "The source holds revision '\(active)', not the fleet's '\(desired.revision)', and the bundle store keeps no copy of it; publish it to the source."
            )
        }
        self.state.withLock {
            if refusal == nil { $0.reached = desired }
            $0.refusal = refusal
        }
        if let refusal {
            self.settings.logger.warning(
                "the fleet's desired revision was refused; the active revision keeps serving",
                metadata: [
                    "gatehouse.policy.revision": "\(desired)", "gatehouse.reload.code": "\(refusal.code)",
                    "error": "\(refusal.message)",
                ])
        }
    }

    /// The source, expecting the revision and digest; else the bundle store's copy of it.
    private func activate(_ desired: FleetRevision) async -> ReloadOutcome {
        let request = ReloadRequest(
            trigger: .fleet, requestedBy: desired.publishedBy, expectedRevision: desired.revision,
            expectedDigest: desired.digest.isEmpty ? nil : desired.digest)
        let outcome = await self.settings.pipeline.reload(request)
        guard case .refused(let failure) = outcome, ["revision_mismatch", "digest_mismatch"].contains(failure.code)
        else { return outcome }
        // The source moved on or back (a published rollback): a kept copy is the same content, verified again.
        guard await self.settings.pipeline.status().rollbackRevisions.contains(desired.revision) else { return outcome }
        return await self.settings.pipeline.rollback(to: desired.revision, request: request)
    }

    private func isActive(_ desired: FleetRevision) async -> Bool {
        guard let active = await self.settings.pipeline.status().active else { return false }
        return active.revision == desired.revision && (desired.digest.isEmpty || active.digest == desired.digest)
    }

    /// Reports the active revision and any refusal; a failure is logged (the next tick reports again).
    func report() async {
        guard let active = await self.settings.pipeline.status().active else { return }
        let refusal = self.state.withLock { $0.refusal }
        do {
            try await self.settings.coordinator.report(
                active: FleetRevision(revision: active.revision, digest: active.digest), refusal: refusal)
        } catch {
            self.settings.logger.warning(
                "the fleet could not be told this replica's active revision; it is reported again on the next reconcile",
                metadata: ["gatehouse.policy.revision": "\(active.revision)", "error": "\(error)"])
        }
    }

    // MARK: - Publishing and status

    /// After the admin API's notify or rollback on this replica: publishes what is active now
    /// when `outcome` activated it or found it active already; a refusal is not published.
    ///
    /// - Returns: `outcome`, or a refusal (`fleet_publish_failed`) when PostgreSQL did not take it:
    ///   the revision is active here, but the other replicas were not told.
    func publish(after outcome: ReloadOutcome, request: ReloadRequest) async -> ReloadOutcome {
        if case .refused = outcome { return outcome }
        guard let active = await self.settings.pipeline.status().active else { return outcome }
        let revision = FleetRevision(
            revision: active.revision, digest: active.digest, publishedBy: request.requestedBy)
        do {
            try await Self.within(self.settings.timeout) { try await self.settings.coordinator.publish(revision) }
            return outcome
        } catch {
            return .refused(
                ReloadFailure(
                    trigger: request.trigger, requestedBy: request.requestedBy, source: "fleet",
                    at: RemoteKeySet.systemWallClock(), stage: .activate, code: "fleet_publish_failed",
                    message:
                        "Revision '\(active.revision)' is active on this replica ('\(self.name)'), but it could not be published to the fleet, so the other replicas keep theirs: \(error). Notify again once PostgreSQL is reachable."
                ))
        }
    }

    /// The fleet's desired revision and every replica's last report, read now; as last read
    /// (with the reason) when PostgreSQL does not answer within the timeout.
    func status() async -> FleetStatus {
        let isListening = self.settings.coordinator.isListening
        do {
            let coordinator = self.settings.coordinator
            let (desired, replicas) = try await Self.within(self.settings.timeout) {
                (try await coordinator.desired(), try await coordinator.replicas())
            }
            self.state.withLock {
                $0.desired = desired
                $0.replicas = replicas
            }
            return FleetStatus(replica: self.name, isListening: isListening, desired: desired, replicas: replicas)
        } catch {
            let (desired, replicas) = self.state.withLock { ($0.desired, $0.replicas) }
            return FleetStatus(
                replica: self.name, isListening: isListening, desired: desired, replicas: replicas,
                error: "\(error)")
        }
    }

    /// `body`'s result, or ``FleetTimeout`` once `timeout` passed (`body` is cancelled).
    private static func within<Result: Sendable>(
        _ timeout: Duration, _ body: @escaping @Sendable () async throws -> Result
    ) async throws -> Result {
        try await withThrowingTaskGroup(of: Result.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw FleetTimeout(timeout: timeout)
            }
            defer { group.cancelAll() }
            // The group has two tasks; the first to finish decides.
            return try await group.next()!
        }
    }
}

/// PostgreSQL did not answer in time.
struct FleetTimeout: Error, CustomStringConvertible {
    var timeout: Duration
    var description: String { "PostgreSQL did not answer within \(self.timeout); check that it is reachable" }
}
