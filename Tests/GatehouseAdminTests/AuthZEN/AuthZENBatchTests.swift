import Foundation
import GatehouseAdmin
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("AuthZEN: batches of evaluations", .bug(id: "16"))
struct AuthZENBatchTests {
    /// Top-level defaults (subject, action GET, a route) and items over them.
    static func batch(_ items: [String], semantic: String? = nil) -> String {
        let options = semantic.map { #", "options": {"evaluations_semantic": "\#($0)"}"# } ?? ""
        return """
            {"subject": {"type": "identity", "id": "alice"}, "action": {"name": "GET"},
             "resource": {"type": "route", "id": "/allowed/default"},
             "evaluations": [\(items.joined(separator: ","))]\(options)}
            """
    }

    static let allow = #"{"resource": {"type": "route", "id": "/allowed/1"}}"#
    static let deny = #"{"resource": {"type": "route", "id": "/secret"}}"#
    static let denyByAction = #"{"action": {"name": "POST"}}"#

    static func decisions(_ response: AuthZENResponse) throws -> [[String: Any]] {
        try #require(AuthZENFixture.object(response)["evaluations"] as? [[String: Any]])
    }

    @Test(
        "execute_all (the default): every item, in order, each over the defaults it does not override",
        arguments: AuthZENListener.allCases)
    func executeAll(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            let response = try await AuthZENFixture.post(
                client, "/access/v1/evaluations", Self.batch([Self.allow, Self.deny, "{}", Self.denyByAction]))
            #expect(response.status == .ok)
            let results = try Self.decisions(response)
            #expect(results.map { $0["decision"] as? Bool } == [true, false, true, false])
        }
        let requests = fixture.evaluator.requests
        #expect(requests.map(\.path) == ["/allowed/1", "/secret", "/allowed/default", "/allowed/default"])
        #expect(requests.map(\.method.rawValue) == ["GET", "GET", "GET", "POST"])
        #expect(requests.allSatisfy { $0.source.principal == "alice" })
    }

