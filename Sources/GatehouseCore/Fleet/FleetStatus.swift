/// What `GET /v1/status` shows about the fleet: who this replica is, what the fleet should
/// enforce, and what every replica last reported.
package struct FleetStatus: Sendable, Hashable {
    /// This replica's name (its row in the replicas table).
    package var replica: String
    /// Whether this replica's listening connection to PostgreSQL is up now.
    package var isListening: Bool
    /// The fleet's desired revision, as last read; `nil` when none was ever published.
    package var desired: FleetRevision?
    /// Every replica's last report, ordered by name, as last read.
    package var replicas: [FleetReplicaReport]
    /// Why the table could not be read just now (the reports shown are then the last ones read).
    package var error: String?

    package init(
        replica: String, isListening: Bool, desired: FleetRevision?, replicas: [FleetReplicaReport],
        error: String? = nil
    ) {
        self.replica = replica
        self.isListening = isListening
        self.desired = desired
        self.replicas = replicas
        self.error = error
    }
}
