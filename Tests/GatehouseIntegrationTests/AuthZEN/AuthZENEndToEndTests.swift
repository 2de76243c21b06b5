import EnvoyAuthAPI
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GatehouseTestSupport
import SwiftProtobuf
import Testing

/// The AuthZEN API of the real `gatehouse serve`, asked with curl, against its gRPC door on the
/// same process: the same facts give the same decision through both.
@Suite("AuthZEN end to end", .bug(id: "16"), .timeLimit(.minutes(3)))
struct AuthZENEndToEndTests {
    static let evaluatorToken = "e2e-evaluator-token"
    static let metricsToken = "e2e-metrics-token"

    /// One generated request, as facts both doors can carry.
    struct Facts: CustomStringConvertible {
        var method: String
        var path: String
        var host: String
        var headers: [String: String]
        var extensions: [String: String]
        var principal: String?

        var description: String {
            "\(self.method) \(self.host)\(self.path) \(self.headers) \(self.extensions) \(self.principal ?? "-")"
        }

        static func generate(_ random: inout SplitMix64) -> Facts {
            var headers: [String: String] = [:]
            if random.chance(50) { headers["x-clearance"] = random.pick(["granted", "denied"]) }
            if random.chance(20) { headers["x-shadow"] = "1" }
            return Facts(
                method: random.pick(["GET", "GET", "GET", "POST", "DELETE", "HEAD"]),
                path: random.pick([
                    "/public/a", "/public/a/b?x=1", "/records/1", "/records/2", "/records/secret", "/records/a/b",
                    "/other",
                    "/records/%2e%2e/secret", "/public/../records/secret",
                ]),
                host: random.pick([
                    "civil-registry.gov.example", "civil-registry.gov.example", "mesh.gov.example", "mesh.gov.example",
                    "other.example",
                ]),
                headers: headers,
                extensions: random.chance(85) ? ["building_block": "civil-registry"] : [:],
                principal: random.chance(60)
                    ? random.pick([
                        "spiffe://gov.example/ns/civil-registry/sa/api", "spiffe://gov.example/ns/other/sa/x",
                    ]) : nil)
        }

        /// The gRPC door's request for these facts.
        var check: Envoy_Service_Auth_V3_CheckRequest {
            var request = Envoy_Service_Auth_V3_CheckRequest()
            request.attributes.request.http.method = self.method
            request.attributes.request.http.path = self.path
            request.attributes.request.http.host = self.host
            request.attributes.request.http.headers = self.headers
            request.attributes.contextExtensions = self.extensions
            if let principal = self.principal { request.attributes.source.principal = principal }
            return request
        }

        /// The AuthZEN evaluation for these facts (gateway profile).
        var evaluation: [String: Any] {
            [
                "subject": ["type": "identity", "id": self.principal ?? ""],
                "action": ["name": self.method],
                "resource": [
                    "type": "route", "id": self.path,
                    "properties": [
                        "host": self.host, "headers": self.headers, "context_extensions": self.extensions,
                    ],
                ],
            ]
        }
    }

    @Test(
        "Generated requests: the AuthZEN batch and the gRPC door (trusted Unix socket) give the same decisions",
        arguments: Listener.allCases)
    func differential(listener: Listener) async throws {
        try await Self.withServer(listener) { server, url in
            var random = SplitMix64(seed: 16)
            let facts = (0..<150).map { _ in Facts.generate(&random) }
            let batch = try JSONSerialization.data(withJSONObject: ["evaluations": facts.map(\.evaluation)])
            let answer = try await Self.post(url + "/access/v1/evaluations", body: batch, token: Self.evaluatorToken)
            #expect(answer.status == 200, "\(answer.body.prefix(300))")
            let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
            let results = try #require(object?["evaluations"] as? [[String: Any]])
            try #require(results.count == facts.count)
            let grpc = try await Self.checks(facts, socket: server.socketPath)
            var allowed = 0
            for (index, fact) in facts.enumerated() {
                let context = results[index]["context"] as? [String: Any] ?? [:]
                let authzen = [
                    (results[index]["decision"] as? Bool) == true ? "allow" : "deny",
                    context["reason"] as? String ?? "", (context["status"] as? Int).map(String.init) ?? "",
                    context["policy"] as? String ?? "", context["rule"] as? String ?? "",
                ]
                #expect(authzen == grpc[index], "\(fact)")
                if authzen[0] == "allow" { allowed += 1 }
            }
            // The vocabulary reaches allows, rule denials and unselected requests alike.
            #expect(allowed >= 10 && allowed <= facts.count - 10, "\(allowed) of \(facts.count) allowed")
        }
    }

