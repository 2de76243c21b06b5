import GatehouseCore

/// Records lost since the last gap record: how many, the span of their times, and why.
struct AuditGapTally: Sendable, Equatable {
    var count: UInt64
    var from: UnixTime
    var to: UnixTime
    /// Distinct causes in the order first seen (`queue_full`, `store_failed: SQLITE_FULL`, …).
    var causes: [String]

    /// The gap record's entry.
    var entry: GapEntry {
        GapEntry(count: self.count, from: self.from, to: self.to, cause: self.causes.joined(separator: "; "))
    }

    /// This tally and `other` as one (a gap whose record failed to write, and what was lost since).
    func merged(with other: AuditGapTally?) -> AuditGapTally {
        guard let other else { return self }
        var merged = self
        merged.count += other.count
        merged.from = min(self.from, other.from)
        merged.to = max(self.to, other.to)
        for cause in other.causes where !merged.causes.contains(cause) { merged.causes.append(cause) }
        return merged
    }
}

extension Optional where Wrapped == AuditGapTally {
    /// Counts `count` more lost records at `time` for `cause` (a count of 0 only widens the span).
    mutating func record(_ time: UnixTime, count: UInt64, cause: String) {
        let added = AuditGapTally(count: count, from: time, to: time, causes: [cause])
        self = self.map { $0.merged(with: added) } ?? added
    }
}
