import Foundation
import GatehouseAdmin

/// Prints the admin API's answers for people (or as JSON) and picks the exit status.
enum AdminAnswerPrinter {
    /// Prints `answer`; returns the exit status: 0 done, 2 refused, 1 any other error.
    static func print(_ answer: AdminClient.Answer, json: Bool) -> Int32 {
        let text = String(decoding: answer.body, as: UTF8.self)
        switch answer.status {
        case 200..<300:
            if json {
                Console.print(text.trimmingCharacters(in: .newlines))
            } else if let status = try? AdminJSON.decoder.decode(AdminDTO.Status.self, from: answer.body) {
                Self.summary(status).forEach(Console.print)
            } else if let outcome = try? AdminJSON.decoder.decode(AdminDTO.Outcome.self, from: answer.body) {
                Console.print(Self.summary(outcome))
            } else {
                Console.print(text.trimmingCharacters(in: .newlines))
            }
            return 0
        case 409, 422:
            if json {
                Console.print(text.trimmingCharacters(in: .newlines))
            } else if let outcome = try? AdminJSON.decoder.decode(AdminDTO.Outcome.self, from: answer.body) {
                Console.print(Self.summary(outcome))
            } else {
                Console.printError("HTTP \(answer.status): \(text)")
            }
            return 2
        default:
            if let error = try? AdminJSON.decoder.decode(AdminDTO.Error.self, from: answer.body) {
                Console.printError("HTTP \(answer.status) \(error.error): \(error.message)")
            } else {
                Console.printError("HTTP \(answer.status): \(text.trimmingCharacters(in: .newlines))")
            }
            return 1
        }
    }

    static func summary(_ outcome: AdminDTO.Outcome) -> String {
        if let activation = outcome.activation {
            return "activated \(activation.revision) (\(activation.policies) policies, \(activation.rules) rules, "
                + "\(String(format: "%.3f", activation.durationSeconds)) s, from \(activation.source))"
        }
        if let failure = outcome.failure {
            return "refused at \(failure.stage): \(failure.code): \(failure.message)"
        }
        return "unchanged: \(outcome.revision ?? "?") is active"
    }

    static func summary(_ status: AdminDTO.Status) -> [String] {
        var lines: [String] = []
        if let active = status.active {
            lines.append(
                "active: \(active.revision) from \(active.source) (\(active.trigger)"
                    + "\(active.requestedBy.map { " by \($0)" } ?? ""), \(active.activatedAt)), "
                    + "\(active.policies) policies, \(active.rules) rules"
                    + (active.signedBy.isEmpty ? "" : ", signed by \(active.signedBy.joined(separator: ", "))"))
        } else {
            lines.append("active: none")
        }
        lines.append("ready: \(status.ready ? "yes" : "no")")
        if let failure = status.lastFailure {
            lines.append(
                "last refusal: \(failure.at) \(failure.trigger) at \(failure.stage): \(failure.code): \(failure.message)"
            )
        }
        if !status.rollbackRevisions.isEmpty {
            lines.append("kept for rollback: \(status.rollbackRevisions.joined(separator: ", "))")
        }
        for keySet in status.keySets {
            let age = keySet.ageSeconds.map { String(format: "%.0f s old", $0) } ?? "never fetched"
            lines.append(
                "key set \(keySet.location): \(keySet.loaded ? "loaded" : "not loaded"), \(keySet.keyCount) keys, \(age)"
                    + (keySet.lastError.map { ", last error: \($0)" } ?? ""))
        }
        if let cache = status.cache {
            lines.append("cache: \(cache.hits) hits, \(cache.misses) misses, \(cache.entries) entries")
        }
        if let fleet = status.fleet { lines += Self.summary(fleet) }
        return lines
    }

    /// The fleet: what it should enforce, and each replica's last report (one line each).
    static func summary(_ fleet: AdminDTO.Fleet) -> [String] {
        var lines: [String] = []
        let desired = fleet.desired.map {
            "\($0.revision) (\($0.digest))" + ($0.publishedBy.map { " by \($0)" } ?? "")
                + ($0.publishedAt.map { " at \($0)" } ?? "")
        }
        lines.append(
            "fleet: this replica \(fleet.replica), \(fleet.listening ? "listening" : "not listening"), desired \(desired ?? "none published")"
        )
        if let error = fleet.error { lines.append("fleet: not read just now (\(error)); as last read:") }
        for replica in fleet.replicas {
            var line =
                "  \(replica.replica): \(replica.revision) (\(replica.digest)), reported \(replica.reportedAt)"
                + (replica.onDesired ? "" : ", not the desired revision")
            if let refusal = replica.refusal {
                line += "; refused \(refusal.revision): \(refusal.code): \(refusal.message)"
            }
            lines.append(line)
        }
        return lines
    }
}
