import Foundation
import GatehouseAudit
import GatehouseCore
import GatehouseTestSupport
import Testing

@Suite("Audit queries: filters, wildcards, cursor paging, streaming", .bug(id: "13"))
struct AuditQueryTests {
    private typealias F = AuditWriterFixture

    /// 40 decisions: subjects alice/bob alternating, X-Road clients EE/GOV/n, every 4th denied on /deaths.
    private func withStore(_ body: (AuditStore) throws -> Void) throws {
        try withTemporaryDirectory("audit-query") { directory in
            let store = try AuditStore(path: directory.appendingPathComponent("decisions.db").path)
            let writer = try AuditWriter(store: store, instance: "gh-1", signer: F.signer)
            for index in 0..<40 {
                let denied = index % 4 == 0
                _ = writer.offer(
                    F.decision(
                        index * 100, subject: index % 2 == 0 ? "alice" : "bob", xroad: "EE/GOV/\(index % 3)/sub",
                        path: denied ? "/deaths/\(index)" : "/births/\(index)", outcome: denied ? .deny : .allow,
                        rule: denied ? "no-deaths" : "clerks-read"
                    )
                )
            }
            writer.shutdown()
            try body(store)
        }
    }

    private func seqs(_ store: AuditStore, _ query: AuditQuery) throws -> [UInt64] {
        try store.query(query, limit: 1000).rows.map(\.seq)
    }

    @Test("Each filter selects exactly its records; filters combine with AND")
    func filters() throws {
        try self.withStore { (store: AuditStore) throws in
            #expect(try self.seqs(store, AuditQuery(subject: "alice")) == Array(stride(from: 0, to: 40, by: 2)))
            #expect(try self.seqs(store, AuditQuery(decision: "deny")) == Array(stride(from: 0, to: 40, by: 4)))
            #expect(try self.seqs(store, AuditQuery(reason: "rule_denied", subject: "bob")).isEmpty)
            #expect(try self.seqs(store, AuditQuery(rule: "no-deaths")).count == 10)
            #expect(try self.seqs(store, AuditQuery(id: String(format: "%032x", 500))) == [5])
            #expect(try self.seqs(store, AuditQuery(kind: "decision")).count == 40)
            #expect(try self.seqs(store, AuditQuery(policyRevision: "r2")).isEmpty)
            #expect(try self.seqs(store, AuditQuery(host: "civil-registry.gov.example")).count == 40)
            // Times: decision i*100 is at start + i*100 ms.
            let since = UnixTime(seconds: F.start.seconds + 1)
            let until = UnixTime(seconds: F.start.seconds + 2)
            #expect(try self.seqs(store, AuditQuery(since: since, until: until)) == Array(10..<20))
        }
    }

    @Test("'*' matches any run of characters in X-Road clients, paths and hosts; other characters are literal")
    func wildcards() throws {
        try self.withStore { (store: AuditStore) throws in
            #expect(
                try self.seqs(store, AuditQuery(xroadClient: "EE/GOV/1/*")) == Array(stride(from: 1, to: 40, by: 3)))
            #expect(try self.seqs(store, AuditQuery(path: "/deaths/*")) == Array(stride(from: 0, to: 40, by: 4)))
            #expect(try self.seqs(store, AuditQuery(path: "/births/1*")).count == 9)  // 1, 10, 11, 13..19 minus /deaths
            #expect(try self.seqs(store, AuditQuery(host: "*.gov.example")).count == 40)
            #expect(try self.seqs(store, AuditQuery(path: "/births/?")).isEmpty)
            #expect(try self.seqs(store, AuditQuery(decision: "deny", path: "*/1?")).isEmpty)
        }
    }

    @Test("Cursor paging visits every match once, in order; streaming gives the same rows")
    func paging() throws {
        try self.withStore { (store: AuditStore) throws in
            var seen: [UInt64] = []
            var cursor: AuditCursor?
            repeat {
                let page = try store.query(AuditQuery(subject: "bob"), after: cursor, limit: 3)
                seen += page.rows.map(\.seq)
                cursor = try page.next.map { try AuditCursor(token: $0.description) }
            } while cursor != nil
            #expect(seen == Array(stride(from: 1, to: 40, by: 2)))
            var streamed: [UInt64] = []
            try store.stream(AuditQuery(subject: "bob")) { row in
                streamed.append(row.seq)
                return true
            }
            #expect(streamed == seen)
            #expect(throws: AuditError.self) { try AuditCursor(token: "not-a-cursor") }
        }
    }

    @Test("One subject is answered from the (caller, time) index, not a scan")
    func subjectUsesIndex() throws {
        try self.withStore { (store: AuditStore) throws in
            let plan = try store.plan(for: AuditQuery(subject: "alice")).joined(separator: "; ")
            #expect(plan.contains("callers_subject"))
            #expect(plan.contains("records_caller USING PRIMARY KEY (caller=?"))
            #expect(!plan.contains("TEMP B-TREE"))
        }
    }
}
