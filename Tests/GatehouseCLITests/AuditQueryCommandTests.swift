import Foundation
import GatehouseAudit
import GatehouseCore
import GatehouseTestSupport
import Testing

/// `gatehouse audit query` through the built binary, over a log written by the real writer.
@Suite("gatehouse audit query", .bug(id: "13"), .timeLimit(.minutes(2)))
struct AuditQueryCommandTests {
    private static func decision(_ index: Int, subject: String, outcome: Decision.Outcome) -> AuditRecord {
        let entry = DecisionEntry(
            decision: outcome, status: outcome == .allow ? 200 : 403,
            reason: outcome == .allow ? "allowed" : "rule_denied", policyRevision: "r1", rule: "clerks, \"read\"",
            method: "GET", host: "civil-registry.gov.example", path: "/births/\(index)",
            caller: AuditedCaller(issuer: "https://idp", subject: subject))
        return AuditRecord(
            id: String(repeating: "0", count: 31) + String(index),
            time: UnixTime(seconds: 1_796_517_312 + Int64(index)),
            entry: .decision(entry))
    }

    private func withLog(_ body: (String) throws -> Void) throws {
        try withTemporaryDirectory("cli-audit-query") { directory in
            let path = directory.appendingPathComponent("decisions.db").path
            let signer = AuditCheckpointSigner { size, root, _ in "test\n\(size)\n\(root.base64)\n\n— test AAAA\n" }
            let writer = try AuditWriter(store: AuditStore(path: path), instance: "gh-1", signer: signer)
            for index in 0..<6 {
                _ = writer.offer(
                    Self.decision(index, subject: index % 2 == 0 ? "alice" : "bob", outcome: index < 3 ? .allow : .deny)
                )
            }
            writer.shutdown()
            try body(path)
        }
    }

    private func gatehouse(_ arguments: [String]) throws -> ProcessRunner.Output {
        try ProcessRunner.run(Repository.gatehouse.path, ["audit", "query"] + arguments)
    }

    @Test("JSON lines are the stored canonical records; filters select; CSV quotes; a missing log is exit 2")
    func queryFormats() throws {
        try self.withLog { path in
            let lines = try self.gatehouse(["--store", path, "--subject", "alice", "--format", "jsonl"])
            #expect(lines.status == 0, "\(lines.stderr)")
            let records = lines.stdout.split(separator: "\n")
            #expect(records.count == 3)
            #expect(
                records.allSatisfy {
                    $0.hasPrefix("{") && $0.contains("\"kind\":\"decision\"") && $0.contains("\"subject\":\"alice\"")
                })
            let denied = try self.gatehouse([
                "--store", path, "--decision", "deny", "--path", "/births/*", "--format", "csv",
            ])
            let rows = denied.stdout.split(separator: "\n")
            #expect(rows.count == 4)  // the header and decisions 3, 4, 5
            #expect(rows[0] == "time,kind,decision,status,reason,caller,method,host,path,rule,policy_revision,id")
            #expect(
                rows[1].contains(
                    ",deny,403,rule_denied,bob,GET,civil-registry.gov.example,/births/3,\"clerks, \"\"read\"\"\",r1,"))
            // --db, the first name of --store, still works.
            let table = try self.gatehouse(["--db", path, "--since", "2026-12-06T00:35:14Z", "--limit", "2"])
            #expect(table.stdout.split(separator: "\n").count == 3)
            #expect(table.stderr.contains("2 records"))
            let missing = try self.gatehouse(["--store", path + ".nope"])
            #expect(missing.status == 2)
            #expect(missing.stderr.contains("store_unavailable") && missing.stderr.contains("--store"))
            let both = try self.gatehouse(["--store", path, "--db", path + ".other"])
            #expect(both.status != 0 && both.stderr.contains("name different files"), "\(both.stderr)")
        }
    }

    @Test("Every command that reads the log documents --store and hides --db")
    func oneOptionName() throws {
        for command in [
            ["audit", "query"], ["audit", "verify"], ["audit", "prove"], ["audit", "consistency"],
            ["policy", "diff"],
        ] {
            let help = try ProcessRunner.run(Repository.gatehouse.path, command + ["--help"])
            #expect(help.stdout.contains("--store <store>"), "\(command): \(help.stdout)")
            #expect(!help.stdout.contains("--db"), "\(command): \(help.stdout)")
        }
    }
}
