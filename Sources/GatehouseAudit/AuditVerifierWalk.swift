import GatehouseCore

/// One instance's verification in progress: the recomputed tree and the checkpoints still ahead.
struct AuditVerifierWalk {
    /// The first problem found; thrown to stop the walk.
    struct Finding: Error {
        var error: AuditError
        var seq: UInt64?
        var suspects: Range<UInt64>?

        init(_ code: AuditError.Code, _ message: String, seq: UInt64? = nil, suspects: Range<UInt64>? = nil) {
            self.error = AuditError(code, message)
            self.seq = seq
            self.suspects = suspects
        }
    }

    let instance: String
    var appender = MerkleAppender()
    var firstSeq: UInt64 = 0
    /// Verified checkpoints not yet reached, by size.
    var pending: [Checkpoint] = []
    /// Checkpoints below the retained start, which cannot be compared.
    var skipped = 0
    var compared = 0
    /// The size of the last checkpoint whose root matched.
    var lastMatched: UInt64 = 0
    var latestSigned: UInt64 = 0

    init(instance: String) {
        self.instance = instance
    }

    /// Compares the recomputed root with every checkpoint at the current size.
    mutating func compareCheckpoints() throws {
        while let next = self.pending.first, next.size == self.appender.size {
            self.pending.removeFirst()
            guard next.root == self.appender.root else {
                let from = max(self.lastMatched, self.firstSeq)
                throw Finding(
                    .recordModified,
                    "The root over records 0..<\(next.size) is not the one signed at "
                        + "\(AuditLeafTime.format(next.time)): a record in seq \(from)..<\(next.size) was changed "
                        + "(each is canonical and in place, so it was re-encoded). Compare those records with a "
                        + "backup or a copy the auditors kept ('gatehouse audit query --instance \(self.instance) "
                        + "--format jsonl').",
                    suspects: from..<next.size)
            }
            self.compared += 1
            self.lastMatched = next.size
            self.latestSigned = next.size
        }
    }

    /// Walks a proven batch in order: a row proven canonical at its own seq and position costs
    /// only its append; any other goes through ``check(_:next:)``, which names what is wrong.
    ///
    /// - Returns: The first problem, or `nil` (an empty batch has none).
    mutating func check(_ batch: AuditVerifierBatch, followedBy following: AuditVerifierBatch) -> Finding? {
        do {
            for index in 0..<batch.count {
                if !batch.isProven(index) || batch.seq(index) != self.appender.size {
                    let next =
                        index + 1 < batch.count
                        ? (batch.seq(index + 1), batch.body(index + 1))
                        : following.count > 0 ? (following.seq(0), following.body(0)) : nil
                    try self.check((batch.seq(index), batch.body(index)), next: next)
                }
                self.appender.append(batch.hash(index)) { _ in }
                try self.compareCheckpoints()
            }
        } catch let finding as Finding {
            return finding
        } catch {
            preconditionFailure("the walk throws only findings: \(error)")
        }
        return nil
    }

    /// Checks that `row` is the canonical record for the next position.
    mutating func check(_ row: (seq: UInt64, body: [UInt8]), next: (seq: UInt64, body: [UInt8])?) throws {
        let position = self.appender.size
        if row.seq < position {
            throw Finding(
                .recordInserted,
                "Seq \(row.seq) of instance '\(self.instance)' is stored twice: a record was duplicated or inserted.",
                seq: row.seq)
        }
        if row.seq > position {
            throw Finding(
                .recordMissing,
                "Instance '\(self.instance)' has no record at seq \(position)..<\(row.seq): "
                    + "\(row.seq - position) record(s) were deleted. Look for them in a backup.",
                seq: position)
        }
        let stored = try self.decode(row.body, at: position)
        guard stored.instance == self.instance else {
            throw Finding(
                .recordInserted,
                "The record at seq \(position) (id '\(stored.record.id)') belongs to instance '\(stored.instance)', "
                    + "not '\(self.instance)': it was inserted from another log.",
                seq: position)
        }
        guard stored.sequence != position else { return }
        throw self.misplaced(stored, at: position, next: next)
    }

    private func decode(_ body: [UInt8], at position: UInt64) throws -> StoredRecord {
        do {
            return try AuditLeaf.decode(body)
        } catch {
            throw Finding(
                .recordModified,
                "The record at seq \(position) of instance '\(self.instance)' is not as Gatehouse wrote it "
                    + "(\(error)); it was edited. Compare it with a backup ('gatehouse audit query --instance "
                    + "\(self.instance) --format jsonl').",
                seq: position)
        }
    }

    /// Names a record whose `seq` field is not its position: an insertion before it (the field is
    /// smaller), a deletion with the later rows renumbered (it and the next are all one ahead), or
    /// a move.
    private func misplaced(_ stored: StoredRecord, at position: UInt64, next: (seq: UInt64, body: [UInt8])?) -> Finding
    {
        let said = stored.sequence
        let what = "The record at seq \(position) (id '\(stored.record.id)') says it is seq \(said)"
        if said < position {
            return Finding(
                .recordInserted,
                "\(what): \(position - said) record(s) were inserted at or before seq \(position - 1) and the later "
                    + "rows renumbered.",
                seq: position)
        }
        let nextSaid = next.flatMap { try? AuditLeaf.decode($0.body).sequence }
        if next == nil || nextSaid == said + 1 {
            return Finding(
                .recordMissing,
                "\(what): records \(position)..<\(said) were deleted and the later rows renumbered. Look for them "
                    + "in a backup.",
                seq: position)
        }
        return Finding(.recordsReordered, "\(what): records were moved. Its own place is seq \(said).", seq: position)
    }

    /// Checks that no checkpoint covers more records than the log holds.
    func finish() throws {
        guard let last = self.pending.last else { return }
        throw Finding(
            .logTruncated,
            "Instance '\(self.instance)' ends at \(self.appender.size) records, but a checkpoint signed at "
                + "\(AuditLeafTime.format(last.time)) covers \(last.size): records \(self.appender.size)..<\(last.size) "
                + "were removed from the end.",
            seq: self.appender.size)
    }

    func result(_ finding: Finding?) -> AuditVerification {
        AuditVerification(
            instance: self.instance, firstSeq: self.firstSeq, size: self.appender.size, checkpoints: self.compared,
            root: self.appender.root, unsigned: self.appender.size - min(self.latestSigned, self.appender.size),
            problem: finding?.error, seq: finding?.seq, suspects: finding?.suspects)
    }
}
