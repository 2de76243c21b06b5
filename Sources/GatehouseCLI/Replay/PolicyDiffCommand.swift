import ArgumentParser
import Foundation
import GatehouseAudit
import GatehouseCore
import GatehousePolicy

extension PolicyCommand {
    /// `gatehouse policy diff --replay --since 24h CANDIDATE_DIR`: which stored decisions a
    /// candidate policy would decide differently.
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replay stored decisions against a candidate policy and report those that would change.",
            discussion: """
                Reads the decision records of the window from the decision log, rebuilds each request from \
                what the record holds (method, host, path, source address, SPIFFE ID, X-Road client, JWT \
                issuer and subject, the loggable claims) and decides it with the candidate's rules. Records \
                the candidate would need more for (a header, a claim that was not logged, a context \
                extension, a caller whose credentials were never verified) are counted as 'cannot replay' \
                with the reason, never judged. Exit status: 0 no change, 1 changes, 2 error.
                """)

        @Flag(help: "Replay the stored decisions (the only mode so far).") var replay = false
        @Option(
            help: "Start of the window: a duration back from now (24h, 30m, 7d) or a UTC time (2026-12-06T00:00:00Z).")
        var since: String = "24h"
        @Option(help: "End of the window, in the same forms; now by default.") var until: String?
        @OptionGroup var log: DecisionLogOption
        @Option(help: "Examples shown per group.") var examples: Int = 5
        @Option(help: "Output: table or json.") var format: OutputFormat = .table
        @Argument(help: "The candidate policy directory.") var candidate: String

        enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
            case table
            case json
        }

        func run() throws {
            guard self.replay else {
                Console.printError("error: 'gatehouse policy diff' needs --replay (compare against stored decisions).")
                throw ExitStatus.usage.exitCode
            }
            let now = Self.now()
            let since = try Self.time(self.since, now: now, option: "--since")
            let until = try self.until.map { try Self.time($0, now: now, option: "--until") }
            let tree = try Self.candidateTree(self.candidate)
            guard FileManager.default.fileExists(atPath: self.log.path) else {
                Console.printError(
                    "error: \(self.log.path): no decision log here; pass --store with the path of audit.store "
                        + "(default \(AuditStore.defaultPath)).")
                throw ExitStatus.usage.exitCode
            }
            let report: ReplayReport
            do {
                report = try Self.replay(
                    store: AuditStore(path: self.log.path, readOnly: true), candidate: tree,
                    query: AuditQuery(since: since, until: until, kind: "decision"), exampleLimit: self.examples)
            } catch let error as AuditError {
                Console.printError("error: \(self.log.path): \(error.message)")
                throw ExitStatus.usage.exitCode
            }
            switch self.format {
            case .table:
                let window =
                    "from \(AuditLeafTime.format(since))" + (until.map { " to \(AuditLeafTime.format($0))" } ?? "")
                for line in report.table(candidate: self.candidate, window: window) { Console.print(line) }
            case .json:
                Console.print(
                    Console.json(
                        report.jsonObject(
                            candidate: self.candidate, candidateRevision: tree.revision, since: since,
                            until: until)))
            }
            if report.changed > 0 { throw ExitStatus.deny.exitCode }
        }

        /// The candidate's compiled rules; prints its problems and exits 2 when it does not compile.
        static func candidateTree(_ directory: String) throws -> DecisionTree {
            try PolicyCommand.compile(directory: directory, printWarnings: false).tree
        }

        /// Streams the matching records from `store` (one row in memory at a time) and judges each under `candidate`.
        ///
        /// - Throws: ``AuditError`` when the store cannot be read.
        static func replay(store: AuditStore, candidate: DecisionTree, query: AuditQuery, exampleLimit: Int) throws
            -> ReplayReport
        {
            var report = ReplayReport(exampleLimit: exampleLimit)
            try store.stream(query) { row in
                do {
                    report.add(try AuditLeaf.decode(Array(row.body.utf8)).record, candidate: candidate)
                } catch {
                    // `audit verify` says more; here the record simply cannot be judged.
                    report.records += 1
                    report.cannotReplay[.malformed("body of \(row.instance)#\(row.seq)"), default: .init()].count += 1
                }
                return true
            }
            return report
        }

        static func now() -> UnixTime {
            let seconds = Date().timeIntervalSince1970
            return UnixTime(seconds: Int64(seconds), nanoseconds: Int32((seconds - seconds.rounded(.down)) * 1e9))
        }

        /// `24h`, `30m`, `7d` back from `now`, or a UTC time in the log's form (seconds and fraction optional).
        static func time(_ text: String, now: UnixTime, option: String) throws -> UnixTime {
            if text.hasSuffix("d"), let days = Int64(text.dropLast()), days >= 0, days < 100_000 {
                return UnixTime(seconds: now.seconds - days * 86_400, nanoseconds: now.nanoseconds)
            }
            if let duration = DurationText.parse(text, maximum: .seconds(100_000 * 86_400)) {
                let (seconds, attoseconds) = duration.components
                var result = UnixTime(
                    seconds: now.seconds - seconds, nanoseconds: now.nanoseconds - Int32(attoseconds / 1_000_000_000))
                if result.nanoseconds < 0 {
                    result.seconds -= 1
                    result.nanoseconds += 1_000_000_000
                }
                return result
            }
            if let time = Self.utc(text) { return time }
            Console.printError(
                "error: \(option) '\(text)' is neither a duration (24h, 30m, 90s, 7d) nor a UTC time "
                    + "(2026-12-06T00:00:00Z).")
            throw ExitStatus.usage.exitCode
        }

        /// A UTC time `YYYY-MM-DDTHH:MM[:SS[.fraction]]Z`.
        private static func utc(_ text: String) -> UnixTime? {
            if let time = AuditLeafTime.parse(Array(text.utf8)) { return time }
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = formatter.date(from: text) { return UnixTime(seconds: Int64(date.timeIntervalSince1970)) }
            formatter.formatOptions = [.withInternetDateTime]
            return formatter.date(from: text).map { UnixTime(seconds: Int64($0.timeIntervalSince1970)) }
        }
    }
}
