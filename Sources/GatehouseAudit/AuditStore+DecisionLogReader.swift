package import GatehouseCore

extension AuditLogStore {
    /// The most records one page may hold.
    package static var maxPageSize: Int { 1_000 }

    /// One page of records; with `proofs`, each record's inclusion proof against its instance's
    /// latest checkpoint, or why it has none yet (``AuditPageProofs``).
    package func decisions(
        _ query: DecisionLogQuery, cursor: String?, limit: Int, proofs: Bool
    ) throws -> DecisionLogPage {
        do {
            let after = try cursor.map { try AuditCursor(token: $0) }
            let page = try self.query(query, after: after, limit: min(max(1, limit), Self.maxPageSize))
            guard proofs else { return DecisionLogPage(records: page.rows.map(\.body), next: page.next?.description) }
            var builder = AuditPageProofs(store: self)
            let proofs = try page.rows.map { try builder.proof(for: $0) }
            return DecisionLogPage(records: page.rows.map(\.body), proofs: proofs, next: page.next?.description)
        } catch let error as AuditError {
            throw DecisionLogReadError(
                code: error.code.description, message: error.message,
                isCallersFault: error.code == .queryInvalid
            )
        }
    }
}
