import Foundation
package import GatehouseCore

/// What a `NOTIFY` on the fleet channel carries: the revision and its digest, nothing else.
///
/// PostgreSQL refuses payloads of 8,000 bytes or more, and a notification is only a wake-up:
/// the listener reads the desired-revision table on receipt, so who published it and when come
/// from the table, and a malformed or lost notice costs at most one reconcile interval.
package enum FleetNotice {
    /// The longest payload published; PostgreSQL's own limit is 8,000 bytes.
    package static let maximumPayload = 7_900

    private struct Payload: Codable {
        var revision: String
        var digest: String
    }

    /// The JSON payload for `revision`.
    ///
    /// - Throws: ``FleetError`` (`fleet_invalid_payload`) when it would exceed ``maximumPayload``.
    package static func encode(_ revision: FleetRevision) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(Payload(revision: revision.revision, digest: revision.digest))
        guard data.count <= Self.maximumPayload else {
            throw FleetError(
                code: .invalidPayload,
                message: """
                    revision '\(revision.revision.prefix(64))…' makes a \(data.count)-byte notification, over the \
                    \(Self.maximumPayload)-byte limit; name revisions shortly (the bundle manifest's revision)
                    """)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The revision a payload names, or `nil` when it is not one of ours.
    package static func decode(_ payload: String) -> FleetRevision? {
        guard let decoded = try? JSONDecoder().decode(Payload.self, from: Data(payload.utf8)) else { return nil }
        return FleetRevision(revision: decoded.revision, digest: decoded.digest)
    }
}
