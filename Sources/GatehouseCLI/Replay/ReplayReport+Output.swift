import GatehouseAudit
import GatehouseCore

extension ReplayReport {
    /// The report as a table: totals, then each group of changes with its examples, then what could not be replayed.
    func table(candidate: String, window: String) -> [String] {
        var lines = [
            "Replay of \(self.records) decision\(self.records == 1 ? "" : "s") \(window) against \(candidate):",
            "  unchanged \(self.unchanged), changed \(self.changed), cannot replay \(self.unreplayable)",
        ]
        if !self.groups.isEmpty { lines.append("") }
        for key in self.groups.keys.sorted() {
            let group = self.groups[key]!
            lines.append(
                "\(key.change.rawValue)  candidate rule \(key.candidateRule ?? "(none)")"
                    + "  active rule \(key.activeRule ?? "(none)")  \(group.count)")
            for example in group.examples { lines.append("    " + Self.line(example)) }
        }
        if !self.cannotReplay.isEmpty {
            lines.append("")
            lines.append("Cannot replay (the records do not hold what the candidate reads):")
            for limit in self.cannotReplay.keys.sorted() {
                let group = self.cannotReplay[limit]!
                lines.append("  \(limit.code)  \(limit.detail)  \(group.count)")
                for example in group.examples { lines.append("    " + Self.line(example)) }
            }
        }
        return lines
    }

    /// One example: `id time METHOD host path caller: before -> after`.
    private static func line(_ example: Example) -> String {
        "\(example.id) \(AuditLeafTime.format(example.time)) \(example.method) \(example.host)\(example.path)"
            + " \(example.caller ?? "-"): \(example.before) -> \(example.after)"
    }

    /// The report as one JSON object (keys sorted).
    func jsonObject(candidate: String, candidateRevision: String, since: UnixTime?, until: UnixTime?) -> [String: Any] {
        func examples(_ group: Group) -> [[String: Any]] {
            group.examples.map { example in
                var object: [String: Any] = [
                    "id": example.id, "time": AuditLeafTime.format(example.time), "method": example.method,
                    "host": example.host, "path": example.path, "before": example.before, "after": example.after,
                ]
                if let caller = example.caller { object["caller"] = caller }
                return object
            }
        }
        var object: [String: Any] = [
            "candidate": candidate, "candidate_revision": candidateRevision, "records": self.records,
            "unchanged": self.unchanged, "changed": self.changed, "cannot_replay_total": self.unreplayable,
        ]
        if let since { object["since"] = AuditLeafTime.format(since) }
        if let until { object["until"] = AuditLeafTime.format(until) }
        object["changes"] = self.groups.keys.sorted().map { key -> [String: Any] in
            let group = self.groups[key]!
            var item: [String: Any] = [
                "change": key.change.rawValue, "count": group.count, "examples": examples(group),
            ]
            if let rule = key.candidateRule { item["candidate_rule"] = rule }
            if let rule = key.activeRule { item["active_rule"] = rule }
            return item
        }
        object["cannot_replay"] = self.cannotReplay.keys.sorted().map { limit -> [String: Any] in
            let group = self.cannotReplay[limit]!
            return ["code": limit.code, "detail": limit.detail, "count": group.count, "examples": examples(group)]
        }
        return object
    }
}
