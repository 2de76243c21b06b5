import Foundation
import GRDB
import GatehouseAudit
import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Audit retention: prune by age and size behind a signed anchor", .bug(id: "13"))
struct AuditRetentionTests {
    private typealias F = AuditWriterFixture

    @Test("Pruning by age keeps a 256-aligned tail, anchors the frontier, and the tree still resumes and grows")
    func pruneByAge() throws {
        try withTemporaryDirectory("audit-retention-age") { directory in
            let path = directory.appendingPathComponent("decisions.db").path
            let store = try AuditStore(path: path)
            let clock = ManualClock()
            let writer = try AuditWriter(
                store: store, instance: "gh-1", signer: F.signer,
                settings: AuditSettings(retention: AuditRetentionPolicy(maxAge: .seconds(3600))), now: clock.now
            )
            // Decision i is at start + i ms: 1,000 records over one second.
            for index in 0..<1000 { _ = writer.offer(F.decision(index)) }
            writer.flush()
            let rootAt512 = try MerkleAppender(size: 512, frontier: store.frontier(of: "gh-1", size: 512)).root
            // An hour later nothing is older than an hour; 0.6 s more and the first 600 are, rounded down to 512.
            clock.advance(seconds: 3600)
            let policy = AuditRetentionPolicy(maxAge: .seconds(3600))
            #expect(
                try AuditRetention.prune(store, instance: "gh-1", policy: policy, signer: F.signer, now: clock.now())
                    == nil)
            let point = try AuditRetention.prune(
                store, instance: "gh-1", policy: policy, signer: F.signer,
                now: UnixTime(seconds: clock.now().seconds, nanoseconds: 600_000_000))
            #expect(point == 512)
            #expect(try store.firstRetainedSeq(of: "gh-1") == 512)
            #expect(try store.treeSize(of: "gh-1") == 1000)
            #expect(throws: AuditError.self) { try store.bodies(of: "gh-1", in: 0..<1) }
            let anchor = try #require(try store.anchors(of: "gh-1").first)
            #expect(anchor.size == 512)
            #expect(anchor.note.split(separator: "\n")[2] == Substring(rootAt512.base64))
            #expect(try MerkleAppender(size: 512, frontier: anchor.frontier).root == rootAt512)
            // The kept records and the anchor still give the root the writer signs next.
            writer.shutdown()
            let resumed = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            _ = resumed.offer(F.decision(1000))
            resumed.shutdown()
            var appender = try MerkleAppender(size: 512, frontier: anchor.frontier)
            for body in try store.bodies(of: "gh-1", in: 512..<1001) { appender.append(Merkle.leafHash(body)) }
            #expect(try AuditWriterTestsRoot.latest(store) == appender.root)
        }
    }

    @Test("Pruning by size keeps at most maxBytes of bodies (rounded to whole 256-record blocks)")
    func pruneBySize() throws {
        try withTemporaryDirectory("audit-retention-size") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let writer = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            for index in 0..<1000 { _ = writer.offer(F.decision(index)) }
            writer.shutdown()
            let bodyBytes = try store.bodies(of: "gh-1", in: 999..<1000)[0].count
            let point = try AuditRetention.prune(
                store, instance: "gh-1", policy: AuditRetentionPolicy(maxBytes: Int64(bodyBytes * 300)),
                signer: F.signer, now: F.start)
            // Keeping ~300 of 1,000 needs pruning below ~700: rounded down to 512.
            #expect(point == 512)
            #expect(try store.query(AuditQuery(), limit: 1).rows.first?.seq == 512)
        }
    }

    @Test(
        "A prune that fails is counted with its cause, retried at the next timed checkpoint, and the cause clears on success"
    )
    func failedPruneIsVisible() throws {
        try withTemporaryDirectory("audit-retention-failure") { directory in
            let path = directory.appendingPathComponent("decisions.db").path
            let store = try AuditStore(path: path)
            let clock = ManualClock()
            let writer = try AuditWriter(
                store: store, instance: "gh-1", signer: F.signer,
                settings: AuditSettings(retention: AuditRetentionPolicy(maxAge: .seconds(3600))), now: clock.now
            )
            for index in 0..<1000 { _ = writer.offer(F.decision(index)) }
            writer.flush()
            // Another process refuses every delete from the log, as a locked or damaged store would.
            let other = try DatabaseQueue(path: path)
            try other.write { db in
                try db.execute(
                    sql:
                        "CREATE TRIGGER refuse_prune BEFORE DELETE ON records BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            }
            clock.advance(seconds: 7200)
            writer.flush()
            #expect(writer.status.pruneFailures == 1)
            #expect(writer.status.pruneFailure?.isEmpty == false)
            #expect(try store.firstRetainedSeq(of: "gh-1") == 0)

            try other.write { db in try db.execute(sql: "DROP TRIGGER refuse_prune") }
            try other.close()
            clock.advance(seconds: 20)
            writer.flush()
            #expect(writer.status.pruneFailures == 1)
            #expect(writer.status.pruneFailure == nil)
            #expect(try store.firstRetainedSeq(of: "gh-1") == 768)
            writer.shutdown()
        }
    }

    @Test(
        "Retention runs once an interval under sustained load, when count checkpoints keep the timed one from coming due"
    )
    func pruneUnderLoad() throws {
        try withTemporaryDirectory("audit-retention-load") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let clock = ManualClock()
            let writer = try AuditWriter(
                store: store, instance: "gh-1", signer: F.signer,
                settings: AuditSettings(
                    checkpointEvery: 100, retention: AuditRetentionPolicy(maxAge: .seconds(3600))),
                now: clock.now
            )
            for index in 0..<1000 { _ = writer.offer(F.decision(index)) }
            writer.flush()
            // Two hours on, the next flush writes past a checkpointEvery boundary: its checkpoint
            // is signed now, so the timed one is not due, but retention is.
            clock.advance(seconds: 7200)
            for index in 1000..<1150 { _ = writer.offer(F.decision(index)) }
            writer.flush()
            #expect(try store.firstRetainedSeq(of: "gh-1") ?? 0 > 0)
            #expect(writer.status.pruneFailures == 0)
            writer.shutdown()
        }
    }
}
