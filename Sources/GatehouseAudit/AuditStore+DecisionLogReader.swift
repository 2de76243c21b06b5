package import GatehouseCore

extension AuditStore: DecisionLogReader {
    /// The most records one page may hold.
    package static let maxPageSize = 1_000

    package func decisions(
        _ query: DecisionLogQuery, cursor: String?, limit: Int, proofs: Bool
    ) throws -> DecisionLogPage {
        do {
            let after = try cursor.map { try AuditCursor(token: $0) }
            let page = try self.query(query, after: after, limit: min(max(1, limit), Self.maxPageSize))
            guard !proofs else {
                // Inclusion proofs come with the proof code (MerkleNodeSource over these stored nodes).
                throw AuditError(
                    .proofUnavailable,
                    "Inclusion proofs are not available from this server yet; ask without proof=true and prove "
                        + "a record with 'gatehouse audit prove ID'."
                )
            }
            return DecisionLogPage(records: page.rows.map(\.body), next: page.next?.description)
        } catch let error as AuditError {
            throw DecisionLogReadError(
                code: error.code.description, message: error.message,
                isCallersFault: error.code == .queryInvalid
            )
        }
    }
}
