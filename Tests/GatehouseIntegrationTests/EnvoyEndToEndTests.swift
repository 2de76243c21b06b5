import Foundation
import GatehouseTestSupport
import Testing

/// Envoy 1.40, configured from `deploy/`, enforcing policies through Gatehouse.
@Suite("End to end through a real Envoy", .serialized, .timeLimit(.minutes(5)))
struct EnvoyEndToEndTests {
    /// Each deploy/ configuration: how Envoy reaches Gatehouse and whether callers use mTLS.
    static let configurations: [(file: String, clientCertificate: String?)] = [
        ("front-proxy.yaml", nil),
        ("front-proxy-mtls.yaml", "civil-registry"),
        ("sidecar-uds.yaml", nil),
    ]

    @Test(
        "Allow, deny with the policy's body, 401 with WWW-Authenticate, and shadow rules, on every listener kind",
        arguments: Self.configurations.map(\.file))
    func enforcement(configuration: String) async throws {
        let certificate = Self.configurations.first { $0.file == configuration }?.clientCertificate
        // The access log is read for decision and rule: the full metadata.
        try await Deployment.with(envoyConfig: configuration, envoyMetadata: "full") { deployment in
            let allowed = try deployment.request(
                "/records/42", headers: [("x-clearance", "granted"), ("x-debug", "1")], clientCertificate: certificate)
            #expect(allowed.status == 200, "\(allowed)\n\(deployment.gatehouse.log)")
            #expect(allowed.upstreamHeader("x-gatehouse-policy") == "e2e")
            #expect(allowed.upstreamHeader("x-gatehouse-building-block") == "civil-registry")
            #expect(allowed.upstreamHeader("x-gatehouse-request") == allowed.upstreamHeader("x-request-id"))
            #expect(allowed.upstreamHeader("x-debug") == nil)

            let secret = try deployment.request(
                "/records/secret", headers: [("x-clearance", "granted")], clientCertificate: certificate)
            #expect(secret.status == 403)
            #expect(secret.body == #"{"error":"secrets are never served"}"#)
            #expect(secret.header("content-type") == "application/json")

            let anonymous = try deployment.request("/records/42", clientCertificate: certificate)
            #expect(anonymous.status == 401)
            #expect(anonymous.header("www-authenticate") == #"Bearer realm="e2e-civil-registry""#)

            // A presented token that is not a JWS is a bad credential, not an absent one.
            let badToken = try deployment.request(
                "/records/42", headers: [("x-clearance", "granted"), ("authorization", "Bearer opaque")],
                clientCertificate: certificate)
            #expect(badToken.status == 401)
            #expect(badToken.header("www-authenticate")?.contains(#"error="invalid_token""#) == true)

            let shadowed = try deployment.request(
                "/records/7", headers: [("x-clearance", "granted"), ("x-shadow", "1")], clientCertificate: certificate)
            #expect(shadowed.status == 200, "a shadow rule is reported, never enforced")

            let ambiguous = try deployment.request("/public/..%2Fsecret", clientCertificate: certificate)
            #expect(ambiguous.status == 400)

            #expect(await deployment.stop() == 0, "SIGTERM must end Gatehouse gracefully with status 0")
            let accessLog = deployment.envoy.log
            #expect(accessLog.contains("decision=allow reason=allowed detail=- rule=cleared-readers"))
            #expect(accessLog.contains("decision=deny reason=denied_by_rule detail=- rule=no-secrets"))
            #expect(accessLog.contains("decision=deny reason=missing_credentials"))
        }
    }

    @Test("By default Envoy gets the lean metadata: its access log has the decision id and reason, no rule")
    func leanMetadataByDefault() async throws {
        try await Deployment.with(envoyConfig: "front-proxy.yaml") { deployment in
            let allowed = try deployment.request("/records/42", headers: [("x-clearance", "granted")])
            let denied = try deployment.request("/records/secret", headers: [("x-clearance", "granted")])
            #expect(allowed.status == 200 && denied.status == 403)
            #expect(await deployment.stop() == 0)
            let lines = deployment.envoy.log.split(separator: "\n").filter { $0.contains("\"GET ") }
            #expect(lines.count == 2, "\(deployment.envoy.log)")
            for (line, reason) in zip(lines, ["allowed", "denied_by_rule"]) {
                #expect(line.contains("decision=- reason=\(reason) detail=- rule=- revision=- decision_id="), "\(line)")
                let id = line.split(separator: "decision_id=").last?.prefix { $0 != " " } ?? ""
                #expect(id.count == 32 && id.allSatisfy(\.isHexDigit), "\(line)")
            }
        }
    }

    @Test("With downstream mTLS Envoy forwards the caller's certificate to Gatehouse")
    func forwardsCallerCertificate() async throws {
        try await Deployment.with(envoyConfig: "front-proxy-mtls.yaml") { deployment in
            let response = try deployment.request("/public/about", clientCertificate: "civil-registry")
            #expect(response.status == 200)
            await deployment.stop()
            #expect(deployment.gatehouse.log.contains("source.certificate=present"))
            #expect(
                deployment.gatehouse.log.contains("source.principal=spiffe://gov.example/ns/civil-registry/sa/api"))
        }
    }

    @Test("Raw header encoding keeps repeated headers apart; the joined map does not")
    func rawHeaders() async throws {
        let repeated = [("x-clearance", "pending"), ("x-clearance", "granted")]
        let raw = try await Deployment.with(envoyConfig: "sidecar-uds.yaml") { sidecar in
            try sidecar.request("/records/1", headers: repeated)
        }
        #expect(raw.status == 200, "with encode_raw_headers each value is matched on its own")

        let joined = try await Deployment.with(envoyConfig: "front-proxy.yaml") { front in
            try front.request("/records/1", headers: repeated)
        }
        #expect(joined.status == 401, "Envoy joins repeats into 'pending,granted', which is not 'granted'")
    }

    @Test("Gatehouse killed: Envoy denies; Gatehouse restarted: traffic flows again")
    func killAndRestart() async throws {
        try await Deployment.with(envoyConfig: "front-proxy.yaml") { deployment in
            #expect(try deployment.request("/public/a").status == 200)
            await deployment.killGatehouse()
            let whileDown = try deployment.request("/public/a")
            #expect(whileDown.status == 403, "failure_mode_allow: false with status_on_error 403 must deny")
            #expect(whileDown.upstreamHeaders.isEmpty, "nothing may reach the upstream while Gatehouse is down")
            try await deployment.restartGatehouse()
            var status = 0
            for _ in 0..<50 where status != 200 {
                status = try deployment.request("/public/a").status
                if status != 200 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == 200)
        }
    }

    @Test("The example policies are enforced as shipped")
    func examplePolicies() async throws {
        try await Deployment.with(envoyConfig: "front-proxy.yaml", policies: Repository.examplePolicies) {
            deployment async throws in
            #expect(try deployment.request("/healthz").status == 200)
            #expect(try deployment.request("/births/1987-0042").status == 401)
            #expect(
                try deployment.request("/healthz", host: "unknown.gov.example").status == 404,
                "Envoy has no route for it")
            #expect(
                try deployment.request("/cards/1", host: "id-card.gov.example", headers: [("x-api-version", "2")])
                    .status == 401)
        }
    }
}

extension HTTPResponse: CustomStringConvertible {
    var description: String { "HTTP \(self.status) \(self.headers.map { "\($0.name): \($0.value)" }) \(self.body)" }
}
