import ArgumentParser
import Foundation
import GatehouseAudit
import GatehouseCore

extension AuditCommand {
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find decision-log records: who was allowed or denied what, when, under which revision.",
            discussion: """
                Every filter given must match. Text filters match exactly, or as a pattern where '*' stands for \
                any characters (--xroad-client 'EE/GOV/*', --path '/births/*'). Records stream in log order \
                (time, instance, sequence number) as a table, JSON lines (each record's canonical line, exactly \
                as stored and hashed) or CSV. Exit 0, or 2 when the log cannot be read or a flag is invalid.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case table, jsonl, csv }

        @OptionGroup var log: DecisionLogOption
        @Option(help: "Records at or after this time (RFC 3339, or an age such as 24h).") var since: String?
        @Option(help: "Records before this time (RFC 3339, or an age).") var until: String?
        @Option(help: "decision, admin, activation, gap or shadow.") var kind: String?
        @Option(help: "allow or deny.") var decision: String?
        @Option(help: "A reason code (denied_by_rule, token_expired, …).") var reason: String?
        @Option(help: "The verified JWT subject.") var subject: String?
        @Option(name: .customLong("spiffe-id"), help: "The client certificate's SPIFFE ID.") var spiffeID: String?
        @Option(help: "The X-Road client, INSTANCE/CLASS/MEMBER[/SUBSYSTEM].") var xroadClient: String?
        @Option(help: "The request's host.") var host: String?
        @Option(help: "The normalized request path.") var path: String?
        @Option(help: "The policy revision that decided.") var policyRevision: String?
        @Option(help: "The deciding rule.") var rule: String?
        @Option(help: "A record id (a decision id from Envoy's dynamic metadata).") var id: String?
        @Option(help: "Only this writer instance.") var instance: String?
        @Option(help: "At most this many records.") var limit: Int?
        @Option(help: "Output: table, jsonl or csv.") var format: Format = .table

        func run() throws {
            let store = try AuditCommand.openStore(self.log.path)
            let query = try self.query()
            let printer = AuditRecordPrinter(format: self.format)
            printer.header()
            var printed = 0
            try AuditCommand.run {
                try store.stream(query, after: nil) { row in
                    guard self.limit.map({ printed < $0 }) ?? true else { return false }
                    printer.print(row)
                    printed += 1
                    return true
                }
            }
            if self.format == .table { Console.printError("\(printed) record\(printed == 1 ? "" : "s")") }
        }

        func query() throws -> AuditQuery {
            AuditQuery(
                since: try self.since.map { try AuditCommand.time($0, flag: "--since") },
                until: try self.until.map { try AuditCommand.time($0, flag: "--until") }, kind: self.kind,
                decision: self.decision, reason: self.reason, subject: self.subject, spiffeID: self.spiffeID,
                xroadClient: self.xroadClient, host: self.host, path: self.path, policyRevision: self.policyRevision,
                rule: self.rule, id: self.id, instance: self.instance)
        }
    }
}
