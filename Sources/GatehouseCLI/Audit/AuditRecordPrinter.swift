import Foundation
import GatehouseAudit

/// Prints query rows as a table, JSON lines or CSV, one row at a time (results stream).
struct AuditRecordPrinter {
    let format: AuditCommand.Query.Format

    /// The columns of the table and CSV forms: the leaf's keys, or a derived one.
    static let columns = [
        "time", "kind", "decision", "status", "reason", "caller", "method", "host", "path", "rule",
        "policy_revision", "id",
    ]

    func header() {
        switch self.format {
        case .jsonl: break
        case .csv: Console.print(Self.columns.joined(separator: ","))
        case .table: Console.print(Self.columns.map { $0.uppercased() }.joined(separator: "\t"))
        }
    }

    func print(_ row: AuditQueryRow) {
        guard self.format != .jsonl else {
            Console.print(row.body)
            return
        }
        let fields = Self.fields(of: row.body)
        let values = Self.columns.map { fields[$0] ?? "" }
        switch self.format {
        case .csv: Console.print(values.map(Self.csv).joined(separator: ","))
        default: Console.print(values.map { $0.isEmpty ? "-" : $0 }.joined(separator: "\t"))
        }
    }

    /// The record's top-level fields as text; `caller` is the subject, SPIFFE ID or X-Road client (or the admin actor).
    static func fields(of body: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else {
            return [:]
        }
        var fields: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case let text as String: fields[key] = text
            case let number as NSNumber: fields[key] = number.stringValue
            default: break
            }
        }
        fields["caller"] = fields["subject"] ?? fields["spiffe_id"] ?? fields["xroad_client"] ?? fields["actor"]
        if fields["kind"] == "gap", let count = fields["count"] {
            fields["reason"] = "\(count) lost \(fields["from"] ?? "")..\(fields["to"] ?? ""): \(fields["cause"] ?? "")"
        }
        return fields
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled.
    static func csv(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