    @Test(
        "Through serve: one evaluation, the metadata on the listener's address, X-Request-ID, 401 and 403",
        arguments: Listener.allCases)
    func singleAndRoles(listener: Listener) async throws {
        try await Self.withServer(listener) { _, url in
            var random = SplitMix64(seed: 7)
            var fact = Facts.generate(&random)
            (fact.method, fact.path, fact.host) = ("GET", "/public/x", "civil-registry.gov.example")
            fact.extensions = ["building_block": "civil-registry"]
            let body = try JSONSerialization.data(withJSONObject: fact.evaluation)
            let allowed = try await Self.post(
                url + "/access/v1/evaluation", body: body, token: Self.evaluatorToken, requestID: "e2e-1")
            #expect(allowed.status == 200)
            #expect(allowed.headers.contains("x-request-id: e2e-1"), "\(allowed.headers)")
            #expect(allowed.body.contains(#""decision":true"#), "\(allowed.body)")
            #expect(allowed.body.contains(#""rule":"public""#), "\(allowed.body)")

            let anonymous = try await Self.post(url + "/access/v1/evaluation", body: body, token: nil)
            #expect(anonymous.status == 401)
            let metrics = try await Self.post(url + "/access/v1/evaluation", body: body, token: Self.metricsToken)
            #expect(metrics.status == 403)
            let malformed = try await Self.post(
                url + "/access/v1/evaluation", body: Data("{".utf8), token: Self.evaluatorToken)
            #expect(malformed.status == 400)

            let metadata = try await ProcessRunner.run(
                "/usr/bin/env", ["curl", "-s", url + "/.well-known/authzen-configuration"])
            #expect(metadata.stdout.contains(#""policy_decision_point":"\#(url)""#), "\(metadata.stdout)")
            #expect(metadata.stdout.contains(#""access_evaluation_endpoint":"\#(url)/access/v1/evaluation""#))
        }
    }

    @Test("Through serve: rules on entity properties, decided and cached per property value")
    func properties() async throws {
        try await Self.withServer { _, url in
            func ask(department: String, classification: String) async throws -> String {
                let body = """
                    {"subject": {"type": "identity", "id": "spiffe://gov.example/ns/finance/sa/reports",
                                 "properties": {"department": "\(department)"}},
                     "action": {"name": "GET"},
                     "resource": {"type": "route", "id": "/reports/q3",
                                  "properties": {"host": "reports.gov.example", "classification": "\(classification)"}}}
                    """
                let answer = try await Self.post(
                    url + "/access/v1/evaluation", body: Data(body.utf8), token: Self.evaluatorToken)
                #expect(answer.status == 200, "\(answer.body)")
                return answer.body
            }
            // Twice each, alternating, so a cached decision for one value would be served for the other.
            for _ in 0..<2 {
                let allowed = try await ask(department: "finance", classification: "internal")
                #expect(allowed.contains(#""decision":true"#), "\(allowed)")
                #expect(allowed.contains(#""rule":"finance-reads-reports""#), "\(allowed)")
                let otherDepartment = try await ask(department: "sales", classification: "internal")
                #expect(otherDepartment.contains(#""decision":false"#), "\(otherDepartment)")
                let secret = try await ask(department: "finance", classification: "secret")
                #expect(secret.contains(#""decision":false"#), "\(secret)")
            }
        }
    }

