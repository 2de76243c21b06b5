import Foundation
import GatehouseCore
import Hummingbird
import NIOCore

extension AdminAPI {
    /// The query parameters `GET /v1/decisions` takes as filters, and the filter each sets.
    static let decisionFilters: [(name: String, set: @Sendable (inout DecisionLogQuery, String) -> Void)] = [
        ("kind", { $0.kind = $1 }), ("decision", { $0.decision = $1 }), ("reason", { $0.reason = $1 }),
        ("subject", { $0.subject = $1 }), ("spiffe_id", { $0.spiffeID = $1 }),
        ("xroad_client", { $0.xroadClient = $1 }), ("host", { $0.host = $1 }), ("path", { $0.path = $1 }),
        ("policy_revision", { $0.policyRevision = $1 }), ("rule", { $0.rule = $1 }), ("id", { $0.id = $1 }),
        ("instance", { $0.instance = $1 }),
    ]

    /// `GET /v1/decisions`: one page of the decision log as `{"records":[…],"next":…}`, each record
    /// its canonical JSON line exactly as stored and hashed; `proof=true` adds `"proofs"`.
    func decisions(_ request: Request, log: any DecisionLogReader) throws -> AdminAnswer {
        let parameters = request.uri.queryParameters
        var query = DecisionLogQuery()
        for filter in Self.decisionFilters {
            if let value = parameters[Substring(filter.name)] { filter.set(&query, String(value)) }
        }
        query.since = try parameters["since"].map { try Self.time(String($0), parameter: "since") }
        query.until = try parameters["until"].map { try Self.time(String($0), parameter: "until") }
        let limit = try parameters["limit"].map { text in
            guard let limit = Int(text), limit > 0 else {
                throw AdminRequestError(
                    status: .badRequest, code: "query_invalid",
                    message: "limit '\(text)' is not a positive whole number; pass at most 1000.")
            }
            return limit
        }
        let page: DecisionLogPage
        do {
            page = try log.decisions(
                query, cursor: parameters["cursor"].map(String.init), limit: limit ?? 100,
                proofs: parameters["proof"] == "true")
        } catch let error as DecisionLogReadError {
            throw AdminRequestError(
                status: error.isCallersFault ? .badRequest : .serviceUnavailable, code: error.code,
                message: error.message)
        }
        var json = "{\"records\":[" + page.records.joined(separator: ",") + "]"
        if let proofs = page.proofs { json += ",\"proofs\":[" + proofs.joined(separator: ",") + "]" }
        // The cursor is base64url: nothing in it needs escaping.
        json += ",\"next\":" + (page.next.map { "\"\($0)\"" } ?? "null") + "}\n"
        return AdminAnswer(
            AdminResponse.text(json, contentType: "application/json"), outcome: "200 \(page.records.count) records")
    }

    /// An RFC 3339 time (`2026-12-06T00:35:12Z`, fractions allowed) as a ``UnixTime``.
    static func time(_ text: String, parameter: String) throws -> UnixTime {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        guard let date = formatter.date(from: text) ?? plain.date(from: text) else {
            throw AdminRequestError(
                status: .badRequest, code: "query_invalid",
                message: "\(parameter) '\(text)' is not an RFC 3339 time; write e.g. 2026-12-06T00:35:12Z.")
        }
        let seconds = date.timeIntervalSince1970.rounded(.down)
        return UnixTime(
            seconds: Int64(seconds), nanoseconds: Int32((date.timeIntervalSince1970 - seconds) * 1e9))
    }
}
