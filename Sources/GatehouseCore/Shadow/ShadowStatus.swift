/// A shadow candidate's counters, for `GET /v1/status`, `/v1/policy/shadow` and `/metrics`.
package struct ShadowStatus: Sendable, Hashable {
    /// The candidate's revision.
    package var revision: String
    /// When it was loaded.
    package var loadedAt: UnixTime
    /// Who loaded it.
    package var loadedBy: String?
    /// What has been compared so far.
    package var counts: Counts

    package init(revision: String, loadedAt: UnixTime, loadedBy: String?, counts: Counts) {
        self.revision = revision
        self.loadedAt = loadedAt
        self.loadedBy = loadedBy
        self.counts = counts
    }

    /// A counter's labels: the candidate's deciding rule (`nil` when none decided) and the change.
    package struct Key: Sendable, Hashable, Comparable {
        package var rule: String?
        package var change: DecisionChange

        package init(rule: String?, change: DecisionChange) {
            self.rule = rule
            self.change = change
        }

        package static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.rule ?? "", lhs.change) < (rhs.rule ?? "", rhs.change)
        }
    }

    /// The counters.
    package struct Counts: Sendable, Hashable {
        /// Checks the candidate evaluated.
        package var evaluated: UInt64 = 0
        /// Checks it decided differently.
        package var differing: UInt64 = 0
        /// Checks not shadowed: the evaluation buffer was full, or the candidate was being unloaded.
        package var skipped: UInt64 = 0
        /// Differences the decision log did not accept (full or failing); still counted here.
        package var unrecorded: UInt64 = 0
        /// Differences by candidate rule and change.
        package var byRule: [Key: UInt64] = [:]

        package init() {}
    }
}