    /// Each request's (decision, reason, status, policy, rule) through the gRPC door over the
    /// Unix socket, which deploy/gatehouse.yaml trusts for forwarded identities, as the AuthZEN
    /// door trusts its evaluator.
    static func checks(_ facts: [Facts], socket: String) async throws -> [[String]] {
        let transport = try HTTP2ClientTransport.Posix(
            target: .unixDomainSocket(path: socket), transportSecurity: .plaintext)
        return try await withGRPCClient(transport: transport) { client in
            var answers: [[String]] = []
            for fact in facts {
                let response = try await GatehouseClient.check(client, fact.check)
                let fields = response.dynamicMetadata.fields
                func field(_ name: String) -> String { fields[name]?.stringValue ?? "" }
                answers.append([field("decision"), field("reason"), field("status"), field("policy"), field("rule")])
            }
            return answers
        }
    }

    struct Answer {
        var status: Int
        var headers: String
        var body: String
    }

    /// POSTs `body` with curl.
    static func post(_ url: String, body: Data, token: String?, requestID: String? = nil) async throws -> Answer {
        var arguments = [
            "curl", "-s", "-D", "-", "-o", "-", "-H", "Content-Type: application/json", "--data-binary", "@-",
        ]
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        if let requestID { arguments += ["-H", "X-Request-ID: \(requestID)"] }
        let output = try await ProcessRunner.run(
            "/usr/bin/env", arguments + [url], input: String(decoding: body, as: UTF8.self))
        let parts = output.stdout.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Answer(status: status, headers: head.lowercased(), body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// `gatehouse serve` (deploy/gatehouse.yaml, the e2e fixture policies) with an evaluator and a metrics token.
    /// Where `serve` answers AuthZEN in a test: the admin listener, or `authzen.listen` with
    /// `authzen.onAdmin: false`.
    enum Listener: String, CaseIterable, Sendable {
        case admin
        case authzen
    }

    static func withServer(
        _ listener: Listener = .admin, _ body: (GatehouseServer, String) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory("e2e-authzen") { directory in
            let ports = try FreePort.next(4)
            var tokens: [String] = []
            for (name, token, role) in [
                ("pep", Self.evaluatorToken, "evaluator"), ("scraper", Self.metricsToken, "metrics"),
            ] {
                tokens.append("{name: \(name), sha256: \(try AdminEndToEndTests.sha256(of: token)), role: \(role)}")
            }
            let server = try await GatehouseServer(
                directory: directory, policies: Provisioning.fixturePolicies, ports: (ports[0], ports[1]),
                adminPort: ports[2], adminTokens: "[\(tokens.joined(separator: ", "))]",
                moreSettings: listener == .authzen
                    ? ["authzen:", "  listen: 127.0.0.1:\(ports[3])", "  onAdmin: false"] : [],
                // The gRPC door's answers are compared field by field (decision, status, policy, rule).
                envoyMetadata: "full")
            do {
                try await server.waitUntilServing()
                try await server.process.waitForLog("gatehouse.admin.address=127.0.0.1:\(ports[2])")
                switch listener {
                case .admin:
                    try await body(server, "http://127.0.0.1:\(ports[2])")
                case .authzen:
                    try await server.process.waitForLog("gatehouse.authzen.address=127.0.0.1:\(ports[3])")
                    // authzen.onAdmin off: the admin listener no longer answers AuthZEN.
                    let admin = try await Self.post(
                        "http://127.0.0.1:\(ports[2])/access/v1/evaluation", body: Data("{}".utf8),
                        token: Self.evaluatorToken)
                    #expect(admin.status == 404)
                    try await body(server, "http://127.0.0.1:\(ports[3])")
                }
            } catch {
                await server.process.terminate()
                throw error
            }
            await server.process.terminate()
        }
    }
}
