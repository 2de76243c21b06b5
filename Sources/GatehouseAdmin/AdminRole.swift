/// What an admin API caller may do.
package enum AdminRole: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Scrape `/metrics`.
    case metrics
    /// Ask for decisions: the AuthZEN API (`/access/v1/evaluation`, `/access/v1/evaluations`).
    case evaluator
    /// Read: `/v1/status` (and, with the decision log, decisions).
    case auditor
    /// Change what is enforced: notify, upload, rollback; and everything an auditor may.
    case admin

    package static func < (lhs: AdminRole, rhs: AdminRole) -> Bool {
        Self.allCases.firstIndex(of: lhs)! < Self.allCases.firstIndex(of: rhs)!
    }
}
