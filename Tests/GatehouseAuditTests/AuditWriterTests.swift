import Foundation
import GRDB
import GatehouseAudit
import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Audit writer: batches, tree, checkpoints, shutdown", .bug(id: "13"), .timeLimit(.minutes(2)))
struct AuditWriterTests {
    private typealias F = AuditWriterFixture

    @Test("A restart resumes the tree from stored nodes and the checkpoint, and keeps appending")
    func restartResumesTree() throws {
        try withTemporaryDirectory("audit-resume") { directory in
            let path = directory.appendingPathComponent("decisions.db").path
            do {
                let writer = try AuditWriter(store: AuditStore(path: path), instance: "gh-1", signer: F.signer)
                for index in 0..<600 { #expect(writer.offer(F.decision(index)) == .accepted) }
                writer.shutdown()
                #expect(writer.treeSize == 600)
            }
            let store = try AuditStore(path: path)
            #expect(try store.treeSize(of: "gh-1") == 600)
            // 600 = 512 + 64 + 16 + 8: the 512-leaf root is stored (level 9), the rest recomputed.
            #expect(try store.storedNode(of: "gh-1", level: 9, index: 0) != nil)
            let writer = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            for index in 600..<700 { _ = writer.offer(F.decision(index)) }
            writer.shutdown()
            let checkpoint = try #require(try store.latestCheckpoint(of: "gh-1"))
            #expect(checkpoint.size == 700)
            #expect(checkpoint.note.split(separator: "\n")[2] == Substring(try F.recomputedRoot(store, "gh-1").base64))
            let body = try store.bodies(of: "gh-1", in: 650..<651)[0]
            #expect(String(decoding: body, as: UTF8.self).contains("\"seq\":650"))
        }
    }

    @Test("A store whose records no longer match the latest checkpoint refuses to append")
    func tamperedStoreRefuses() throws {
        try withTemporaryDirectory("audit-tamper") { directory in
            let path = directory.appendingPathComponent("decisions.db").path
            let writer = try AuditWriter(store: AuditStore(path: path), instance: "gh-1", signer: F.signer)
            for index in 0..<10 { _ = writer.offer(F.decision(index)) }
            writer.shutdown()
            let pool = try DatabasePool(path: path)
            try pool.write { db in
                try db.execute(sql: "UPDATE records SET body = replace(body, 'allowed', 'ALLOWED') WHERE seq = 3")
            }
            let error = try #require(throws: AuditError.self) {
                try AuditWriter(store: AuditStore(path: path), instance: "gh-1", signer: F.signer)
            }
            #expect(error.code == .storeCorrupt)
            #expect(error.message.contains("do not hash to the root"))
        }
    }

    @Test("Shutdown drains everything queued by the writer thread and signs a final checkpoint")
    func shutdownDrains() throws {
        try withTemporaryDirectory("audit-drain") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let writer = try AuditWriter(
                store: store, instance: "gh-1", signer: F.signer,
                settings: AuditSettings(flushInterval: .seconds(60))
            )
            writer.start()
            for index in 0..<20_000 { #expect(writer.offer(F.decision(index)) == .accepted) }
            writer.shutdown()
            #expect(try store.treeSize(of: "gh-1") == 20_000)
            #expect(try store.latestCheckpoint(of: "gh-1")?.size == 20_000)
            #expect(writer.status.dropped == 0)
            #expect(
                try store.latestCheckpoint(of: "gh-1")?.note.split(separator: "\n")[2]
                    == Substring(try F.recomputedRoot(store, "gh-1").base64))
            // After shutdown nothing is accepted silently: it is counted.
            #expect(writer.offer(F.decision(0)) == .dropped)
            #expect(writer.status.dropped == 1)
        }
    }

    @Test("Checkpoints every N records, every T seconds, and when idle (same size, newer time)")
    func checkpointSchedule() throws {
        try withTemporaryDirectory("audit-checkpoints") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let clock = ManualClock()
            let writer = try AuditWriter(
                store: store, instance: "gh-1", signer: F.signer,
                settings: AuditSettings(batchSize: 10, checkpointEvery: 25, checkpointInterval: .seconds(10)),
                now: clock.now
            )
            for index in 0..<30 { _ = writer.offer(F.decision(index)) }
            writer.flush()
            // Batches of 10: the third reaches 30 ≥ 25 records since the last checkpoint.
            #expect(try store.checkpoints(of: "gh-1").map(\.size) == [30])
            writer.flush()
            #expect(try store.checkpoints(of: "gh-1").count == 1)
            clock.advance(seconds: 11)
            writer.flush()
            let checkpoints = try store.checkpoints(of: "gh-1")
            #expect(checkpoints.map(\.size) == [30, 30])
            #expect(checkpoints[1].time > checkpoints[0].time)
        }
    }
}
