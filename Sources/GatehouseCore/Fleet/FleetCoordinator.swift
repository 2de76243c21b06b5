/// The fleet's shared view of which policy revision every replica should enforce, and which
/// one each replica does.
///
/// The port belongs to its caller, the CLI's composition root: it wires ``run(onDesired:)`` to
/// the reload pipeline (the same one the admin API's notification runs, never a second code
/// path), publishes when the admin API is notified, and shows ``replicas()`` in the status API.
/// Implementations (GatehouseFleet's PostgreSQL coordinator) keep the desired revision in a
/// table and announce changes on a channel; correctness must never depend on an announcement
/// arriving: ``run(onDesired:)`` also hands over the table's revision on every (re)connect and
/// on a slow timer, so a replica cut off while a revision was published still converges.
package protocol FleetCoordinator: Sendable {
    /// This replica's instance id, as its reports carry it.
    var replica: String { get }

    /// Whether the listening connection is up now (``run(onDesired:)`` reconnects when it is not).
    var isListening: Bool { get }

    /// Follows the fleet until the task is cancelled: calls `onDesired` with the desired revision
    /// (`nil` while none was ever published) on every (re)connect, every notification and every
    /// reconcile tick, one call at a time.
    ///
    /// `onDesired` may be called again with a revision it has seen (it reconciles, so it must be
    /// idempotent: activate only what is not active yet, then ``report(active:refusal:)``). Losing the
    /// connection is not an error: the coordinator reconnects with backoff.
    /// The other methods work only while this runs.
    func run(onDesired: @escaping @Sendable (FleetRevision?) async -> Void) async throws

    /// Makes `revision` the fleet's desired revision and announces it to every listening replica.
    func publish(_ revision: FleetRevision) async throws

    /// Records `revision` as the one this replica has active, and `refusal` as why it is not on
    /// the desired one (`nil` clears an earlier refusal).
    func report(active revision: FleetRevision, refusal: FleetRefusal?) async throws

    /// The fleet's desired revision, if one was ever published.
    func desired() async throws -> FleetRevision?

    /// Every replica's last report, ordered by replica id.
    func replicas() async throws -> [FleetReplicaReport]
}
