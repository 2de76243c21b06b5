package import GatehouseCore

extension AdminDTO {
    /// `/v1/status`'s `fleet`: this replica's name, whether it listens, the fleet's desired
    /// revision, and every replica's last report as this replica read it from PostgreSQL.
    package struct Fleet: Codable, Sendable, Hashable {
        package var replica: String
        /// Whether this replica's listening connection to PostgreSQL is up.
        package var listening: Bool
        /// `nil` when no revision was ever published.
        package var desired: FleetRevision?
        package var replicas: [Replica]
        /// Why PostgreSQL could not be read just now; the rest is then as last read.
        package var error: String?

        package init(_ status: FleetStatus) {
            self.replica = status.replica
            self.listening = status.isListening
            self.desired = status.desired.map(FleetRevision.init)
            self.replicas = status.replicas.map { Replica($0, desired: status.desired) }
            self.error = status.error
        }
    }

    /// A revision as the fleet names it.
    package struct FleetRevision: Codable, Sendable, Hashable {
        package var revision: String
        package var digest: String
        package var publishedBy: String?
        package var publishedAt: String?

        package init(_ revision: GatehouseCore.FleetRevision) {
            self.revision = revision.revision
            self.digest = revision.digest
            self.publishedBy = revision.publishedBy
            self.publishedAt = revision.publishedAt.map(AdminDTO.text)
        }
    }

    /// One replica's last report: its active revision, when it reported, and why it is not on
    /// the desired revision when its last attempt was refused.
    package struct Replica: Codable, Sendable, Hashable {
        package var replica: String
        package var revision: String
        package var digest: String
        package var reportedAt: String
        /// Whether the reported revision is the desired one (same revision and digest).
        package var onDesired: Bool
        package var refusal: FleetRefusal?

        package init(_ report: FleetReplicaReport, desired: GatehouseCore.FleetRevision?) {
            self.replica = report.replica
            self.revision = report.active.revision
            self.digest = report.active.digest
            self.reportedAt = AdminDTO.text(report.reportedAt)
            self.onDesired = desired.map { report.active.isSameContent(as: $0) } ?? false
            self.refusal = report.refusal.map(FleetRefusal.init)
        }
    }

    /// Why a replica refused the desired revision (the reload pipeline's code and message).
    package struct FleetRefusal: Codable, Sendable, Hashable {
        package var revision: String
        package var digest: String
        package var code: String
        package var message: String

        package init(_ refusal: GatehouseCore.FleetRefusal) {
            self.revision = refusal.desired.revision
            self.digest = refusal.desired.digest
            self.code = refusal.code
            self.message = refusal.message
        }
    }
}
