import ArgumentParser
import Foundation
import GatehouseAudit
import GatehouseAuditPostgres
import GatehouseCore

/// `gatehouse audit`: the decision log for auditors (query, verify, prove, …).
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Query and verify the decision log.",
        subcommands: [Query.self, Verify.self, Prove.self, Consistency.self, CheckProof.self, PublicKey.self]
    )

    /// Opens the store read-only (a SQLite file, or a `postgres://` URL: every replica's log in
    /// one database), exiting 2 with the reason when it cannot be opened.
    static func openStore(_ path: String) throws -> any AuditLogStore {
        if PostgresAuditConfiguration.isURL(path) { return try Self.run { try Self.openPostgres(path) } }
        guard FileManager.default.fileExists(atPath: path) else {
            Console.printError(
                "store_unavailable: The decision log '\(path)' does not exist; pass --store with the file "
                    + "'gatehouse serve' writes (audit.store).")
            throw ExitStatus.usage.exitCode
        }
        return try Self.run { try AuditStore(path: path, readOnly: true) }
    }

    /// The fleet's PostgreSQL store at `url`, read-only.
    private static func openPostgres(_ url: String) throws -> any AuditLogStore {
        let configuration: PostgresAuditConfiguration
        do {
            configuration = try PostgresAuditConfiguration(url: url)
        } catch {
            throw AuditError(.configurationInvalid, error.description)
        }
        return try PostgresAuditStore(configuration: configuration, readOnly: true)
    }

    /// Runs `body`, printing an ``AuditError`` and exiting 2.
    static func run<Value>(_ body: () throws -> Value) throws -> Value {
        do {
            return try body()
        } catch let error as AuditError {
            Console.printError(error.description)
            throw ExitStatus.usage.exitCode
        }
    }

    /// A time flag: RFC 3339 (`2026-12-06T00:35:12Z`, fractions allowed) or an age (`90s`, `30m`, `24h`, `7d`) before now.
    static func time(_ text: String, flag: String, now: Date = Date()) throws -> UnixTime {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var date: Date?
        if let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0 {
            date = now.addingTimeInterval(-amount * unit)
        } else {
            let fractional = ISO8601DateFormatter()
            fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            date = fractional.date(from: text) ?? ISO8601DateFormatter().date(from: text)
        }
        guard let date else {
            throw ValidationError(
                "\(flag) '\(text)' is neither an RFC 3339 time (2026-12-06T00:35:12Z) nor an age (24h)")
        }
        let seconds = date.timeIntervalSince1970.rounded(.down)
        return UnixTime(seconds: Int64(seconds), nanoseconds: Int32((date.timeIntervalSince1970 - seconds) * 1e9))
    }
}