    @Test(
        "deny_on_first_deny stops after the first deny, permit_on_first_permit after the first permit",
        arguments: AuthZENListener.allCases,
        [
            ("deny_on_first_deny", [true, false], 2), ("permit_on_first_permit", [true], 1),
            ("execute_all", [true, false, true, false], 4),
        ])
    func shortCircuit(listener: AuthZENListener, example: (semantic: String, expected: [Bool], evaluated: Int))
        async throws
    {
        let (semantic, expected, evaluated) = example
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            let response = try await AuthZENFixture.post(
                client, "/access/v1/evaluations",
                Self.batch([Self.allow, Self.deny, Self.allow, Self.deny], semantic: semantic))
            #expect(response.status == .ok)
            #expect(try Self.decisions(response).map { $0["decision"] as? Bool } == expected)
        }
        #expect(fixture.evaluator.requests.count == evaluated)
    }

    @Test(
        "Items decided at once are answered on the spot, each with its own id from the batch's one random fill",
        arguments: AuthZENListener.allCases)
    func decidedAtOnce(listener: AuthZENListener) async throws {
        var fixture = AuthZENFixture()
        fixture.evaluator = RecordingEvaluator(decidesAtOnce: true)
        let response = try await fixture.withClient(listener) { client in
            try await AuthZENFixture.post(
                client, "/access/v1/evaluations",
                Self.batch([Self.allow, Self.deny, #"{"resource": {"type": "route", "id": "/allowed/2"}}"#]))
        }
        #expect(response.status == .ok)
        let ids = fixture.evaluator.decisionIDs.compactMap { $0 }
        #expect(ids.count == 3)
        #expect(Set(ids).count == 3)
        // The batch's time is every id's prefix (48 bits of milliseconds), as DecisionID makes one.
        let prefix = DecisionID.make(at: FakeAdministration.now, entropy: (0, 0)).prefix(12)
        for id in ids {
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
            #expect(id.hasPrefix(prefix))
        }
        let answered = try Self.decisions(response).compactMap {
            ($0["context"] as? [String: Any])?["decision_id"] as? String
        }
        #expect(answered == ids)
        #expect(try Self.decisions(response).map { $0["decision"] as? Bool } == [true, false, true])
    }

    @Test("permit_on_first_permit evaluates denials until the first permit", arguments: AuthZENListener.allCases)
    func permitAfterDenials(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            let response = try await AuthZENFixture.post(
                client, "/access/v1/evaluations",
                Self.batch([Self.deny, Self.denyByAction, Self.allow, Self.deny], semantic: "permit_on_first_permit"))
            #expect(try Self.decisions(response).map { $0["decision"] as? Bool } == [false, false, true])
        }
        #expect(fixture.evaluator.requests.count == 3)
    }

    @Test(
        "A failing item is decision false with context.error; the others are still evaluated",
        arguments: AuthZENListener.allCases)
    func failingItem(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            let bad = #"{"resource": {"type": "document", "id": "7"}}"#
            let response = try await AuthZENFixture.post(
                client, "/access/v1/evaluations", Self.batch([bad, Self.allow]))
            #expect(response.status == .ok)
            let results = try Self.decisions(response)
            #expect(results.map { $0["decision"] as? Bool } == [false, true])
            let error = try #require((results[0]["context"] as? [String: Any])?["error"] as? [String: Any])
            #expect(error["code"] as? String == "unsupported_resource_type")
            #expect(error["status"] as? Int == 400)
        }
        #expect(fixture.evaluator.requests.count == 1)
    }

    @Test("A failing item counts as a deny for deny_on_first_deny", arguments: AuthZENListener.allCases)
    func failingItemStops(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            let missing = #"{"subject": {"type": "identity"}}"#
            let response = try await AuthZENFixture.post(
                client, "/access/v1/evaluations", Self.batch([missing, Self.allow], semantic: "deny_on_first_deny"))
            #expect(try Self.decisions(response).map { $0["decision"] as? Bool } == [false])
        }
        #expect(fixture.evaluator.requests.isEmpty)
    }

    @Test(
        "Without items a batch is one evaluation of its top-level entities, answered as one",
        arguments: AuthZENListener.allCases)
    func noItems(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            let response = try await AuthZENFixture.post(
                client, "/access/v1/evaluations",
                #"{"subject": {"type": "identity", "id": "a"}, "action": {"name": "GET"}, "resource": {"type": "route", "id": "/allowed"}}"#
            )
            #expect(try AuthZENFixture.object(response)["decision"] as? Bool == true)
        }
    }

    @Test(
        "An unknown evaluations_semantic or malformed JSON is 400 for the whole batch",
        arguments: AuthZENListener.allCases)
    func badBatch(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            let unknown = try await AuthZENFixture.post(
                client, "/access/v1/evaluations", Self.batch([Self.allow], semantic: "first_wins"))
            #expect(unknown.status == .badRequest)
            #expect(try AuthZENFixture.object(unknown)["error"] as? String == "invalid_options")
            let malformed = try await AuthZENFixture.post(client, "/access/v1/evaluations", #"{"evaluations": 3}"#)
            #expect(malformed.status == .badRequest)
            #expect(try AuthZENFixture.object(malformed)["error"] as? String == "invalid_json")
        }
        #expect(fixture.evaluator.requests.isEmpty)
    }

    @Test("A batch's decision ids: one time prefix, all different, random bits past getentropy's 256 bytes")
    func decisionIDs() {
        let time = UnixTime(seconds: 1_765_000_000, nanoseconds: 0)
        let ids = AuthZENDecisionIDs(count: 100, at: time)
        let all = (0..<100).map { ids[$0] }
        let prefix = DecisionID.make(at: time, entropy: (0, 0)).prefix(12)
        #expect(Set(all).count == 100)
        #expect(all.allSatisfy { $0.utf8.count == 32 && $0.hasPrefix(prefix) })
        // Items 16 on come from later getentropy calls: none of them all zeros.
        #expect(all[16...].allSatisfy { !$0.dropFirst(12).allSatisfy { $0 == "0" } })
    }
}
