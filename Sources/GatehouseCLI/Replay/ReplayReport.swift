import GatehouseCore

/// What `gatehouse policy diff --replay` found: the stored decisions a candidate would decide
/// differently, grouped by the candidate's rule and the rule that decided then, and the records
/// it could not judge, by reason.
struct ReplayReport: Sendable, Equatable {
    /// One group of changed decisions.
    struct GroupKey: Hashable, Comparable, Sendable {
        /// The candidate's deciding rule (`nil`: none decided, e.g. `no_matching_rule`).
        var candidateRule: String?
        /// The rule that decided when the record was written.
        var activeRule: String?
        var change: DecisionChange

        static func < (lhs: GroupKey, rhs: GroupKey) -> Bool {
            (lhs.change, lhs.candidateRule ?? "", lhs.activeRule ?? "")
                < (rhs.change, rhs.candidateRule ?? "", rhs.activeRule ?? "")
        }
    }

    /// A changed decision shown as an example.
    struct Example: Sendable, Equatable {
        var id: String
        var time: UnixTime
        var method: String
        var host: String
        var path: String
        /// The recorded caller: subject, else SPIFFE ID, else X-Road client.
        var caller: String?
        var before: String
        var after: String
    }

    /// A group's count and first examples.
    struct Group: Sendable, Equatable {
        var count: UInt64 = 0
        var examples: [Example] = []
    }

    /// How many examples each group (and each unreplayable reason) keeps.
    let exampleLimit: Int
    /// Decision records read in the window.
    var records: UInt64 = 0
    /// Records judged the same.
    var unchanged: UInt64 = 0
    /// Changed decisions by group.
    var groups: [GroupKey: Group] = [:]
    /// Records that could not be judged, by reason.
    var cannotReplay: [ReplayLimit: Group] = [:]

    init(exampleLimit: Int) {
        self.exampleLimit = max(0, exampleLimit)
    }

    /// Records judged different.
    var changed: UInt64 { self.groups.values.reduce(0) { $0 + $1.count } }
    /// Records that could not be judged.
    var unreplayable: UInt64 { self.cannotReplay.values.reduce(0) { $0 + $1.count } }

    /// Judges one stored record (only decisions count) under `candidate`.
    mutating func add(_ record: AuditRecord, candidate: DecisionTree) {
        guard case .decision(let entry) = record.entry else { return }
        self.records += 1
        let limit = self.exampleLimit
        let before = Self.verdict(outcome: entry.decision, reason: entry.reason, rule: entry.rule)
        do {
            let decision = try candidate.replay(ReplayedCheck(entry, time: record.time))
            guard
                let change = DecisionChange.between(
                    outcome: entry.decision, reason: entry.reason, rule: entry.rule, candidate: decision)
            else {
                self.unchanged += 1
                return
            }
            let key = GroupKey(candidateRule: decision.rule, activeRule: entry.rule, change: change)
            let after = Self.verdict(outcome: decision.outcome, reason: decision.reason.code, rule: decision.rule)
            let example = Self.example(record, entry, before, after)
            Self.count(&self.groups[key, default: Group()], limit: limit, example)
        } catch {
            let example = Self.example(record, entry, before, "?")
            Self.count(&self.cannotReplay[error, default: Group()], limit: limit, example)
        }
    }

    private static func example(_ record: AuditRecord, _ entry: DecisionEntry, _ before: String, _ after: String)
        -> () -> Example
    {
        // A closure, so that records past the example limit build no example.
        {
            Example(
                id: record.id, time: record.time, method: entry.method, host: entry.host, path: entry.path,
                caller: entry.caller.subject ?? entry.caller.spiffeID ?? entry.caller.xroadClient, before: before,
                after: after)
        }
    }

    /// Counts one record into `group`, keeping it as an example while there are fewer than `limit`.
    private static func count(_ group: inout Group, limit: Int, _ example: () -> Example) {
        group.count += 1
        if group.examples.count < limit { group.examples.append(example()) }
    }

    /// `allow (rule read)`, `deny no_matching_rule`.
    static func verdict(outcome: Decision.Outcome, reason: String, rule: String?) -> String {
        let base = outcome == .allow ? "allow" : "deny \(reason)"
        return rule.map { "\(base) (rule \($0))" } ?? base
    }
}
