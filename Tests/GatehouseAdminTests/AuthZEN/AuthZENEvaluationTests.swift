import Foundation
import GatehouseAdmin
import GatehouseCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite("AuthZEN: single evaluation, metadata, errors and roles", .bug(id: "16"))
struct AuthZENEvaluationTests {
    static let allowed = """
        {"subject": {"type": "identity", "id": "spiffe://gov.example/ns/a/sa/b",
                     "properties": {"token": "tok", "address": "192.0.2.7"}},
         "action": {"name": "GET"},
         "resource": {"type": "route", "id": "/allowed/x?y=1",
                      "properties": {"host": "API.example:8443", "scheme": "https",
                                     "headers": {"x-tenant": "t1", "x-many": ["1", "2"]},
                                     "context_extensions": {"building_block": "civil-registry"}}},
         "context": {"anything": [1, true, null]}}
        """

    @Test(
        "Every field of the gateway profile reaches the request; an allow is decision true with the decision's context",
        arguments: AuthZENListener.allCases)
    func mapping(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            let response = try await AuthZENFixture.post(
                client, "/access/v1/evaluation", Self.allowed, extra: [AuthZENFixture.requestID: "req-7"])
            #expect(response.status == .ok)
            #expect(response.headers[AuthZENFixture.requestID] == "req-7")
            let body = try AuthZENFixture.object(response)
            #expect(body["decision"] as? Bool == true)
            let context = try #require(body["context"] as? [String: Any])
            #expect(context["decision_id"] as? String == "d1")
            #expect(context["reason"] as? String == "allowed")
            #expect(context["status"] as? Int == 200)
            #expect(context["policy"] as? String == "test")
            #expect(context["rule"] as? String == "read")
            #expect(context["policy_revision"] as? String == "rev-1")
        }
        let request = try #require(fixture.evaluator.requests.first)
        #expect(request.method.rawValue == "GET")
        #expect(request.path == "/allowed/x")
        #expect(request.query.first("y") == "1")
        #expect(request.host == "api.example")
        #expect(request.hostPort == 8443)
        #expect(request.scheme == "https")
        #expect(request.headers["authorization"] == ["Bearer tok"])
        #expect(request.headers["x-tenant"] == ["t1"])
        #expect(request.headers["x-many"] == ["1", "2"])
        #expect(request.source.principal == "spiffe://gov.example/ns/a/sa/b")
        #expect(request.source.address == IPAddress("192.0.2.7"))
        #expect(request.contextExtensions == ["building_block": "civil-registry"])
        #expect(request.id == "req-7")
        #expect(request.time == FakeAdministration.now)
    }

    @Test(
        "Entity properties reach the request for property rules; the subject's credentials do not",
        arguments: AuthZENListener.allCases)
    func properties(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        let body = """
            {"subject": {"type": "identity", "id": "alice",
                         "properties": {"token": "tok", "certificate": "PEM", "department": "finance"}},
             "action": {"name": "GET", "properties": {"purpose": "audit", "urgent": true}},
             "resource": {"type": "route", "id": "/reports/q3",
                          "properties": {"host": "reports.example", "owner": {"id": "bob", "level": 3}}}}
            """
        try await fixture.withClient(listener) { client in
            let response = try await AuthZENFixture.post(client, "/access/v1/evaluation", body)
            #expect(response.status == .ok)
        }
        let request = try #require(fixture.evaluator.requests.first)
        #expect(request.properties.objects[.subject] == ["department": .string("finance")])
        #expect(request.properties.value(of: .action, at: ["purpose"]) == .string("audit"))
        #expect(request.properties.value(of: .action, at: ["urgent"]) == .bool(true))
        #expect(request.properties.value(of: .resource, at: ["owner", "id"]) == .string("bob"))
        #expect(request.properties.value(of: .resource, at: ["owner", "level"]) == .number(3))
        #expect(request.properties.value(of: .resource, at: ["host"]) == .string("reports.example"))
        #expect(request.properties.value(of: .subject, at: ["token"]) == nil)
        #expect(request.properties.value(of: .subject, at: ["certificate"]) == nil)
    }

    @Test("A deny is HTTP 200 with decision false and the reason in context", arguments: AuthZENListener.allCases)
    func deny(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            let json = Self.allowed.replacingOccurrences(of: "\"GET\"", with: "\"DELETE\"")
            let response = try await AuthZENFixture.post(client, "/access/v1/evaluation", json)
            #expect(response.status == .ok)
            let body = try AuthZENFixture.object(response)
            #expect(body["decision"] as? Bool == false)
            let context = try #require(body["context"] as? [String: Any])
            #expect(context["reason"] as? String == "no_matching_rule")
            #expect(context["status"] as? Int == 403)
        }
    }

    @Test(
        "Malformed JSON, a missing entity or a bad field is 400 for the whole request, nothing evaluated",
        arguments: AuthZENListener.allCases,
        [
            ("{not json", "invalid_json"),
            ("[]", "invalid_json"),
            (
                #"{"subject": "alice", "action": {"name": "GET"}, "resource": {"type": "route", "id": "/"}}"#,
                "invalid_json"
            ),
            (#"{"action": {"name": "GET"}, "resource": {"type": "route", "id": "/"}}"#, "missing_subject"),
            (
                #"{"subject": {"type": "identity"}, "action": {"name": "GET"}, "resource": {"type": "route", "id": "/"}}"#,
                "missing_subject"
            ),
            (
                #"{"subject": {"type": "identity", "id": "a"}, "resource": {"type": "route", "id": "/"}}"#,
                "missing_action"
            ),
            (#"{"subject": {"type": "identity", "id": "a"}, "action": {"name": "GET"}}"#, "missing_resource"),
            (
                #"{"subject": {"type": "identity", "id": "a"}, "action": {"name": "GET"}, "resource": {"type": "document", "id": "1"}}"#,
                "unsupported_resource_type"
            ),
            (
                #"{"subject": {"type": "identity", "id": "a"}, "action": {"name": "GET"}, "resource": {"type": "route", "id": "x"}}"#,
                "invalid_resource"
            ),
            (
                #"{"subject": {"type": "identity", "id": "a", "properties": {"token": 1}}, "action": {"name": "GET"}, "resource": {"type": "route", "id": "/"}}"#,
                "invalid_field"
            ),
            (
                #"{"subject": {"type": "identity", "id": "a", "properties": {"address": "nowhere"}}, "action": {"name": "GET"}, "resource": {"type": "route", "id": "/"}}"#,
                "invalid_subject"
            ),
        ])
    func badRequest(listener: AuthZENListener, example: (json: String, code: String)) async throws {
        let (json, code) = example
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            let response = try await AuthZENFixture.post(
                client, "/access/v1/evaluation", json, extra: [AuthZENFixture.requestID: "bad-1"])
            #expect(response.status == .badRequest)
            #expect(response.headers[AuthZENFixture.requestID] == "bad-1")
            #expect(try AuthZENFixture.object(response)["error"] as? String == code)
        }
        #expect(fixture.evaluator.requests.isEmpty)
    }

    @Test(
        "No credential is 401, a role below evaluator 403; evaluator and admin may evaluate",
        arguments: AuthZENListener.allCases)
    func roles(listener: AuthZENListener) async throws {
        let fixture = AuthZENFixture()
        try await fixture.withClient(listener) { client in
            for path in ["/access/v1/evaluation", "/access/v1/evaluations"] {
                let anonymous = try await AuthZENFixture.post(
                    client, path, Self.allowed, token: nil, extra: [AuthZENFixture.requestID: "r"])
                #expect(anonymous.status == .unauthorized)
                #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
                #expect(anonymous.headers[AuthZENFixture.requestID] == "r")
                let metrics = try await AuthZENFixture.post(
                    client, path, Self.allowed, token: AdminFixture.metricsToken)
                #expect(metrics.status == .forbidden)
                #expect(
                    try AuthZENFixture.object(metrics)["message"] as? String
                        == "'prometheus' has the role 'metrics'; \(path.hasSuffix("s") ? "evaluations" : "evaluation") needs 'evaluator'."
                )
                let admin = try await AuthZENFixture.post(client, path, Self.allowed, token: AdminFixture.adminToken)
                #expect(admin.status == .ok)
            }
        }
        #expect(fixture.evaluator.requests.count == 2)
    }

    @Test(
        "The metadata document names the PDP and the endpoints served, on the host the caller reached",
        arguments: AuthZENListener.allCases)
    func metadata(listener: AuthZENListener) async throws {
        try await AuthZENFixture().withClient(listener) { client in
            let response = try await client.execute(
                uri: "/.well-known/authzen-configuration", method: .get,
                headers: [AuthZENFixture.requestID: "m1"])
            #expect(response.status == .ok)
            #expect(response.headers[AuthZENFixture.requestID] == "m1")
            let body = try AuthZENFixture.object(response)
            // The router test sends no authority; a live listener's is checked end to end.
            let base = try #require(body["policy_decision_point"] as? String)
            #expect(base.hasPrefix("http://"))
            #expect(body["access_evaluation_endpoint"] as? String == base + "/access/v1/evaluation")
            #expect(body["access_evaluations_endpoint"] as? String == base + "/access/v1/evaluations")
        }
    }
}
