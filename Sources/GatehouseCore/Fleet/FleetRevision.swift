/// A policy revision as the fleet names it: what the admin published, or what a replica runs.
///
/// Only ``revision`` and ``digest`` travel in a notification (a PostgreSQL `NOTIFY` payload must
/// stay under 8,000 bytes); who published it and when are kept beside it in the fleet's table.
package struct FleetRevision: Sendable, Hashable, CustomStringConvertible {
    /// The bundle's revision, as ``PolicyActivation/revision`` names it.
    package var revision: String
    /// What identifies the revision's content (e.g. `sha256:…`), so a replica can tell two
    /// bundles published under one revision name apart; empty when the publisher has none.
    package var digest: String
    /// Who published it (the admin caller's name), when known.
    package var publishedBy: String?
    /// When it was published, when known.
    package var publishedAt: UnixTime?

    package init(revision: String, digest: String, publishedBy: String? = nil, publishedAt: UnixTime? = nil) {
        self.revision = revision
        self.digest = digest
        self.publishedBy = publishedBy
        self.publishedAt = publishedAt
    }

    /// Whether `other` names the same content: revision and digest equal, whoever published it when.
    package func isSameContent(as other: FleetRevision) -> Bool {
        self.revision == other.revision && self.digest == other.digest
    }

    package var description: String { self.digest.isEmpty ? self.revision : "\(self.revision) (\(self.digest))" }
}

/// One replica's last report of the revision it has active, as the other replicas read it.
package struct FleetReplicaReport: Sendable, Hashable {
    /// The replica's instance id.
    package var replica: String
    /// The revision it reported active.
    package var active: FleetRevision
    /// When it reported (the database's clock, so replicas' clocks need not agree).
    package var reportedAt: UnixTime
    /// Why it is not active on the desired revision, when its last attempt was refused.
    package var refusal: FleetRefusal?

    package init(replica: String, active: FleetRevision, reportedAt: UnixTime, refusal: FleetRefusal? = nil) {
        self.replica = replica
        self.active = active
        self.reportedAt = reportedAt
        self.refusal = refusal
    }
}
